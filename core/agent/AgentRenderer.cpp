#include "core/agent/AgentRenderer.h"

#include <archive.h>
#include <archive_entry.h>

#include <memory>

namespace spotwise::agent {
namespace embedded {
std::string_view agentPython();       // resources/agent/spotwise_agent.py (EmbedFile.cmake)
std::string_view bootstrapTemplate();  // resources/agent/bootstrap.sh
}  // namespace embedded

namespace {

void replaceAll(std::string& text, std::string_view from, std::string_view to) {
  for (std::size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
}

struct ArchiveWriteDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};

}  // namespace

std::string_view agentPythonSource() { return embedded::agentPython(); }

std::size_t startupScriptLimit(std::string_view provider) {
  if (provider == "aws") return std::size_t{16} * 1024;
  if (provider == "gcp") return std::size_t{256} * 1024;
  if (provider == "azure") return 65535;
  if (provider == "local") return std::size_t{1024} * 1024;
  return 0;
}

std::string base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> gzipBytes(std::string_view bytes) {
  std::unique_ptr<archive, ArchiveWriteDeleter> a(archive_write_new());
  if (!a) return makeError(ErrorCode::Internal, "Gzip: archive_write_new failed");
  std::string out;
  auto fail = [&](const char* what) {
    return makeError(ErrorCode::Internal, std::string("Gzip: ") + what + ": " + (archive_error_string(a.get()) ? archive_error_string(a.get()) : "?"));
  };
  if (archive_write_add_filter_gzip(a.get()) != ARCHIVE_OK) return fail("gzip filter");
  // A reproducible stream: no modification time in the gzip header.
  if (archive_write_set_filter_option(a.get(), "gzip", "timestamp", nullptr) < ARCHIVE_WARN) return fail("timestamp option");
  if (archive_write_set_format_raw(a.get()) != ARCHIVE_OK) return fail("raw format");
  archive_write_set_bytes_in_last_block(a.get(), 1);
  auto writer = [](archive*, void* client, const void* buffer, size_t length) -> la_ssize_t {
    static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
    return static_cast<la_ssize_t>(length);
  };
  if (archive_write_open(a.get(), &out, nullptr, writer, nullptr) != ARCHIVE_OK) return fail("open");
  std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), archive_entry_free);
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_size(entry.get(), static_cast<la_int64_t>(bytes.size()));
  if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK) return fail("header");
  if (!bytes.empty() && archive_write_data(a.get(), bytes.data(), bytes.size()) < 0) return fail("data");
  if (archive_write_close(a.get()) != ARCHIVE_OK) return fail("close");
  return out;
}

Result<RenderedAgent> renderStartupScript(const AgentConfig& config) {
  auto json = toAgentJson(config);
  if (!json) return json.error();
  std::string agent(agentPythonSource());
  if (agent.find("\nSPOTWISE_AGENT_EOF") != std::string::npos || agent.find("@CONFIG_JSON@") != std::string::npos)
    return makeError(ErrorCode::Internal, "RenderAgent: the agent source contains the bootstrap's delimiter");
  if (!agent.empty() && agent.back() == '\n') agent.pop_back();
  // Backstop for the dead-man's switch when python itself dies: the agent's own limit plus 10 min.
  std::int64_t backstopMinutes = 0;
  if (config.maxRuntimeSeconds > 0) backstopMinutes = (config.maxRuntimeSeconds + config.graceSeconds) / 60 + 10;

  std::string script(embedded::bootstrapTemplate());
  replaceAll(script, "@JOB_ID@", config.jobId);
  replaceAll(script, "@ATTEMPT@", std::to_string(config.attempt));
  // Local instances run on the user's own computer: never power that off, whatever the config says.
  replaceAll(script, "@POWER_OFF@", config.powerOff && config.provider != "local" ? "1" : "0");
  replaceAll(script, "@BACKSTOP_MINUTES@", std::to_string(backstopMinutes));
  replaceAll(script, "@AGENT_PY@", agent);
  replaceAll(script, "@CONFIG_JSON@", *json);  // last: user text is never scanned for placeholders

  RenderedAgent rendered;
  rendered.limitBytes = startupScriptLimit(config.provider);
  rendered.target = config.provider == "aws"   ? "user-data"
                    : config.provider == "gcp" ? "startup-script"
                    : config.provider == "azure" ? "customData"
                                                 : "local script";
  if (config.provider == "aws") {
    // AWS counts user-data before base64 and allows 16 KB: cloud-init takes gzip-compressed
    // user-data and decompresses it before running the script.
    auto packed = gzipBytes(script);
    if (!packed) return packed.error();
    script = std::move(*packed);
    rendered.gzipped = true;
  }
  if (script.size() > rendered.limitBytes) {
    return makeError(ErrorCode::ResourceExhausted,
                     "RenderAgent: the " + std::string(rendered.target) + " for " + config.provider + " is " +
                         std::to_string(script.size()) + " bytes, over the provider's limit of " +
                         std::to_string(rendered.limitBytes) + " bytes (shorten the command or environment)");
  }
  rendered.script = std::move(script);
  return rendered;
}

}  // namespace spotwise::agent
