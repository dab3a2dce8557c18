#include "core/pricing/GpuModels.h"

#include <algorithm>
#include <array>
#include <utility>

namespace spotwise::pricing {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Catalog spelling → normalised name. Only names whose meaning differs need an entry.
constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kAliases{{
    {"A100", "A100-40GB"},
    {"A100-SXM4-40GB", "A100-40GB"},
    {"H100-MEGA", "H100"},
    {"H100-SXM", "H100"},
    {"H100-80GB", "H100"},
    {"NVIDIA A10G", "A10G"},
    {"Tesla T4", "T4"},
    {"Tesla V100", "V100"},
    {"V100-16GB", "V100"},
}};

// Per-GPU memory (GiB) from the vendors' data sheets.
constexpr std::array<std::pair<std::string_view, double>, 19> kMemory{{
    {"T4", 16},         {"L4", 24},         {"A10G", 24},      {"A10", 24},
    {"V100", 16},       {"V100-32GB", 32},  {"A100-40GB", 40}, {"A100-80GB", 80},
    {"H100", 80},       {"H200", 141},      {"B200", 180},     {"L40S", 48},
    {"K80", 12},        {"M60", 8},         {"P100", 16},      {"P4", 8},
    {"Radeon MI25", 16}, {"Radeon Pro V520", 8}, {"T4g", 16},
}};

}  // namespace

std::string normaliseGpuModel(std::string_view raw) {
  const std::string_view name = trim(raw);
  for (const auto& [from, to] : kAliases) {
    if (name == from) return std::string(to);
  }
  return std::string(name);
}

std::optional<double> gpuMemoryGiB(std::string_view normalisedModel) {
  for (const auto& [model, gib] : kMemory) {
    if (normalisedModel == model) return gib;
  }
  return std::nullopt;
}

bool isNonGpuAccelerator(std::string_view raw) {
  const std::string_view name = trim(raw);
  return name.starts_with("tpu-") || name.starts_with("Gaudi") || name.starts_with("Inferentia") ||
         name.starts_with("Trainium");
}

}  // namespace spotwise::pricing
