#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/auth/TokenSource.h"
#include "core/cloud/Provider.h"
#include "core/common/Result.h"
#include "core/http/HttpClient.h"
#include "core/http/Retry.h"

namespace spotwise::cloud {

/**
 * How a provider talks HTTP: the client, the retry policy, and the sleeper and clock the retry
 * loop waits with (tests inject fakes so they never sleep). Non-owning; every pointer must
 * outlive the provider that holds the Transport.
 */
struct Transport {
  http::HttpClient* client = nullptr;
  http::RetryPolicy retry;
  http::Sleeper* sleeper = nullptr;
  const http::SteadyClock* clock = nullptr;
  /** Upper bound of one attempt (the call's deadline may cut it shorter). */
  std::chrono::milliseconds attemptTimeout{std::chrono::seconds(30)};
  /** Fails an attempt whose response stops flowing for this long. */
  std::chrono::milliseconds stallTimeout{std::chrono::seconds(15)};
  std::uint64_t jitterSeed = 0;  ///< 0: random
};

/** A Transport on `client` with the real sleeper and clock (process-wide instances). */
Transport realTransport(http::HttpClient& client);

/** Builds (and signs) a fresh request for each attempt, so each carries a fresh signature date. */
using RequestFactory = std::function<Result<http::Request>()>;
/** Turns a non-2xx response into the provider's Error (its error document parsed). */
using ErrorMapper = std::function<Error(std::string_view operation, const http::Response& response)>;

/** Checks a 2xx response (e.g. that it is the API's document, not a proxy's page); an Error fails the attempt. */
using ResponseCheck = std::function<std::optional<Error>(std::string_view operation, const http::Response& response)>;

/**
 * Recovery from a refused credential, given the failed non-2xx response and its mapped Error:
 * returns true when it changed what the next request will carry (a clock offset learned from the
 * server's Date after a skew error, a refused cached bearer token dropped so that a fresh one is
 * fetched). The request is then built and sent once more at once, outside the retry budget (it is
 * not a transient failure). Once it has returned true it is not called again in the same call, so
 * a refused fresh credential fails.
 */
using AuthRecovery = std::function<bool(const http::Response& response, const Error& error)>;

/**
 * One API call with retries: each attempt gets a request from `build`, with a timeout of
 * min(attemptTimeout, time left before options.deadline) and options.stop as its stop token.
 * A non-2xx response becomes `mapError`'s Error (Retry-After kept); a 2xx response that `check`
 * rejects fails the attempt with check's Error (Unavailable: a garbled answer is worth retrying).
 * `isSuccess` widens what counts as success (GCS answers 308 to a resumable chunk).
 * A transport failure that cut a body short (DataLoss) counts as Unavailable: the next attempt
 * may get the whole body.
 * Retried per transport.retry while isTransient() says so; NonIdempotent calls are tried once
 * (callers make a mutation Idempotent only when it carries an idempotency token).
 * DeadlineExceeded when the deadline passes, Cancelled when stopped. `recover` (see AuthRecovery)
 * may turn one refused-credential answer into one immediate resend.
 */
Result<http::Response> callWithRetry(const Transport& transport, std::string_view operation,
                                     http::Idempotency idempotency, const CallOptions& options,
                                     const RequestFactory& build, const ErrorMapper& mapError,
                                     const ResponseCheck& check = {},
                                     const std::function<bool(int status)>& isSuccess = {},
                                     const AuthRecovery& recover = {});

/**
 * A ResponseCheck for JSON APIs: a non-empty body that is not JSON fails the attempt with
 * Unavailable ("<operation>: the response is not JSON").
 */
std::optional<Error> requireJson(std::string_view operation, const http::Response& response);

/**
 * callWithRetry for a JSON API that takes an OAuth bearer token (Azure Resource Manager, Compute
 * Engine): each attempt sends `request` with `Authorization: Bearer <token>`, the token fetched
 * from `tokens` then (with options.stop), and `Content-Type: application/json`. A 2xx body that is
 * not JSON fails the attempt (requireJson); a token the API refuses is dropped from `tokens` and
 * the call sent once more with a fresh one (auth::dropRefusedToken). `tokens` must outlive the call.
 */
Result<http::Response> callWithBearerToken(const Transport& transport, auth::TokenSource& tokens,
                                           std::string_view operation, const http::Request& request,
                                           http::Idempotency idempotency, const CallOptions& options,
                                           const ErrorMapper& mapError);

/** What one look at a long-running operation found. */
struct OperationPoll {
  bool done = false;
  std::string state;                  ///< the provider's word for where it stands ("InProgress")
  std::chrono::milliseconds next{0};  ///< wait before the next look; 0 when the look itself waited (server-side)
};

/**
 * Follows a long-running operation: calls `poll` until it reports done, waiting OperationPoll::next
 * on transport.sleeper between looks, and returns the last look. That look is not done when the
 * time ran out first (min(options.deadline, now + maxWait), or 10000 looks): what that means is the
 * caller's to say. Cancelled ("<operation>: cancelled") when options.stop is requested; an Error
 * from `poll` (a failed call, a failed operation) is returned as it is.
 */
Result<OperationPoll> pollUntilDone(const Transport& transport, std::string_view operation,
                                    std::chrono::milliseconds maxWait, const CallOptions& options,
                                    const std::function<Result<OperationPoll>()>& poll);

}  // namespace spotwise::cloud
