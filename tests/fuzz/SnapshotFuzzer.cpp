// parseSnapshot on arbitrary bytes: never crashes; a snapshot it accepts serialises and parses
// back to the same bytes (the format is byte-stable), so nothing it accepts is lost on save.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/pricing/Snapshot.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spotwise::pricing;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto snapshot = parseSnapshot(text);
  if (!snapshot) {
    if (snapshot.error().message.empty()) std::abort();
    return 0;
  }
  const std::string saved = serializeSnapshot(*snapshot);
  const auto again = parseSnapshot(saved);
  if (!again) std::abort();
  if (serializeSnapshot(*again) != saved) std::abort();
  if (again->offers.size() != snapshot->offers.size()) std::abort();
  return 0;
}
