#pragma once

#include <optional>
#include <string_view>

namespace spotwise {

/** Strict decimal parse of the whole string ("1.0", "0.2737", "-3", "1e3"); nullopt otherwise. */
std::optional<double> parseDouble(std::string_view text);

}  // namespace spotwise
