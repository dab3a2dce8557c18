#include "core/jobs/StatusReport.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "core/common/Time.h"

namespace spotwise::jobs {

Result<StatusReport> parseStatusReport(std::string_view text) {
  using nlohmann::json;
  try {
    const json j = json::parse(text);
    if (!j.is_object()) return makeError(ErrorCode::InvalidArgument, "status.json: not a JSON object");
    StatusReport r;
    auto integer = [&](const char* key, std::int64_t fallback) -> std::int64_t {
      const auto it = j.find(key);
      if (it == j.end() || !it->is_number()) return fallback;
      return it->is_number_integer() ? it->get<std::int64_t>() : static_cast<std::int64_t>(std::llround(it->get<double>()));
    };
    r.state = j.value("state", std::string());
    if (r.state.empty()) return makeError(ErrorCode::InvalidArgument, "status.json: no state");
    r.attempt = static_cast<int>(integer("attempt", 0));
    r.step = integer("step", -1);
    r.total = integer("total", -1);
    if (j.contains("loss") && j["loss"].is_number()) r.loss = j["loss"].get<double>();
    r.checkpointStep = integer("checkpoint_step", -1);
    r.resumedFromStep = integer("resumed_from_step", -1);
    if (j.contains("exit_code") && j["exit_code"].is_number_integer()) r.exitCode = j["exit_code"].get<int>();
    if (j.contains("message") && j["message"].is_string()) r.message = j["message"].get<std::string>();
    if (j.contains("gpu") && j["gpu"].is_object()) {
      const auto& g = j["gpu"];
      if (g.contains("model") && g["model"].is_string()) r.gpuModel = g["model"].get<std::string>();
      if (g.contains("count") && g["count"].is_number_integer()) r.gpuCount = g["count"].get<int>();
      if (g.contains("utilization") && g["utilization"].is_number()) r.gpuUtilization = g["utilization"].get<double>();
    }
    if (const auto it = j.find("updated_at"); it != j.end()) {
      if (it->is_number()) {
        r.updatedAtMs = static_cast<std::int64_t>(std::llround(it->get<double>() * 1000.0));
      } else if (it->is_string()) {
        const auto s = it->get<std::string>();
        if (const auto t = parseIso8601Utc(s)) r.updatedAtMs = *t * 1000;
      }
    }
    return r;
  } catch (const json::exception& e) {
    return makeError(ErrorCode::InvalidArgument, std::string("status.json: ") + e.what());
  }
}

}  // namespace spotwise::jobs
