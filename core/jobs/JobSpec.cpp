#include "core/jobs/JobSpec.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <system_error>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "core/agent/CodeBundle.h"

namespace spotwise::jobs {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr std::string_view kFormat = "spotwise-job/1";
constexpr std::array<std::string_view, 4> kProviders{"aws", "gcp", "azure", "local"};
constexpr std::array<std::string_view, 6> kSignals{"SIGTERM", "SIGINT", "SIGUSR1", "SIGUSR2", "SIGHUP", "SIGQUIT"};

std::string money(double usd) {
  std::ostringstream out;
  out.precision(2);
  out << std::fixed << usd;
  return "$" + out.str();
}

// Reads one optional member of `object` into `target`, recording a type error under `path`.
template <typename T>
void read(const json& object, const char* key, T& target, const std::string& path, std::vector<std::string>& errors) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return;
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    // A number outside T (1e300, 2^70) would be undefined behaviour to convert (found by JobSpecFuzzer).
    if (it->is_number()) {
      const double value = it->get<double>();
      if (value != std::trunc(value) || value < static_cast<double>(std::numeric_limits<T>::min()) ||
          value > static_cast<double>(std::numeric_limits<T>::max())) {
        errors.push_back(path + key + ": " + it->dump() + " is not a whole number in range");
        return;
      }
    }
  }
  try {
    target = it->get<T>();
  } catch (const json::exception&) {
    errors.push_back(path + key + ": wrong type (" + std::string(it->type_name()) + ")");
  }
}

void checkKeys(const json& object, std::initializer_list<std::string_view> known, const std::string& path,
               std::vector<std::string>& errors) {
  for (const auto& [key, value] : object.items()) {
    bool found = false;
    for (auto k : known) found = found || k == key;
    if (!found) errors.push_back(path + key + ": unknown field");
  }
}

}  // namespace

bool isKnownSignal(std::string_view name) {
  return std::ranges::find(kSignals, name) != kSignals.end();
}

Result<StorageLocation> parseStorageLocation(std::string_view uri) {
  const auto sep = uri.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return makeError(ErrorCode::InvalidArgument,
                     "storage: \"" + std::string(uri) + "\" is not a location such as s3://bucket/prefix or local:///folder");
  }
  StorageLocation loc;
  loc.scheme = std::string(uri.substr(0, sep));
  std::string rest(uri.substr(sep + 3));
  if (loc.scheme == "local") {
    if (rest.empty() || rest.front() != '/') {
      return makeError(ErrorCode::InvalidArgument, "storage: local:// needs an absolute folder (local:///path)");
    }
    while (rest.size() > 1 && rest.back() == '/') rest.pop_back();
    loc.bucket = rest;
    return loc;
  }
  if (loc.scheme != "s3" && loc.scheme != "gs" && loc.scheme != "az") {
    return makeError(ErrorCode::InvalidArgument, "storage: unknown scheme \"" + loc.scheme + "\" (s3, gs, az, local)");
  }
  const auto slash = rest.find('/');
  loc.bucket = rest.substr(0, slash);
  if (slash != std::string::npos) loc.prefix = rest.substr(slash + 1);
  while (!loc.prefix.empty() && loc.prefix.back() == '/') loc.prefix.pop_back();
  if (loc.bucket.empty()) return makeError(ErrorCode::InvalidArgument, "storage: the bucket name is empty");
  return loc;
}

