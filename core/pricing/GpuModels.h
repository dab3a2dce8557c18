#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace spotwise::pricing {

/**
 * One GPU name across clouds. Maps provider/catalog spellings to the names Spotwise shows
 * ("A100" → "A100-40GB", "H100-MEGA" → "H100", "NVIDIA A10G" → "A10G"); unknown names pass
 * through trimmed. Pure function.
 */
std::string normaliseGpuModel(std::string_view raw);

/** Memory of one GPU of a normalised model in GiB, when the model is known. */
std::optional<double> gpuMemoryGiB(std::string_view normalisedModel);

/** True for accelerators Spotwise does not treat as GPUs (TPUs, FPGAs). */
bool isNonGpuAccelerator(std::string_view raw);

}  // namespace spotwise::pricing
