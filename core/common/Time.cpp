#include "core/common/Time.h"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace spotwise {

namespace {

bool readInt(std::string_view text, std::size_t pos, std::size_t len, int& out) {
  if (pos + len > text.size()) return false;
  const char* first = text.data() + pos;
  const char* last = first + len;
  auto [ptr, ec] = std::from_chars(first, last, out);
  return ec == std::errc{} && ptr == last;
}

}  // namespace

std::optional<std::int64_t> parseIso8601Utc(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!readInt(text, 0, 4, year) || text.size() < 10 || text[4] != '-' || !readInt(text, 5, 2, month) ||
      text[7] != '-' || !readInt(text, 8, 2, day)) {
    return std::nullopt;
  }
  if (text.size() > 10) {
    if (text.size() < 20 || (text[10] != 'T' && text[10] != ' ') || !readInt(text, 11, 2, hour) || text[13] != ':' ||
        !readInt(text, 14, 2, minute) || text[16] != ':' || !readInt(text, 17, 2, second)) {
      return std::nullopt;
    }
    std::size_t pos = 19;
    if (text[pos] == '.') {
      ++pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    }
    if (pos + 1 != text.size() || text[pos] != 'Z') return std::nullopt;
  }
  using namespace std::chrono;
  const year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                           std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  const auto days = sys_days{ymd}.time_since_epoch().count();
  const std::int64_t unixSeconds =
      static_cast<std::int64_t>(days) * 86400 + std::int64_t{hour} * 3600 + std::int64_t{minute} * 60 + second;
  // A leap second (:60) counts as the next second; on 9999-12-31 that would be year 10000, which has no
  // four-digit form (found by Iso8601Fuzzer).
  constexpr std::int64_t kLastFourDigitSecond = 253'402'300'799;  // 9999-12-31T23:59:59Z
  if (unixSeconds > kLastFourDigitSecond) return std::nullopt;
  return unixSeconds;
}

namespace {

struct Civil {
  int year, month, day, hour, minute, second;
};

Civil toCivil(std::int64_t unixSeconds) {
  using namespace std::chrono;
  std::int64_t days = unixSeconds / 86400;
  std::int64_t rem = unixSeconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  const year_month_day ymd{sys_days{std::chrono::days{days}}};
  return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day())), static_cast<int>(rem / 3600),
          static_cast<int>(rem % 3600 / 60), static_cast<int>(rem % 60)};
}

}  // namespace

std::string formatIso8601Utc(std::int64_t unixSeconds) {
  const Civil c = toCivil(unixSeconds);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.day, c.hour, c.minute,
                c.second);
  return buf;
}

std::string formatIsoDateUtc(std::int64_t unixSeconds) {
  const Civil c = toCivil(unixSeconds);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", c.year, c.month, c.day);
  return buf;
}

}  // namespace spotwise
