// parseAzureGpuSizes on arbitrary bytes: never crashes; accepted entries are plausible.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/pricing/SkyPilotImporter.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto sizes = spotwise::pricing::parseAzureGpuSizes(text);
  if (!sizes) {
    if (sizes.error().message.empty()) std::abort();
    return 0;
  }
  for (const auto& entry : *sizes) {
    if (entry.instanceType.empty() || entry.gpuCount < 1 || !(entry.gpuMemoryGiB > 0)) std::abort();
  }
  return 0;
}
