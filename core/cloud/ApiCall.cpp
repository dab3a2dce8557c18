#include "core/cloud/ApiCall.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace spotwise::cloud {

Transport realTransport(http::HttpClient& client) {
  static http::RealSleeper sleeper;
  static const http::RealSteadyClock clock;
  Transport transport;
  transport.client = &client;
  transport.sleeper = &sleeper;
  transport.clock = &clock;
  return transport;
}

Result<http::Response> callWithRetry(const Transport& transport, std::string_view operation,
                                     http::Idempotency idempotency, const CallOptions& options,
                                     const RequestFactory& build, const ErrorMapper& mapError,
                                     const ResponseCheck& check, const std::function<bool(int status)>& isSuccess,
                                     const AuthRecovery& recover) {
  using namespace std::chrono;
  const std::string op(operation);
  http::RetryContext context(*transport.sleeper, *transport.clock,
                             transport.jitterSeed ? transport.jitterSeed : std::random_device{}(), options.stop);
  // Retries must not outlive the caller's deadline either.
  http::RetryPolicy policy = transport.retry;
  const auto budget = duration_cast<milliseconds>(options.deadline - steady_clock::now());
  policy.maxElapsed = std::min(policy.maxElapsed, std::max(budget, milliseconds(0)));

  bool recovered = false;  // at most one resend after a refused credential per call
  std::function<Result<http::Response>()> attempt;
  attempt = [&]() -> Result<http::Response> {
    if (options.stop.stop_requested()) return makeError(ErrorCode::Cancelled, op + ": cancelled");
    const auto left = duration_cast<milliseconds>(options.deadline - steady_clock::now());
    if (left <= milliseconds(0)) return makeError(ErrorCode::DeadlineExceeded, op + ": deadline passed");
    auto request = build();
    if (!request) return request.error();
    request->timeout = std::min(transport.attemptTimeout, left);
    request->stallTimeout = std::min(transport.stallTimeout, request->timeout);
    request->stop = options.stop;
    auto response = transport.client->send(*request);
    if (!response) {
      Error e = response.error();
      if (e.code == ErrorCode::DataLoss && e.message.find("truncated") != std::string::npos)
        e.code = ErrorCode::Unavailable;
      if (!e.message.starts_with(op)) e.message = op + ": " + e.message;
      return e;
    }
    if ((response->status >= 200 && response->status < 300) || (isSuccess && isSuccess(response->status))) {
      if (check)
        if (auto bad = check(op, *response)) return *bad;
      return response;
    }
    Error e = mapError(op, *response);
    if (recover && !recovered && (response->status == 400 || response->status == 401 || response->status == 403)) {
      if (recover(*response, e)) {
        recovered = true;
        return attempt();
      }
    }
    if (!e.retryAfter)
      if (auto generic = http::errorFromResponse(op, *response)) e.retryAfter = generic->retryAfter;
    return e;
  };
  return http::retryCall<http::Response>(policy, idempotency, context, attempt);
}

std::optional<Error> requireJson(std::string_view operation, const http::Response& response) {
  if (response.body.empty() || nlohmann::json::accept(response.body)) return std::nullopt;
  return makeError(ErrorCode::Unavailable, std::string(operation) + ": the response is not JSON");
}

Result<http::Response> callWithBearerToken(const Transport& transport, auth::TokenSource& tokens,
                                           std::string_view operation, const http::Request& request,
                                           http::Idempotency idempotency, const CallOptions& options,
                                           const ErrorMapper& mapError) {
  std::string usedToken;
  return callWithRetry(
      transport, operation, idempotency, options,
      [&]() -> Result<http::Request> {
        auto token = tokens.accessToken(options.stop);
        if (!token) return token.error();
        usedToken = *token;
        http::Request attempt = request;
        attempt.headers.emplace_back("Authorization", "Bearer " + *token);
        attempt.headers.emplace_back("Content-Type", "application/json");
        return attempt;
      },
      mapError, requireJson, {},
      // A cached token the API refuses (revoked, or expired before its expires_in) is dropped and
      // the call sent once more with a fresh one.
      [&](const http::Response& response, const Error&) {
        return auth::dropRefusedToken(tokens, response.status, usedToken);
      });
}

Result<OperationPoll> pollUntilDone(const Transport& transport, std::string_view operation,
                                    std::chrono::milliseconds maxWait, const CallOptions& options,
                                    const std::function<Result<OperationPoll>()>& poll) {
  // options.deadline is a steady_clock time, so the operation's own limit is measured on it too.
  const auto until = std::min(options.deadline, std::chrono::steady_clock::now() + maxWait);
  OperationPoll last;
  for (int polls = 0; polls < 10000; ++polls) {
    if (options.stop.stop_requested()) return makeError(ErrorCode::Cancelled, std::string(operation) + ": cancelled");
    auto step = poll();
    if (!step) return step.error();
    last = std::move(*step);
    if (last.done || std::chrono::steady_clock::now() >= until) return last;
    if (last.next > std::chrono::milliseconds(0) && !transport.sleeper->sleepFor(last.next, options.stop))
      return makeError(ErrorCode::Cancelled, std::string(operation) + ": cancelled");
  }
  return last;
}

}  // namespace spotwise::cloud
