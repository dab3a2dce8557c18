#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "core/auth/aws/SigV4.h"
#include "core/common/Result.h"
#include "core/http/HttpClient.h"

/**
 * AWS credentials from where the AWS CLI finds them, in its order: an explicit profile, else the
 * AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY(/AWS_SESSION_TOKEN) environment variables, else the
 * profile named by AWS_PROFILE (or "default") in ~/.aws/credentials and ~/.aws/config
 * (AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE override the paths). A profile may hold static
 * keys, a `credential_process`, or `role_arn` + `source_profile` (STS AssumeRole). Region:
 * AWS_REGION, AWS_DEFAULT_REGION, then the profile's `region`.
 */
namespace spotwise::auth::aws {

/** One section of an INI-style AWS file; keys lower-cased. */
struct IniSection {
  std::string name;
  int line = 0;
  std::map<std::string, std::string> values;
};

/**
 * Parses an AWS credentials/config file. InvalidArgument "FILE:LINE: ..." for a line that is
 * neither a section, a comment, `key = value`, nor an indented sub-setting.
 */
Result<std::vector<IniSection>> parseAwsIni(std::string_view text, std::string_view source);

/** Environment lookup, injected for tests. */
using Environment = std::function<std::optional<std::string>(const std::string&)>;

/** Runs `credential_process` commands: returns stdout, or an error naming the command's failure. */
using ProcessRunner = std::function<Result<std::string>(const std::string& command, const std::stop_token& stop)>;
/** The real runner: /bin/sh -c with a 60 s deadline; stderr is discarded (it may echo secrets). */
ProcessRunner systemProcessRunner();

/** Resolved credentials and where they came from (shown in the Accounts page; never the secret). */
struct ResolvedAwsCredentials {
  AwsCredentials credentials;
  std::string region;         ///< empty when nothing names one
  std::string source;         ///< "environment", "profile dev (/home/u/.aws/credentials)", "credential_process (profile p)", "assume role ARN (profile p)"
  std::string profile;        ///< the profile used, if any
  std::optional<std::int64_t> expiresAtUnix;  ///< temporary credentials
};

struct AwsResolverOptions {
  Environment env;
  /** For role assumption (STS); may be null, then a role profile is an error. */
  http::HttpClient* client = nullptr;
  ProcessRunner runProcess;
  std::int64_t nowUnix = 0;  ///< 0 = system clock
};

/**
 * Resolves credentials. `profile` (e.g. from --profile) overrides environment keys and AWS_PROFILE.
 * Errors: NotFound ("no AWS credentials: ..."), InvalidArgument naming the file and line or the
 * profile ("profile 'x' is not in ~/.aws/credentials or ~/.aws/config"), Unauthenticated from
 * STS or for expired credential_process output, plus transport errors from STS.
 */
Result<ResolvedAwsCredentials> resolveAwsCredentials(const AwsResolverOptions& options,
                                                     const std::optional<std::string>& profile = std::nullopt,
                                                     const std::stop_token& stop = {});

/** The profiles present in the two files (credentials first), for the Accounts page import. */
Result<std::vector<std::string>> listAwsProfiles(const Environment& env);

/** Identity returned by STS GetCallerIdentity. */
struct CallerIdentity {
  std::string account;
  std::string arn;
  std::string userId;
};

/**
 * STS endpoint for a region: AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL when set (moto, LocalStack),
 * else https://sts.REGION.amazonaws.com (https://sts.amazonaws.com without a region).
 */
std::string stsEndpoint(const Environment& env, const std::string& region);

/** STS GetCallerIdentity ("Test connection"). Errors name "STS GetCallerIdentity" and the AWS error code. */
Result<CallerIdentity> getCallerIdentity(http::HttpClient& client, const AwsCredentials& credentials,
                                         const std::string& endpoint, const std::string& region,
                                         const std::stop_token& stop = {},
                                         const std::function<std::int64_t()>& clock = {});

/** STS AssumeRole: temporary credentials for `roleArn`, expiry in `expiresAtUnix`. */
Result<ResolvedAwsCredentials> assumeRole(http::HttpClient& client, const AwsCredentials& source,
                                          const std::string& endpoint, const std::string& region,
                                          const std::string& roleArn, const std::string& sessionName,
                                          const std::string& externalId, int durationSeconds,
                                          const std::stop_token& stop = {});

/**
 * Turns an AWS error answer (XML Query-API or JSON) into an Error: 400/401/403 with
 * InvalidClientTokenId, SignatureDoesNotMatch, ExpiredToken... → Unauthenticated,
 * AccessDenied/UnauthorizedOperation → PermissionDenied, throttling → ResourceExhausted,
 * 5xx → Unavailable. The message is "OPERATION: HTTP n, Code: Message".
 */
Error awsErrorFromResponse(std::string_view operation, const http::Response& response);

/**
 * Sends a SigV4-signed request; on a clock-skew answer (RequestTimeTooSkewed, "Signature expired")
 * re-signs once with the offset learned from the server's Date header. `clock` is our clock
 * (system clock by default; injected by tests).
 */
Result<http::Response> sendSigned(http::HttpClient& client, const http::Request& request,
                                  const AwsCredentials& credentials, SigV4Options options, const std::function<std::int64_t()>& clock = {});

}  // namespace spotwise::auth::aws
