#include "core/auth/aws/AwsConfig.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <csignal>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/auth/Url.h"
#include "core/common/Log.h"
#include "core/common/Time.h"

namespace spotwise::auth::aws {
namespace {

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::int64_t unixNow(std::int64_t fixed) {
  if (fixed) return fixed;
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string xmlDecode(std::string text) {
  static const std::pair<std::string_view, std::string_view> kEntities[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}};
  for (const auto& [entity, ch] : kEntities) {
    for (auto pos = text.find(entity); pos != std::string::npos; pos = text.find(entity, pos + ch.size()))
      text.replace(pos, entity.size(), ch);
  }
  return text;
}

/** The text of the first <tag>…</tag>; empty when absent. */
std::string xmlText(std::string_view body, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  const auto start = body.find(open);
  if (start == std::string_view::npos) return {};
  const auto end = body.find(close, start + open.size());
  if (end == std::string_view::npos) return {};
  return xmlDecode(std::string(body.substr(start + open.size(), end - start - open.size())));
}

struct Files {
  std::filesystem::path credentials;
  std::filesystem::path config;
};

Files awsFiles(const Environment& env) {
  Files files;
  const std::filesystem::path home = env("HOME").value_or("");
  files.credentials = env("AWS_SHARED_CREDENTIALS_FILE").value_or((home / ".aws/credentials").string());
  files.config = env("AWS_CONFIG_FILE").value_or((home / ".aws/config").string());
  return files;
}

/** Sections of a file; an absent file is empty, an unreadable or malformed one an error. */
Result<std::vector<IniSection>> readIni(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::vector<IniSection>{};
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(ErrorCode::PermissionDenied, "AWS credentials: " + path.string() + " cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parseAwsIni(text.str(), path.string());
}

struct Profile {
  std::map<std::string, std::string> values;
  std::string credentialsFile;  ///< set when the credentials file has the section
  bool found = false;
};

Profile findProfile(const std::vector<IniSection>& credentials, const std::vector<IniSection>& config,
                    const std::string& name, const Files& files) {
  Profile profile;
  // In config, every profile but default is written "[profile NAME]".
  for (const auto& section : config) {
    if (section.name == (name == "default" ? "default" : "profile " + name) ||
        (name == "default" && section.name == "profile default")) {
      for (const auto& [k, v] : section.values) profile.values[k] = v;
      profile.found = true;
    }
  }
  for (const auto& section : credentials) {
    if (section.name == name) {
      for (const auto& [k, v] : section.values) profile.values[k] = v;  // the credentials file wins
      profile.found = true;
      profile.credentialsFile = files.credentials.string();
    }
  }
  return profile;
}

std::string value(const Profile& profile, const std::string& key) {
  auto it = profile.values.find(key);
  return it == profile.values.end() ? std::string() : it->second;
}

Result<ResolvedAwsCredentials> fromCredentialProcess(const AwsResolverOptions& options, const std::string& command,
                                                     const std::string& profileName, const std::stop_token& stop) {
  const std::string where = "credential_process of profile '" + profileName + "'";
  if (!options.runProcess) return makeError(ErrorCode::FailedPrecondition, where + ": running processes is not available");
  auto output = options.runProcess(command, stop);
  if (!output) {
    Error error = output.error();
    error.message = where + ": " + error.message;
    return error;
  }
  const nlohmann::json doc = nlohmann::json::parse(*output, nullptr, false);
  if (!doc.is_object()) return makeError(ErrorCode::InvalidArgument, where + ": the output is not a JSON object");
  if (doc.value("Version", 0) != 1)
    return makeError(ErrorCode::InvalidArgument, where + ": unsupported \"Version\" (expected 1)");
  ResolvedAwsCredentials out;
  for (auto [field, target] : {std::pair{"AccessKeyId", &out.credentials.accessKeyId},
                               std::pair{"SecretAccessKey", &out.credentials.secretAccessKey}}) {
    if (!doc.contains(field) || !doc[field].is_string() || doc[field].get<std::string>().empty())
      return makeError(ErrorCode::InvalidArgument, where + ": the output has no \"" + field + "\"");
    *target = doc[field].get<std::string>();
  }
  if (doc.contains("SessionToken") && doc["SessionToken"].is_string()) out.credentials.sessionToken = doc["SessionToken"];
  if (doc.contains("Expiration") && doc["Expiration"].is_string()) {
    auto expires = parseIso8601Utc(doc["Expiration"].get<std::string>());
    if (!expires) return makeError(ErrorCode::InvalidArgument, where + ": \"Expiration\" is not an ISO 8601 UTC time");
    if (*expires <= unixNow(options.nowUnix))
      return makeError(ErrorCode::Unauthenticated, where + ": the credentials it returned expired at " +
                                                        doc["Expiration"].get<std::string>());
    out.expiresAtUnix = *expires;
  }
  out.source = "credential_process (profile " + profileName + ")";
  return out;
}

Result<ResolvedAwsCredentials> fromProfile(const AwsResolverOptions& options, const std::vector<IniSection>& credentials,
                                           const std::vector<IniSection>& config, const Files& files,
                                           const std::string& name, std::set<std::string>& visited,
                                           const std::stop_token& stop) {
  if (!visited.insert(name).second)
    return makeError(ErrorCode::InvalidArgument, "AWS profile '" + name + "': source_profile chain loops back to itself");
  const Profile profile = findProfile(credentials, config, name, files);
  if (!profile.found)
    return makeError(ErrorCode::InvalidArgument, "AWS profile '" + name + "' is not in " + files.credentials.string() +
                                                     " or " + files.config.string());
  const std::string region = value(profile, "region");
  if (const std::string roleArn = value(profile, "role_arn"); !roleArn.empty()) {
    const std::string sourceProfile = value(profile, "source_profile");
    if (sourceProfile.empty())
      return makeError(ErrorCode::InvalidArgument, "AWS profile '" + name + "': role_arn needs source_profile "
                                                   "(credential_source and web identity are not supported)");
    auto source = sourceProfile == name && !value(profile, "aws_access_key_id").empty()
                      ? [&]() -> Result<ResolvedAwsCredentials> {
                          ResolvedAwsCredentials self;
                          self.credentials = {value(profile, "aws_access_key_id"), value(profile, "aws_secret_access_key"),
                                              value(profile, "aws_session_token")};
                          return self;
                        }()
                      : fromProfile(options, credentials, config, files, sourceProfile, visited, stop);
    if (!source) return source.error();
    if (!options.client)
      return makeError(ErrorCode::FailedPrecondition, "AWS profile '" + name + "': assuming a role needs network access");
    const std::string stsRegion = region.empty() ? source->region : region;
    int duration = 3600;
    if (const std::string d = value(profile, "duration_seconds"); !d.empty()) {
      const auto [end, ec] = std::from_chars(d.data(), d.data() + d.size(), duration);
      if (ec != std::errc() || end != d.data() + d.size() || duration <= 0)
        return makeError(ErrorCode::InvalidArgument,
                         "AWS profile '" + name + "': duration_seconds '" + d + "' is not a positive whole number");
    }
    std::string sessionName = value(profile, "role_session_name");
    if (sessionName.empty()) sessionName = "spotwise-" + std::to_string(unixNow(options.nowUnix));
    auto assumed = assumeRole(*options.client, source->credentials, stsEndpoint(options.env, stsRegion),
                              stsRegion.empty() ? "us-east-1" : stsRegion, roleArn, sessionName,
                              value(profile, "external_id"), duration, stop);
    if (!assumed) {
      Error error = assumed.error();
      error.message = "AWS profile '" + name + "': " + error.message;
      return error;
    }
    assumed->source = "assume role " + roleArn + " (profile " + name + ")";
    assumed->region = stsRegion;
    return assumed;
  }
  const std::string key = value(profile, "aws_access_key_id");
  const std::string secret = value(profile, "aws_secret_access_key");
  if (!key.empty() || !secret.empty()) {
    if (key.empty() || secret.empty())
      return makeError(ErrorCode::InvalidArgument, "AWS profile '" + name + "': " +
                                                       (key.empty() ? "aws_access_key_id" : "aws_secret_access_key") +
                                                       " is missing");
    ResolvedAwsCredentials out;
    out.credentials = {key, secret, value(profile, "aws_session_token")};
    out.region = region;
    out.source = "profile " + name + " (" + (profile.credentialsFile.empty() ? files.config.string() : profile.credentialsFile) + ")";
    return out;
  }
  if (const std::string command = value(profile, "credential_process"); !command.empty()) {
    auto out = fromCredentialProcess(options, command, name, stop);
    if (out) out->region = region;
    return out;
  }
  if (!value(profile, "sso_session").empty() || !value(profile, "sso_start_url").empty())
    return makeError(ErrorCode::InvalidArgument, "AWS profile '" + name + "' uses IAM Identity Center (SSO), which Spotwise "
                                                 "does not support: use access keys, credential_process or a role");
  return makeError(ErrorCode::InvalidArgument, "AWS profile '" + name + "' has no credentials (aws_access_key_id, "
                                               "credential_process or role_arn)");
}

}  // namespace

Result<std::vector<IniSection>> parseAwsIni(std::string_view text, std::string_view source) {
  std::vector<IniSection> sections;
  int lineNumber = 0;
  std::size_t pos = 0;
  bool inNested = false;  // after "key =" with an empty value, indented lines are sub-settings
  while (pos <= text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++lineNumber;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    const std::string line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') {
      if (end == text.size()) break;
      continue;
    }
    const auto where = std::string(source) + ":" + std::to_string(lineNumber) + ": ";
    if (line.front() == '[') {
      if (line.back() != ']') return makeError(ErrorCode::InvalidArgument, where + "section header without ']'");
      IniSection section;
      section.name = trim(std::string_view(line).substr(1, line.size() - 2));
      // "[profile   dev]" → "profile dev"
      if (section.name.starts_with("profile ")) section.name = "profile " + trim(std::string_view(section.name).substr(8));
      if (section.name.empty()) return makeError(ErrorCode::InvalidArgument, where + "empty section name");
      section.line = lineNumber;
      sections.push_back(std::move(section));
      inNested = false;
    } else if (raw.front() == ' ' || raw.front() == '\t') {
      if (!inNested) return makeError(ErrorCode::InvalidArgument, where + "indented line outside a nested setting");
    } else {
      const auto eq = line.find('=');
      if (eq == std::string::npos)
        return makeError(ErrorCode::InvalidArgument, where + "expected 'key = value' or '[section]'");
      if (sections.empty()) return makeError(ErrorCode::InvalidArgument, where + "setting before any [section]");
      const std::string key = lower(trim(std::string_view(line).substr(0, eq)));
      std::string val = trim(std::string_view(line).substr(eq + 1));
      if (key.empty()) return makeError(ErrorCode::InvalidArgument, where + "empty key");
      inNested = val.empty();
      sections.back().values[key] = std::move(val);
    }
    if (end == text.size()) break;
  }
  return sections;
}

ProcessRunner systemProcessRunner() {
  return [](const std::string& command, const std::stop_token& stop) -> Result<std::string> {
    int out[2];
    if (pipe(out) != 0) return makeError(ErrorCode::Internal, "cannot create a pipe");
    const pid_t pid = fork();
    if (pid < 0) return makeError(ErrorCode::Internal, "cannot start a process");
    if (pid == 0) {
      dup2(out[1], STDOUT_FILENO);
      const int devnull = open("/dev/null", O_RDWR);
      dup2(devnull, STDERR_FILENO);
      dup2(devnull, STDIN_FILENO);
      close(out[0]);
      execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    std::string output;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    bool timedOut = false;
    char buffer[4096];
    while (true) {
      if (stop.stop_requested() || std::chrono::steady_clock::now() > deadline) {
        timedOut = true;
        kill(pid, SIGKILL);
        break;
      }
      pollfd fd{out[0], POLLIN, 0};
      if (poll(&fd, 1, 200) <= 0) continue;
      const ssize_t n = read(out[0], buffer, sizeof buffer);
      if (n <= 0) break;
      output.append(buffer, static_cast<std::size_t>(n));
      if (output.size() > 1024ull * 1024) {
        kill(pid, SIGKILL);
        break;
      }
    }
    close(out[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (timedOut) return makeError(stop.stop_requested() ? ErrorCode::Cancelled : ErrorCode::DeadlineExceeded,
                                   "the command did not finish within 60 s");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      return makeError(ErrorCode::Unauthenticated, "the command failed (exit status " +
                                                       std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
    return output;
  };
}

Result<ResolvedAwsCredentials> resolveAwsCredentials(const AwsResolverOptions& options,
                                                     const std::optional<std::string>& explicitProfile,
                                                     const std::stop_token& stop) {
  const Environment& env = options.env;
  std::string region = env("AWS_REGION").value_or(env("AWS_DEFAULT_REGION").value_or(""));
  if (!explicitProfile) {
    const auto key = env("AWS_ACCESS_KEY_ID");
    const auto secret = env("AWS_SECRET_ACCESS_KEY");
    if (key && secret) {
      ResolvedAwsCredentials out;
      out.credentials = {*key, *secret, env("AWS_SESSION_TOKEN").value_or("")};
      out.region = region;
      out.source = "environment";
      registerSecret(out.credentials.secretAccessKey);
      registerSecret(out.credentials.sessionToken);
      return out;
    }
    if (key || secret)
      return makeError(ErrorCode::InvalidArgument, std::string("AWS credentials: ") +
                                                       (key ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID") +
                                                       " is not set but " + (key ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY") + " is");
  }
  const Files files = awsFiles(env);
  auto credentials = readIni(files.credentials);
  if (!credentials) return credentials.error();
  auto config = readIni(files.config);
  if (!config) return config.error();
  const std::string name = explicitProfile.value_or(env("AWS_PROFILE").value_or("default"));
  if (!explicitProfile && !env("AWS_PROFILE") && credentials->empty() && config->empty())
    return makeError(ErrorCode::NotFound, "no AWS credentials: AWS_ACCESS_KEY_ID is not set and neither " +
                                              files.credentials.string() + " nor " + files.config.string() + " exists");
  std::set<std::string> visited;
  auto resolved = fromProfile(options, *credentials, *config, files, name, visited, stop);
  if (!resolved) return resolved.error();
  registerSecret(resolved->credentials.secretAccessKey);
  registerSecret(resolved->credentials.sessionToken);
  resolved->profile = name;
  if (!region.empty()) resolved->region = region;  // the environment overrides the profile's region
  return resolved;
}

Result<std::vector<std::string>> listAwsProfiles(const Environment& env) {
  const Files files = awsFiles(env);
  auto credentials = readIni(files.credentials);
  if (!credentials) return credentials.error();
  auto config = readIni(files.config);
  if (!config) return config.error();
  std::vector<std::string> names;
  auto add = [&](const std::string& n) {
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  };
  for (const auto& s : *credentials) add(s.name);
  for (const auto& s : *config) {
    if (s.name == "default") add(s.name);
    else if (s.name.starts_with("profile ")) add(s.name.substr(8));
  }
  return names;
}

std::string stsEndpoint(const Environment& env, const std::string& region) {
  if (auto url = env("AWS_ENDPOINT_URL_STS")) return *url;
  if (auto url = env("AWS_ENDPOINT_URL")) return *url;
  return region.empty() ? "https://sts.amazonaws.com" : "https://sts." + region + ".amazonaws.com";
}

Error awsErrorFromResponse(std::string_view operation, const http::Response& response) {
  std::string code = xmlText(response.body, "Code");
  std::string message = xmlText(response.body, "Message");
  if (code.empty()) {
    const nlohmann::json doc = nlohmann::json::parse(response.body, nullptr, false);
    if (doc.is_object()) {
      code = doc.value("__type", doc.value("code", ""));
      if (const auto hash = code.rfind('#'); hash != std::string::npos) code = code.substr(hash + 1);
      message = doc.value("message", doc.value("Message", ""));
    }
  }
  if (message.size() > 300) message.resize(300);
  ErrorCode errorCode = ErrorCode::InvalidArgument;
  static const std::set<std::string> kAuth = {"InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken",
                                              "InvalidAccessKeyId", "AuthFailure", "IncompleteSignature",
                                              "MissingAuthenticationToken", "RequestExpired", "UnrecognizedClientException",
                                              "InvalidSignatureException", "ExpiredTokenException", "RequestTimeTooSkewed"};
  if (kAuth.contains(code) || response.status == 401) errorCode = ErrorCode::Unauthenticated;
  else if (code == "AccessDenied" || code == "UnauthorizedOperation" || code == "AccessDeniedException" || response.status == 403)
    errorCode = ErrorCode::PermissionDenied;
  else if (code == "Throttling" || code == "ThrottlingException" || code == "RequestLimitExceeded" || response.status == 429)
    errorCode = ErrorCode::ResourceExhausted;
  else if (response.status >= 500) errorCode = ErrorCode::Unavailable;
  else if (response.status == 404) errorCode = ErrorCode::NotFound;
  std::string text = std::string(operation) + ": HTTP " + std::to_string(response.status);
  if (!code.empty()) text += ", " + code;
  if (!message.empty()) text += ": " + message;
  Error error = makeError(errorCode, text);
  error.httpStatus = response.status;
  error.providerCode = code;
  return error;
}

Result<http::Response> sendSigned(http::HttpClient& client, const http::Request& request,
                                  const AwsCredentials& credentials, SigV4Options options, const std::function<std::int64_t()>& clock) {
  const bool fixedTime = options.nowUnix != 0;
  std::int64_t skew = options.clockSkewSeconds;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const std::int64_t localNow = clock ? clock() : unixNow(0);
    if (!fixedTime) options.nowUnix = localNow + skew;
    http::Request signedRequest = request;
    if (auto ok = signRequest(signedRequest, credentials, options); !ok) return ok.error();
    auto response = client.send(signedRequest);
    if (!response || attempt == 1 || fixedTime) return response;
    auto learned = clockSkewFromResponse(*response, localNow);
    if (!learned) return response;
    skew = *learned;  // learned from the server's Date; retried once
  }
  return makeError(ErrorCode::Internal, "sendSigned: unreachable");
}

namespace {

Result<std::string> stsCall(http::HttpClient& client, const AwsCredentials& credentials, const std::string& endpoint,
                            const std::string& region, const std::string& operation, const std::string& body,
                            const std::stop_token& stop, const std::function<std::int64_t()>& clock = {}) {
  http::Request request;
  request.method = "POST";
  request.url = endpoint;
  if (auto url = parseUrl(endpoint); url && url->path.empty()) request.url += "/";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.body = body;
  request.stop = stop;
  request.timeout = std::chrono::seconds(30);
  SigV4Options options;
  options.region = region.empty() ? "us-east-1" : region;
  options.service = "sts";
  auto response = sendSigned(client, request, credentials, options, clock);
  const std::string op = "STS " + operation + " at " + endpoint;
  if (!response) {
    Error error = response.error();
    error.message = op + ": " + error.message;
    return error;
  }
  if (response->status < 200 || response->status >= 300) return awsErrorFromResponse(op, *response);
  return response->body;
}

}  // namespace

Result<CallerIdentity> getCallerIdentity(http::HttpClient& client, const AwsCredentials& credentials,
                                         const std::string& endpoint, const std::string& region, const std::stop_token& stop,
                                         const std::function<std::int64_t()>& clock) {
  auto body = stsCall(client, credentials, endpoint, region, "GetCallerIdentity",
                      "Action=GetCallerIdentity&Version=2011-06-15", stop, clock);
  if (!body) return body.error();
  CallerIdentity identity{xmlText(*body, "Account"), xmlText(*body, "Arn"), xmlText(*body, "UserId")};
  if (identity.arn.empty()) return makeError(ErrorCode::DataLoss, "STS GetCallerIdentity: the answer has no Arn");
  return identity;
}

Result<ResolvedAwsCredentials> assumeRole(http::HttpClient& client, const AwsCredentials& source, const std::string& endpoint,
                                          const std::string& region, const std::string& roleArn,
                                          const std::string& sessionName, const std::string& externalId,
                                          int durationSeconds, const std::stop_token& stop) {
  std::string form = "Action=AssumeRole&Version=2011-06-15&RoleArn=" + uriEncode(roleArn) +
                     "&RoleSessionName=" + uriEncode(sessionName) + "&DurationSeconds=" + std::to_string(durationSeconds);
  if (!externalId.empty()) form += "&ExternalId=" + uriEncode(externalId);
  auto body = stsCall(client, source, endpoint, region, "AssumeRole", form, stop);
  if (!body) return body.error();
  ResolvedAwsCredentials out;
  out.credentials = {xmlText(*body, "AccessKeyId"), xmlText(*body, "SecretAccessKey"), xmlText(*body, "SessionToken")};
  if (out.credentials.accessKeyId.empty() || out.credentials.secretAccessKey.empty())
    return makeError(ErrorCode::DataLoss, "STS AssumeRole: the answer has no credentials");
  if (auto expires = parseIso8601Utc(xmlText(*body, "Expiration"))) out.expiresAtUnix = *expires;
  return out;
}

}  // namespace spotwise::auth::aws
