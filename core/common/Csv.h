#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/Result.h"

namespace spotwise {

/**
 * A CSV table read by header name (RFC 4180: quoted fields, "" escapes, CRLF or LF, newlines
 * inside quotes). Rows shorter or longer than the header are an error, never silently padded.
 */
class CsvTable {
 public:
  /** Parses `text`. Errors (InvalidArgument) name the line and what was wrong. */
  static Result<CsvTable> parse(std::string_view text);

  [[nodiscard]] const std::vector<std::string>& header() const { return m_header; }
  [[nodiscard]] std::size_t rowCount() const { return m_rows.size(); }
  /** Index of a column, or nullopt if the header lacks it. */
  [[nodiscard]] std::optional<std::size_t> column(std::string_view name) const;
  [[nodiscard]] const std::string& cell(std::size_t row, std::size_t col) const { return m_rows[row][col]; }
  /** 1-based line number of a data row in the source text (for error messages). */
  [[nodiscard]] std::size_t lineOf(std::size_t row) const { return m_lines[row]; }

 private:
  std::vector<std::string> m_header;
  std::vector<std::vector<std::string>> m_rows;
  std::vector<std::size_t> m_lines;
};

}  // namespace spotwise
