// Invariants shared by the fuzz targets: what a parser accepts must be usable as it stands.
// A broken invariant aborts, which libFuzzer (and the replay test) report as a crash.
#pragma once

#include <cmath>
#include <cstdlib>
#include <string_view>

#include "core/common/Result.h"
#include "core/pricing/sources/PriceRecord.h"

namespace spotwise::fuzz {

inline std::string_view asText(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/** Every Error says what went wrong. */
inline void checkError(const Error& error) {
  if (error.message.empty()) std::abort();
}

template <typename T>
bool acceptedOrExplained(const Result<T>& result) {
  if (!result) checkError(result.error());
  return result.ok();
}

/** Prices are > 0 and finite and name their machine; bands are ordered percentages. */
inline void checkParsedPrices(const pricing::sources::ParsedPrices& parsed) {
  for (const auto& record : parsed.records) {
    if (!(record.usdPerHour > 0.0) || !std::isfinite(record.usdPerHour)) std::abort();
    if (record.instanceType.empty()) std::abort();
  }
  for (const auto& interruption : parsed.interruptions) {
    if (interruption.instanceType.empty()) std::abort();
  }
}

}  // namespace spotwise::fuzz
