#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/common/Result.h"

namespace spotwise::cloud {

/**
 * A parsed XML element: the small subset cloud APIs answer with (EC2 Query, S3, Azure Blob).
 * Namespaces are kept in names only as written ("ns:Name" stays "ns:Name"); attributes are kept;
 * text is the concatenated, entity-decoded character data directly inside the element.
 * Value type; thread-compatible.
 */
struct XmlElement {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attributes;
  std::string text;
  std::vector<XmlElement> children;

  /** First child with this name, or nullptr. */
  [[nodiscard]] const XmlElement* child(std::string_view childName) const;
  /** Every child with this name, in document order. */
  [[nodiscard]] std::vector<const XmlElement*> childrenNamed(std::string_view childName) const;
  /** Text of the element at a '/'-separated path of child names ("instanceState/name"), or "". */
  [[nodiscard]] std::string textAt(std::string_view path) const;
};

/**
 * Parses a whole XML document and returns its root element. InvalidArgument (naming `operation`
 * and the byte offset) when the text is not well-formed XML: unclosed or mismatched tags, an
 * unknown entity, a document cut short, or content after the root.
 */
Result<XmlElement> parseXml(std::string_view text, std::string_view operation);

/** Escapes &, <, >, " and ' for element text and attribute values. */
std::string xmlEscape(std::string_view text);

}  // namespace spotwise::cloud
