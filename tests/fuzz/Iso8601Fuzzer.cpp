// parseIso8601Utc (used by every parser that reads a time) on arbitrary bytes: never crashes,
// and a time it accepts formats and parses back to the same instant.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/common/Time.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = spotwise::parseIso8601Utc(text);
  if (!parsed) return 0;
  const auto again = spotwise::parseIso8601Utc(spotwise::formatIso8601Utc(*parsed));
  if (!again || *again != *parsed) std::abort();
  return 0;
}
