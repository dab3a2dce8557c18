#pragma once

#include <chrono>
#include <cstdint>
#include <thread>

namespace spotwise::jobs {

/**
 * Wall-clock time for the controller, replaceable in tests (KeePassXC's MockClock): the controller
 * never reads the system clock or sleeps by itself, so unit tests advance time without waiting.
 */
class Clock {
 public:
  virtual ~Clock() = default;
  /** Unix time in milliseconds. */
  [[nodiscard]] virtual std::int64_t nowMs() const = 0;
  /** Blocks for `ms` (the CLI's supervision loop); a test clock just advances. */
  virtual void sleepMs(std::int64_t ms) = 0;
};

/** The real clock. */
class SystemClock final : public Clock {
 public:
  [[nodiscard]] std::int64_t nowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  void sleepMs(std::int64_t ms) override { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }
};

/** A clock that moves only when told to. */
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t startMs = 1'800'000'000'000) : m_now(startMs) {}
  [[nodiscard]] std::int64_t nowMs() const override { return m_now; }
  void sleepMs(std::int64_t ms) override { m_now += ms; }
  void advanceMs(std::int64_t ms) { m_now += ms; }
  void setMs(std::int64_t ms) { m_now = ms; }

 private:
  std::int64_t m_now;
};

}  // namespace spotwise::jobs
