#include "core/http/Retry.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <mutex>

namespace spotwise::http {

bool RealSleeper::sleepFor(std::chrono::milliseconds duration, const std::stop_token& stop) {
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  return !wake.wait_for(lock, stop, duration, [] { return false; }) && !stop.stop_requested();
}

std::chrono::milliseconds backoffDelay(const RetryPolicy& policy, int retry, std::mt19937_64& rng,
                                       std::optional<std::chrono::milliseconds> retryAfter) {
  const double cap = std::min(static_cast<double>(policy.maxBackoff.count()),
                              static_cast<double>(policy.initialBackoff.count()) * std::pow(policy.multiplier, retry));
  std::uniform_real_distribution<double> jitter(0.0, std::max(cap, 0.0));
  auto delay = std::chrono::milliseconds(static_cast<long long>(jitter(rng)));
  if (retryAfter && *retryAfter > delay) delay = *retryAfter;
  return delay;
}

}  // namespace spotwise::http
