#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/common/Result.h"
#include "core/pricing/Offer.h"

namespace spotwise::pricing::sources {

/**
 * The GPU facts of one machine type, from resources/pricing/gpu-machines.csv (each row names its
 * source: AWS/Google docs, SkyPilot's Azure catalog corrected from Microsoft Learn). Price sources
 * that do not say which GPU a machine has (spot feeds, Azure Retail, GCP SKUs) are joined with it.
 */
struct MachineSpec {
  CloudProvider provider = CloudProvider::Aws;
  std::string instanceType;
  std::string gpuModel;     ///< normalised
  int gpuCount = 0;
  double gpuMemoryGiB = 0;  ///< per GPU
  double vcpus = 0;
  double ramGiB = 0;
  std::string gcpFamily;    ///< GCP: the SKU family billing its cores and RAM ("A2", "N1", ...)
  std::string gcpGpuSku;    ///< GCP: the GPU name in the SKU description ("Tesla A100", "L4", ...)
};

/** Parses the machine table CSV. Errors name the line. */
Result<std::vector<MachineSpec>> parseMachineTable(std::string_view csvText);

/** The machine table built into the binary (parsed once; aborts never: an invalid table is a test failure). */
const std::vector<MachineSpec>& builtinMachines();

/** The spec of a machine type, or nullptr. For GCP N1 several GPU options share a type: the first wins. */
const MachineSpec* findMachine(const std::vector<MachineSpec>& table, CloudProvider provider, std::string_view instanceType);

}  // namespace spotwise::pricing::sources
