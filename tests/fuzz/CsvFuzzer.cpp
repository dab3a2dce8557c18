// CsvTable::parse on arbitrary bytes: never crashes, and a table it accepts is rectangular.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/common/Csv.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto table = spotwise::CsvTable::parse(text);
  if (!table) {
    if (table.error().message.empty()) std::abort();  // every error says what was wrong
    return 0;
  }
  const std::size_t columns = table->header().size();
  for (std::size_t r = 0; r < table->rowCount(); ++r) {
    for (std::size_t c = 0; c < columns; ++c) (void)table->cell(r, c).size();
    if (r > 0 && table->lineOf(r) <= table->lineOf(r - 1)) std::abort();  // line numbers increase
  }
  for (const auto& name : table->header()) {
    const auto index = table->column(name);
    if (!index || *index >= columns) std::abort();
  }
  return 0;
}
