#include "core/common/Log.h"

#include <algorithm>
#include <cctype>
#include <iostream>
#include <mutex>
#include <regex>
#include <set>

namespace spotwise {
namespace {

constexpr std::string_view kMask = "[REDACTED]";

struct State {
  std::mutex mutex;
  LogSink sink;
  std::set<std::string> secrets;
};

State& state() {
  static State s;
  return s;
}

void defaultSink(LogLevel level, std::string_view message) {
  if (level < LogLevel::Warning) return;
  std::cerr << "spotwise: " << message << '\n';
}

struct Rule {
  std::regex pattern;
  std::string replacement;
};

const std::vector<Rule>& rules() {
  using std::regex_constants::icase;
  using std::regex_constants::ECMAScript;
  static const std::vector<Rule> kRules = [] {
    std::vector<Rule> r;
    auto add = [&](const char* pattern, const char* replacement) {
      r.push_back({std::regex(pattern, ECMAScript | icase), replacement});
    };
    // PEM private keys (any kind).
    add(R"re(-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----)re", "-----BEGIN $1PRIVATE KEY-----[REDACTED]-----END $1PRIVATE KEY-----");
    // HTTP header lines (also "Name: value" inside error texts).
    add(R"re(((?:^|[\r\n{,"\s])(?:authorization|proxy-authorization|x-amz-security-token|x-goog-api-key|ocp-apim-subscription-key|x-ms-copy-source-authorization|cookie|set-cookie)"?\s*[:=]\s*"?)[^"\r\n]*)re", "$1[REDACTED]");
    // SigV4 signatures, credentials in query strings and SAS.
    add(R"re(((?:x-amz-)?signature=)[0-9a-f]{16,})re", "$1[REDACTED]");
    add(R"re(((?:^|[?&\s"])(?:x-amz-security-token|sig|key|api_key|apikey|client_secret|client_assertion|assertion|refresh_token|access_token|id_token|code|password)=)[^&\s"']+)re", "$1[REDACTED]");
    // JSON and XML fields.
    add(R"re(("(?:access_token|refresh_token|id_token|client_secret|private_key|secretaccesskey|sessiontoken|token|secret|password|accountkey|account_key|apikey|api_key)"\s*:\s*")((?:[^"\\]|\\.)*)")re", "$1[REDACTED]\"");
    add(R"re((<(SecretAccessKey|SessionToken|Token|Password)>)[^<]*(</\2>))re", "$1[REDACTED]$3");
    // Bearer tokens and SharedKey signatures anywhere.
    add(R"re((\bBearer\s+)[A-Za-z0-9\-._~+/]+=*)re", "$1[REDACTED]");
    add(R"re((\bSharedKey(?:Lite)?\s+[A-Za-z0-9]+:)[A-Za-z0-9+/=]+)re", "$1[REDACTED]");
    // INI credential lines and environment assignments.
    add(R"re(((?:aws_secret_access_key|aws_session_token|aws_security_token|azure_client_secret|azure_storage_key)\s*[=:]\s*)\S+)re", "$1[REDACTED]");
    // Azure storage connection strings.
    add(R"re((AccountKey=)[^;\s"]+)re", "$1[REDACTED]");
    return r;
  }();
  return kRules;
}

}  // namespace

void setLogSink(LogSink sink) {
  std::lock_guard lock(state().mutex);
  state().sink = std::move(sink);
}

void resetLogSink() { setLogSink({}); }

void registerSecret(std::string_view secret) {
  if (secret.size() < 8) return;  // short values would mask ordinary words
  // Also as it appears inside a URL (a SAS signature is base64: '+', '/' and '=' get encoded).
  std::string encoded;
  for (const char c : secret) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      encoded += c;
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      encoded += '%';
      encoded += kHex[u >> 4];
      encoded += kHex[u & 0xF];
    }
  }
  std::lock_guard lock(state().mutex);
  state().secrets.insert(std::string(secret));
  if (encoded != secret) state().secrets.insert(std::move(encoded));
}

std::string redactRegisteredSecrets(std::string_view text) {
  std::string out(text);
  std::lock_guard lock(state().mutex);
  for (const auto& secret : state().secrets) {
    for (auto pos = out.find(secret); pos != std::string::npos; pos = out.find(secret, pos + kMask.size()))
      out.replace(pos, secret.size(), kMask);
  }
  return out;
}

std::string redactSecrets(std::string_view text) {
  std::string out = redactRegisteredSecrets(text);
  for (const auto& rule : rules()) out = std::regex_replace(out, rule.pattern, rule.replacement);
  return out;
}

void logMessage(LogLevel level, std::string_view message) {
  const std::string clean = redactSecrets(message);
  LogSink sink;
  {
    std::lock_guard lock(state().mutex);
    sink = state().sink;
  }
  if (sink) sink(level, clean);
  else defaultSink(level, clean);
}

}  // namespace spotwise
