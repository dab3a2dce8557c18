#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/common/Result.h"
#include "core/http/HttpClient.h"

/**
 * AWS Signature Version 4 (header and presigned-URL variants), as specified in the AWS General
 * Reference and checked against the aws-c-auth v4 suite, botocore's aws4_testsuite, the S3 API
 * reference examples and botocore itself (tests/core/auth/aws).
 *
 * URL convention: `Request::url` is the URL as it goes on the wire (already percent-encoded).
 * For every service but S3 the canonical URI is that path with dot segments and repeated slashes
 * removed and then percent-encoded once more (AWS's "double encoding"); for S3 the path is only
 * brought to canonical encoding (decoded and re-encoded), never normalised.
 *
 * All functions are pure (apart from reading the clock when `nowUnix` is 0) and thread-safe.
 */
namespace spotwise::auth::aws {

/** Long-term (AKIA…) or temporary (ASIA… + session token) credentials. */
struct AwsCredentials {
  std::string accessKeyId;
  std::string secretAccessKey;
  std::string sessionToken;  ///< empty for long-term keys
};

struct SigV4Options {
  std::string region;   ///< e.g. "us-east-1"
  std::string service;  ///< signing name: "ec2", "s3", "pricing", "sts"
  /** Signing time in Unix seconds; 0 = now (system clock + clockSkewSeconds). */
  std::int64_t nowUnix = 0;
  /** S3 rules: no path normalisation, x-amz-content-sha256 header, UNSIGNED-PAYLOAD presigning. */
  bool s3 = false;
  /** Sign "UNSIGNED-PAYLOAD" instead of the body hash (sent as x-amz-content-sha256). */
  bool unsignedPayload = false;
  /** Overrides the path rule implied by `s3` (aws-c-auth's `normalize`). */
  std::optional<bool> normalizePath;
  /** Overrides whether an x-amz-content-sha256 header is added (aws-c-auth's `sign_body`). */
  std::optional<bool> contentSha256Header;
  /**
   * Whether the session token is part of the signature (the default, what every service Spotwise
   * calls expects) or added only after signing (a few services, aws "post-sts-header-after").
   */
  bool signSessionToken = true;
  /** Added to the system clock when nowUnix is 0: the offset learned from a skew error. */
  std::int64_t clockSkewSeconds = 0;
};

/** The intermediate strings of one signature, for tests and `spotwise-cli sign --verbose`. */
struct SigV4Trace {
  std::string canonicalRequest;
  std::string stringToSign;
  std::string signature;  ///< hex
};

/**
 * Signs `request` in place: adds Authorization, X-Amz-Date, X-Amz-Security-Token (with a session
 * token), x-amz-content-sha256 (S3 or unsigned payload) and Host when missing; replaces earlier
 * values of those. Every header present is signed except User-Agent, Expect and X-Amzn-Trace-Id.
 * InvalidArgument ("SigV4: ...") for missing credentials/region/service or an unusable URL.
 */
Result<void> signRequest(http::Request& request, const AwsCredentials& credentials,
                         const SigV4Options& options, SigV4Trace* trace = nullptr);

/**
 * A presigned URL for `request` (query signing): the request's URL with X-Amz-Algorithm,
 * X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Security-Token and
 * X-Amz-Signature added. Headers present in `request` are signed and must be sent with the URL.
 * The payload is UNSIGNED-PAYLOAD for S3 (or `unsignedPayload`), else the body's hash.
 * InvalidArgument as signRequest, and when `expires` is outside 1 s … 7 days.
 */
Result<std::string> presignUrl(const http::Request& request, const AwsCredentials& credentials,
                               const SigV4Options& options, std::chrono::seconds expires,
                               SigV4Trace* trace = nullptr);

/** The SigV4 signing key for one day/region/service (exposed for tests). */
std::string deriveSigningKey(std::string_view secretAccessKey, std::string_view date,
                             std::string_view region, std::string_view service);

/** "20150830T123600Z" for a Unix time. */
std::string amzDate(std::int64_t unixSeconds);

/**
 * Parses an HTTP-date ("Sun, 30 Aug 2015 12:36:00 GMT", what servers send in `Date`) to Unix
 * seconds; nullopt when malformed. Used to learn the clock offset after a skew error.
 */
std::optional<std::int64_t> parseHttpDate(std::string_view text);

/**
 * Whether an AWS error answer means our clock is off (RequestTimeTooSkewed,
 * RequestExpired, InvalidSignatureException/SignatureDoesNotMatch mentioning the time) and, if
 * so, the offset to add to our clock computed from the response's `Date` header.
 */
std::optional<std::int64_t> clockSkewFromResponse(const http::Response& response, std::int64_t localNowUnix);

}  // namespace spotwise::auth::aws