std::optional<std::uint64_t> folderSize(const fs::path& dir) {
  std::error_code ec;
  std::uint64_t total = 0;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  if (ec) return std::nullopt;
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return std::nullopt;
    if (it->is_directory(ec) && it->path().filename() == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

std::vector<FieldError> validateJobSpec(const JobSpec& spec, const ValidationLimits& limits) {
  std::vector<FieldError> errors;
  auto fail = [&](std::string field, std::string message) { errors.push_back({std::move(field), std::move(message)}); };

  if (spec.name.empty()) fail("name", "is empty: give the job a name");
  if (spec.name.size() > 128) fail("name", "is longer than 128 characters");

  bool providerKnown = false;
  for (auto p : kProviders) providerKnown = providerKnown || p == spec.offer.provider;
  if (!providerKnown) fail("offer.provider", "\"" + spec.offer.provider + "\" is not one of aws, gcp, azure, local");
  if (spec.offer.region.empty()) fail("offer.region", "is empty");
  if (spec.offer.instanceType.empty()) fail("offer.instanceType", "is empty");
  const bool priceOk = std::isfinite(spec.offer.pricePerHour) && spec.offer.pricePerHour > 0;
  if (!priceOk) fail("offer.pricePerHour", "must be a price above $0 per hour");
  if (spec.offer.onDemandPricePerHour &&
      !(std::isfinite(*spec.offer.onDemandPricePerHour) && *spec.offer.onDemandPricePerHour > 0)) {
    fail("offer.onDemandPricePerHour", "must be a price above $0 per hour");
  }

  std::error_code ec;
  if (spec.codeDir.empty()) {
    fail("codeDir", "is empty: choose the folder with your training code");
  } else if (!fs::exists(spec.codeDir, ec)) {
    fail("codeDir", "folder " + spec.codeDir.string() + " does not exist");
  } else if (!fs::is_directory(spec.codeDir, ec)) {
    fail("codeDir", spec.codeDir.string() + " is not a folder");
  } else {
    // The same walk and ignore rules as the bundle that gets uploaded: what .spotwiseignore leaves
    // out does not count against the limit.
    agent::CodeBundleOptions bundle;
    bundle.maxBytes = limits.maxCodeBytes;
    if (auto scan = agent::scanCodeFolder(spec.codeDir, bundle); !scan) {
      if (scan.error().code == ErrorCode::InvalidArgument) {
        fail("codeDir", "folder holds more than the " + agent::formatBytes(limits.maxCodeBytes) +
                            " limit after its ignore rules: keep data sets in storage and list big files in .spotwiseignore");
      } else {
        fail("codeDir", "folder " + spec.codeDir.string() + " cannot be read (" + scan.error().message + ")");
      }
    }
  }

  bool blank = true;
  for (char c : spec.command) blank = blank && (c == ' ' || c == '\t' || c == '\n');
  if (blank) fail("command", "is empty: give the command that starts training (e.g. python3 train.py)");

  for (const auto& [key, value] : spec.environment) {
    const bool validName = !key.empty() && !std::isdigit(static_cast<unsigned char>(key[0])) &&
                           key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") ==
                               std::string::npos;
    if (!validName) fail("environment." + key, "is not a valid variable name");
    else if (key.starts_with("SPOTWISE_")) fail("environment." + key, "SPOTWISE_* variables are set by the agent");
  }

  if (spec.storage.empty()) {
    fail("storage", "is empty: give a bucket for checkpoints (s3://bucket/prefix, gs://..., az://..., local:///folder)");
  } else if (auto loc = parseStorageLocation(spec.storage); !loc) {
    fail("storage", loc.error().message.substr(std::string_view("storage: ").size()));
  } else if (providerKnown) {
    const std::string& p = spec.offer.provider;
    const std::string expected = p == "aws" ? "s3" : p == "gcp" ? "gs" : p == "azure" ? "az" : "local";
    if (loc->scheme != expected) {
      fail("storage", loc->scheme + ":// storage does not go with a " + p + " offer (use " + expected + "://)");
    }
  }

  if (!isKnownSignal(spec.checkpointSignal)) fail("checkpointSignal", "\"" + spec.checkpointSignal + "\" is not a signal the agent sends (SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGHUP, SIGQUIT)");
  if (spec.graceSeconds < 1 || spec.graceSeconds > 600) fail("graceSeconds", "must be between 1 and 600 seconds");
  if (spec.checkpointSyncSeconds < 5 || spec.checkpointSyncSeconds > 24 * 3600) {
    fail("checkpointSyncSeconds", "must be between 5 seconds and one day");
  }

  const auto& r = spec.recovery;
  if (r.maxAttempts < 1 || r.maxAttempts > 100) fail("recovery.maxAttempts", "must be between 1 and 100");
  if (r.moveAfterPreemptions < 1) fail("recovery.moveAfterPreemptions", "must be at least 1");
  if (r.onDemandAfterPreemptions < 0) fail("recovery.onDemandAfterPreemptions", "must be 0 (never) or more");
  if (r.onDemandAfterPreemptions > 0 && spec.offer.spot && !spec.offer.onDemandPricePerHour) {
    fail("recovery.onDemandAfterPreemptions", "needs offer.onDemandPricePerHour to fall back to on-demand");
  }
  if (r.maxCapacityRetries < 0 || r.maxCapacityRetries > 100) fail("recovery.maxCapacityRetries", "must be between 0 and 100");

  if (!std::isfinite(spec.budgetUsd) || spec.budgetUsd <= 0) {
    fail("budgetUsd", "must be a positive amount of dollars");
  } else if (priceOk && spec.budgetUsd < spec.offer.pricePerHour) {
    fail("budgetUsd", money(spec.budgetUsd) + " is below one hour of this offer (" + money(spec.offer.pricePerHour) +
                          "/h): raise the budget or pick a cheaper offer");
  }
  if (spec.maxRuntimeSeconds < 60) fail("maxRuntimeSeconds", "must be at least 60 seconds");
  if (spec.nodeCount != 1) fail("nodeCount", "multi-node jobs are not supported yet: use 1");
  return errors;
}

Result<void> checkJobSpec(const JobSpec& spec, const ValidationLimits& limits) {
  const auto errors = validateJobSpec(spec, limits);
  if (errors.empty()) return {};
  std::string message = "JobSpec: ";
  for (std::size_t i = 0; i < errors.size(); ++i) {
    message += (i ? "; " : "") + errors[i].field + ": " + errors[i].message;
  }
  return makeError(ErrorCode::InvalidArgument, message);
}

std::string serializeJobSpec(const JobSpec& spec) {
  json offer{{"provider", spec.offer.provider},         {"region", spec.offer.region},
             {"zone", spec.offer.zone},                 {"instanceType", spec.offer.instanceType},
             {"spot", spec.offer.spot},                 {"pricePerHour", spec.offer.pricePerHour},
             {"gpuModel", spec.offer.gpuModel},         {"gpuCount", spec.offer.gpuCount}};
  if (spec.offer.onDemandPricePerHour) offer["onDemandPricePerHour"] = *spec.offer.onDemandPricePerHour;
  const auto& r = spec.recovery;
  json root{{"format", kFormat},
            {"name", spec.name},
            {"offer", offer},
            {"image", spec.image},
            {"codeDir", spec.codeDir.string()},
            {"command", spec.command},
            {"environment", spec.environment},
            {"storage", spec.storage},
            {"checkpointSignal", spec.checkpointSignal},
            {"graceSeconds", spec.graceSeconds},
            {"checkpointSyncSeconds", spec.checkpointSyncSeconds},
            {"recovery",
             {{"sameRegionFirst", r.sameRegionFirst},
              {"moveAfterPreemptions", r.moveAfterPreemptions},
              {"onDemandAfterPreemptions", r.onDemandAfterPreemptions},
              {"maxAttempts", r.maxAttempts},
              {"maxCapacityRetries", r.maxCapacityRetries}}},
            {"budgetUsd", spec.budgetUsd},
            {"maxRuntimeSeconds", spec.maxRuntimeSeconds},
            {"nodeCount", spec.nodeCount}};
  return root.dump(2) + "\n";
}

Result<JobSpec> parseJobSpec(std::string_view text, const fs::path& baseDir) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for a number like 1e999
    return makeError(ErrorCode::InvalidArgument, std::string("JobSpec: not valid JSON: ") + e.what());
  }
  if (!root.is_object()) return makeError(ErrorCode::InvalidArgument, "JobSpec: the top level must be a JSON object");

  std::vector<std::string> errors;
  JobSpec spec;
  std::string format(kFormat);
  read(root, "format", format, "", errors);
  if (format != kFormat) errors.push_back("format: \"" + format + "\" is not " + std::string(kFormat));
  checkKeys(root,
            {"format", "name", "offer", "image", "codeDir", "command", "environment", "storage", "checkpointSignal",
             "graceSeconds", "checkpointSyncSeconds", "recovery", "budgetUsd", "maxRuntimeSeconds", "nodeCount"},
            "", errors);
  read(root, "name", spec.name, "", errors);
  if (const auto it = root.find("offer"); it == root.end() || !it->is_object()) {
    errors.emplace_back("offer: missing (an object with provider, region, instanceType, spot, pricePerHour)");
  } else {
    const json& o = *it;
    checkKeys(o, {"provider", "region", "zone", "instanceType", "spot", "pricePerHour", "onDemandPricePerHour",
                  "gpuModel", "gpuCount"},
              "offer.", errors);
    read(o, "provider", spec.offer.provider, "offer.", errors);
    read(o, "region", spec.offer.region, "offer.", errors);
    read(o, "zone", spec.offer.zone, "offer.", errors);
    read(o, "instanceType", spec.offer.instanceType, "offer.", errors);
    read(o, "spot", spec.offer.spot, "offer.", errors);
    read(o, "pricePerHour", spec.offer.pricePerHour, "offer.", errors);
    double onDemand = 0;
    if (o.contains("onDemandPricePerHour") && !o["onDemandPricePerHour"].is_null()) {
      read(o, "onDemandPricePerHour", onDemand, "offer.", errors);
      spec.offer.onDemandPricePerHour = onDemand;
    }
    read(o, "gpuModel", spec.offer.gpuModel, "offer.", errors);
    read(o, "gpuCount", spec.offer.gpuCount, "offer.", errors);
  }
  read(root, "image", spec.image, "", errors);
  std::string codeDir;
  read(root, "codeDir", codeDir, "", errors);
  spec.codeDir = codeDir;
  if (!codeDir.empty() && spec.codeDir.is_relative() && !baseDir.empty()) spec.codeDir = baseDir / spec.codeDir;
  read(root, "command", spec.command, "", errors);
  read(root, "environment", spec.environment, "", errors);
  read(root, "storage", spec.storage, "", errors);
  read(root, "checkpointSignal", spec.checkpointSignal, "", errors);
  read(root, "graceSeconds", spec.graceSeconds, "", errors);
  read(root, "checkpointSyncSeconds", spec.checkpointSyncSeconds, "", errors);
  if (const auto it = root.find("recovery"); it != root.end() && !it->is_null()) {
    if (!it->is_object()) {
      errors.emplace_back("recovery: must be an object");
    } else {
      checkKeys(*it, {"sameRegionFirst", "moveAfterPreemptions", "onDemandAfterPreemptions", "maxAttempts",
                      "maxCapacityRetries"},
                "recovery.", errors);
      read(*it, "sameRegionFirst", spec.recovery.sameRegionFirst, "recovery.", errors);
      read(*it, "moveAfterPreemptions", spec.recovery.moveAfterPreemptions, "recovery.", errors);
      read(*it, "onDemandAfterPreemptions", spec.recovery.onDemandAfterPreemptions, "recovery.", errors);
      read(*it, "maxAttempts", spec.recovery.maxAttempts, "recovery.", errors);
      read(*it, "maxCapacityRetries", spec.recovery.maxCapacityRetries, "recovery.", errors);
    }
  }
  read(root, "budgetUsd", spec.budgetUsd, "", errors);
  read(root, "maxRuntimeSeconds", spec.maxRuntimeSeconds, "", errors);
  read(root, "nodeCount", spec.nodeCount, "", errors);

  if (!errors.empty()) {
    std::string message = "JobSpec: ";
    for (std::size_t i = 0; i < errors.size(); ++i) message += (i ? "; " : "") + errors[i];
    return makeError(ErrorCode::InvalidArgument, message);
  }
  return spec;
}

Result<JobSpec> loadJobSpec(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return makeError(ErrorCode::NotFound, "LoadJobSpec: cannot open " + file.string());
  std::ostringstream buffer;
  buffer << in.rdbuf();
  auto spec = parseJobSpec(buffer.str(), file.parent_path());
  if (!spec) {
    Error e = spec.error();
    e.message = file.string() + ": " + e.message;
    return e;
  }
  return spec;
}

Result<void> saveJobSpec(const JobSpec& spec, const fs::path& file) {
  const fs::path temp = file.string() + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) return makeError(ErrorCode::PermissionDenied, "SaveJobSpec: cannot write " + temp.string());
    out << serializeJobSpec(spec);
    if (!out.flush()) return makeError(ErrorCode::DataLoss, "SaveJobSpec: error writing " + temp.string());
  }
  std::error_code ec;
  fs::rename(temp, file, ec);
  if (ec) return makeError(ErrorCode::PermissionDenied, "SaveJobSpec: cannot replace " + file.string() + ": " + ec.message());
  return {};
}

}  // namespace spotwise::jobs
