#include "core/pricing/sources/MachineCatalog.h"

#include <cstdlib>

#include "core/common/Csv.h"
#include "core/common/Numbers.h"
#include "core/pricing/GpuModels.h"
#include "core/pricing/sources/PriceRecord.h"

namespace spotwise::pricing {
std::string_view embeddedGpuMachinesCsv();  // generated from resources/pricing/gpu-machines.csv
}

namespace spotwise::pricing::sources {

std::string_view priceKindName(PriceKind kind) { return kind == PriceKind::Spot ? "spot" : "on-demand"; }

Result<std::vector<MachineSpec>> parseMachineTable(std::string_view csvText) {
  constexpr std::string_view kOp = "MachineTable: ";
  auto table = CsvTable::parse(csvText);
  if (!table) return makeError(table.error().code, std::string(kOp) + table.error().message);
  std::vector<std::size_t> cols;
  for (const char* name : {"Provider", "InstanceType", "GpuModel", "GpuCount", "GpuMemoryGiB", "vCPUs", "MemoryGiB",
                           "GcpFamily", "GcpGpuSku", "Source"}) {
    const auto col = table->column(name);
    if (!col) return makeError(ErrorCode::InvalidArgument, std::string(kOp) + "missing column " + name);
    cols.push_back(*col);
  }
  std::vector<MachineSpec> specs;
  for (std::size_t r = 0; r < table->rowCount(); ++r) {
    const std::string where = std::string(kOp) + "line " + std::to_string(table->lineOf(r)) + ": ";
    MachineSpec spec;
    const auto provider = parseProvider(table->cell(r, cols[0]));
    if (!provider) return makeError(ErrorCode::InvalidArgument, where + "unknown provider");
    spec.provider = *provider;
    spec.instanceType = table->cell(r, cols[1]);
    spec.gpuModel = normaliseGpuModel(table->cell(r, cols[2]));
    const auto count = parseDouble(table->cell(r, cols[3]));
    const auto vcpus = parseDouble(table->cell(r, cols[5]));
    const auto ram = parseDouble(table->cell(r, cols[6]));
    if (!count || *count < 1 || !vcpus || !ram || spec.instanceType.empty() || spec.gpuModel.empty()) {
      return makeError(ErrorCode::InvalidArgument, where + "bad instance type, GPU model/count, vCPUs or memory");
    }
    spec.gpuCount = static_cast<int>(*count);
    spec.vcpus = *vcpus;
    spec.ramGiB = *ram;
    const std::string& mem = table->cell(r, cols[4]);
    if (!mem.empty()) {
      const auto gib = parseDouble(mem);
      if (!gib) return makeError(ErrorCode::InvalidArgument, where + "bad GpuMemoryGiB");
      spec.gpuMemoryGiB = *gib;
    } else {
      spec.gpuMemoryGiB = gpuMemoryGiB(spec.gpuModel).value_or(0.0);
    }
    spec.gcpFamily = table->cell(r, cols[7]);
    spec.gcpGpuSku = table->cell(r, cols[8]);
    if (spec.provider == CloudProvider::Gcp && (spec.gcpFamily.empty() || spec.gcpGpuSku.empty())) {
      return makeError(ErrorCode::InvalidArgument, where + "GCP rows need GcpFamily and GcpGpuSku");
    }
    if (table->cell(r, cols[9]).empty()) return makeError(ErrorCode::InvalidArgument, where + "every row needs its Source");
    specs.push_back(std::move(spec));
  }
  return specs;
}

const std::vector<MachineSpec>& builtinMachines() {
  static const std::vector<MachineSpec> table = [] {
    auto parsed = parseMachineTable(embeddedGpuMachinesCsv());
    return parsed ? std::move(parsed.value()) : std::vector<MachineSpec>{};
  }();
  return table;
}

const MachineSpec* findMachine(const std::vector<MachineSpec>& table, CloudProvider provider, std::string_view instanceType) {
  for (const auto& spec : table) {
    if (spec.provider == provider && spec.instanceType == instanceType) return &spec;
  }
  return nullptr;
}

}  // namespace spotwise::pricing::sources
