#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <stop_token>
#include <string>

#include "core/common/Result.h"

namespace spotwise::http {

/** Waits; injected so tests never sleep for real. */
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  /** Sleeps for `duration` or until `stop` is requested; returns false when stopped. */
  virtual bool sleepFor(std::chrono::milliseconds duration, const std::stop_token& stop) = 0;
};

/** Really sleeps (condition-variable wait that wakes on stop). */
class RealSleeper final : public Sleeper {
 public:
  bool sleepFor(std::chrono::milliseconds duration, const std::stop_token& stop) override;
};

/** A steady clock; injected alongside the sleeper so a test's fake time moves when it "sleeps". */
class SteadyClock {
 public:
  virtual ~SteadyClock() = default;
  virtual std::chrono::steady_clock::time_point now() const = 0;
};

class RealSteadyClock final : public SteadyClock {
 public:
  std::chrono::steady_clock::time_point now() const override { return std::chrono::steady_clock::now(); }
};

/** Whether repeating a call is safe: a call that mutates is retried only with its idempotency token. */
enum class Idempotency { Idempotent, NonIdempotent };

/**
 * How many times and for how long a transient failure is retried, and how long to wait in between:
 * truncated exponential backoff with full jitter (delay ~ U(0, min(maxBackoff, initial × 2^n))),
 * never shorter than the server's Retry-After.
 */
struct RetryPolicy {
  int maxAttempts = 5;
  std::chrono::milliseconds maxElapsed{std::chrono::seconds(60)};
  std::chrono::milliseconds initialBackoff{500};
  std::chrono::milliseconds maxBackoff{std::chrono::seconds(20)};
  double multiplier = 2.0;
};

/** The delay before retry number `retry` (0-based), drawn with `rng`; `retryAfter` is a floor. */
std::chrono::milliseconds backoffDelay(const RetryPolicy& policy, int retry, std::mt19937_64& rng,
                                       std::optional<std::chrono::milliseconds> retryAfter = std::nullopt);

/** What a retry loop needs from its environment. */
struct RetryContext {
  RetryContext(Sleeper& sleeperIn, const SteadyClock& clockIn, std::uint64_t seedIn = std::random_device{}(),
               std::stop_token stopIn = {})
      : sleeper(sleeperIn), clock(clockIn), seed(seedIn), stop(std::move(stopIn)) {}
  Sleeper& sleeper;
  const SteadyClock& clock;
  std::uint64_t seed;  ///< jitter seed: fixed in tests, random in production
  std::stop_token stop;
};

/**
 * Runs `call` until it succeeds, fails with a non-transient error (isTransient() decides), is a
 * NonIdempotent call (tried once), or the policy's attempts or time budget run out. The last
 * error is returned with " (after N attempts)" appended when it was retried.
 */
template <typename T>
Result<T> retryCall(const RetryPolicy& policy, Idempotency idempotency, RetryContext& context,
                    const std::function<Result<T>()>& call) {
  std::mt19937_64 rng(context.seed);
  const auto start = context.clock.now();
  for (int attempt = 1;; ++attempt) {
    Result<T> result = call();
    if (result.ok()) return result;
    Error error = result.error();
    const bool last = attempt >= policy.maxAttempts || idempotency == Idempotency::NonIdempotent ||
                      !isTransient(error) || context.stop.stop_requested();
    if (!last) {
      const auto delay = backoffDelay(policy, attempt - 1, rng, error.retryAfter);
      const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(context.clock.now() - start);
      if (elapsed + delay <= policy.maxElapsed) {
        if (!context.sleeper.sleepFor(delay, context.stop)) {
          return makeError(ErrorCode::Cancelled, error.message + " (cancelled while waiting to retry)");
        }
        continue;
      }
    }
    if (attempt > 1) error.message += " (after " + std::to_string(attempt) + " attempts)";
    return error;
  }
}

}  // namespace spotwise::http
