#include "core/common/Csv.h"

namespace spotwise {

namespace {

// Reads one record starting at `pos`; advances `pos` past its line ending and `line` by the
// number of newlines consumed.
Result<std::vector<std::string>> readRecord(std::string_view text, std::size_t& pos, std::size_t& line) {
  std::vector<std::string> fields;
  std::string field;
  const std::size_t startLine = line;
  bool quoted = false;
  bool fieldWasQuoted = false;
  while (pos < text.size()) {
    const char c = text[pos];
    if (quoted) {
      if (c == '"') {
        if (pos + 1 < text.size() && text[pos + 1] == '"') {
          field += '"';
          pos += 2;
          continue;
        }
        quoted = false;
        ++pos;
        continue;
      }
      if (c == '\n') ++line;
      field += c;
      ++pos;
      continue;
    }
    if (c == '"') {
      if (!field.empty()) {
        return makeError(ErrorCode::InvalidArgument,
                         "CSV line " + std::to_string(startLine) + ": quote inside an unquoted field");
      }
      quoted = true;
      fieldWasQuoted = true;
      ++pos;
      continue;
    }
    if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
      fieldWasQuoted = false;
      ++pos;
      continue;
    }
    if (c == '\r' || c == '\n') {
      if (c == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') ++pos;
      ++pos;
      ++line;
      fields.push_back(std::move(field));
      return fields;
    }
    if (fieldWasQuoted) {
      return makeError(ErrorCode::InvalidArgument,
                       "CSV line " + std::to_string(startLine) + ": text after a closing quote");
    }
    field += c;
    ++pos;
  }
  if (quoted) {
    return makeError(ErrorCode::InvalidArgument,
                     "CSV line " + std::to_string(startLine) + ": quoted field never closed (truncated file?)");
  }
  fields.push_back(std::move(field));
  ++line;
  return fields;
}

}  // namespace

Result<CsvTable> CsvTable::parse(std::string_view text) {
  CsvTable table;
  std::size_t pos = 0;
  std::size_t line = 1;
  if (text.starts_with("\xEF\xBB\xBF")) pos = 3;  // UTF-8 byte order mark
  if (pos >= text.size()) return makeError(ErrorCode::InvalidArgument, "CSV: empty file, no header");
  auto header = readRecord(text, pos, line);
  if (!header) return header.error();
  table.m_header = std::move(header.value());
  while (pos < text.size()) {
    const std::size_t recordLine = line;
    auto record = readRecord(text, pos, line);
    if (!record) return record.error();
    if (record->size() == 1 && record->front().empty()) continue;  // blank line
    if (record->size() != table.m_header.size()) {
      return makeError(ErrorCode::InvalidArgument,
                       "CSV line " + std::to_string(recordLine) + ": " + std::to_string(record->size()) +
                           " fields, header has " + std::to_string(table.m_header.size()));
    }
    table.m_rows.push_back(std::move(record.value()));
    table.m_lines.push_back(recordLine);
  }
  return table;
}

std::optional<std::size_t> CsvTable::column(std::string_view name) const {
  for (std::size_t i = 0; i < m_header.size(); ++i) {
    if (m_header[i] == name) return i;
  }
  return std::nullopt;
}

}  // namespace spotwise
