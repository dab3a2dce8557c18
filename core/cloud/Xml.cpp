#include "core/cloud/Xml.h"

#include <charconv>
#include <cstdint>

namespace spotwise::cloud {

namespace {

class XmlParser {
 public:
  XmlParser(std::string_view text, std::string_view operation) : m_text(text), m_operation(operation) {}

  Result<XmlElement> parseDocument() {
    skipProlog();
    if (m_failed) return fail();
    if (m_pos >= m_text.size() || m_text[m_pos] != '<') return error("expected the root element");
    XmlElement root;
    if (!parseElement(root, 0)) return fail();
    skipMisc();
    if (m_failed) return fail();
    if (m_pos != m_text.size()) return error("content after the root element");
    return root;
  }

 private:
  static constexpr int kMaxDepth = 256;

  Error fail() const { return makeError(ErrorCode::InvalidArgument, m_message); }

  Error error(std::string_view what) {
    setError(what);
    return fail();
  }

  void setError(std::string_view what) {
    if (m_failed) return;
    m_failed = true;
    m_message = std::string(m_operation) + ": malformed XML at byte " + std::to_string(m_pos) + ": " + std::string(what);
  }

  bool startsWith(std::string_view s) const { return m_text.substr(m_pos, s.size()) == s; }

  void skipSpace() {
    while (m_pos < m_text.size() && (m_text[m_pos] == ' ' || m_text[m_pos] == '\n' || m_text[m_pos] == '\r' ||
                                     m_text[m_pos] == '\t'))
      ++m_pos;
  }

  bool skipPast(std::string_view end) {
    const auto at = m_text.find(end, m_pos);
    if (at == std::string_view::npos) {
      m_pos = m_text.size();
      setError("unterminated markup");
      return false;
    }
    m_pos = at + end.size();
    return true;
  }

  // Whitespace, comments, processing instructions and a DOCTYPE between top-level markup.
  void skipMisc() {
    for (;;) {
      skipSpace();
      if (startsWith("<?")) {
        if (!skipPast("?>")) return;
      } else if (startsWith("<!--")) {
        if (!skipPast("-->")) return;
      } else if (startsWith("<!DOCTYPE")) {
        if (!skipPast(">")) return;
      } else {
        return;
      }
    }
  }

  void skipProlog() {
    if (startsWith("\xEF\xBB\xBF")) m_pos += 3;  // UTF-8 byte order mark
    skipMisc();
  }

  static bool isNameChar(char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '_' || u == '-' ||
           u == '.' || u == ':' || u >= 0x80;
  }

  std::string parseName() {
    const auto start = m_pos;
    while (m_pos < m_text.size() && isNameChar(m_text[m_pos])) ++m_pos;
    if (m_pos == start) setError("expected a name");
    return std::string(m_text.substr(start, m_pos - start));
  }

  bool decodeInto(std::string_view raw, std::string& out) {
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '&') {
        out += raw[i];
        continue;
      }
      const auto semi = raw.find(';', i);
      if (semi == std::string_view::npos) {
        setError("unterminated entity");
        return false;
      }
      const auto entity = raw.substr(i + 1, semi - i - 1);
      if (entity == "amp") out += '&';
      else if (entity == "lt") out += '<';
      else if (entity == "gt") out += '>';
      else if (entity == "quot") out += '"';
      else if (entity == "apos") out += '\'';
      else if (entity.size() > 1 && entity[0] == '#') {
        unsigned long code = 0;
        const bool hex = entity[1] == 'x' || entity[1] == 'X';
        const auto digits = entity.substr(hex ? 2 : 1);
        const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), code, hex ? 16 : 10);
        if (ec != std::errc() || ptr != digits.data() + digits.size() || digits.empty() || code > 0x10FFFF) {
          setError("bad character reference");
          return false;
        }
        appendUtf8(out, static_cast<std::uint32_t>(code));
      } else {
        setError("unknown entity &" + std::string(entity) + ";");
        return false;
      }
      i = semi;
    }
    return true;
  }

  static void appendUtf8(std::string& out, std::uint32_t code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  bool parseAttributes(XmlElement& element) {
    for (;;) {
      skipSpace();
      if (m_pos >= m_text.size()) {
        setError("document ends inside a tag");
        return false;
      }
      const char c = m_text[m_pos];
      if (c == '>' || c == '/') return true;
      std::string name = parseName();
      if (m_failed) return false;
      skipSpace();
      if (m_pos >= m_text.size() || m_text[m_pos] != '=') {
        setError("expected '=' after attribute " + name);
        return false;
      }
      ++m_pos;
      skipSpace();
      if (m_pos >= m_text.size() || (m_text[m_pos] != '"' && m_text[m_pos] != '\'')) {
        setError("expected a quoted attribute value");
        return false;
      }
      const char quote = m_text[m_pos++];
      const auto end = m_text.find(quote, m_pos);
      if (end == std::string_view::npos) {
        setError("unterminated attribute value");
        return false;
      }
      std::string value;
      if (!decodeInto(m_text.substr(m_pos, end - m_pos), value)) return false;
      m_pos = end + 1;
      element.attributes.emplace_back(std::move(name), std::move(value));
    }
  }

  bool parseElement(XmlElement& element, int depth) {
    if (depth > kMaxDepth) {
      setError("elements nested too deeply");
      return false;
    }
    ++m_pos;  // '<'
    element.name = parseName();
    if (m_failed || !parseAttributes(element)) return false;
    if (m_text[m_pos] == '/') {
      if (!startsWith("/>")) {
        setError("expected '/>'");
        return false;
      }
      m_pos += 2;
      return true;
    }
    ++m_pos;  // '>'
    for (;;) {
      if (m_pos >= m_text.size()) {
        setError("document ends inside <" + element.name + ">");
        return false;
      }
      if (startsWith("</")) {
        m_pos += 2;
        const std::string closing = parseName();
        if (m_failed) return false;
        if (closing != element.name) {
          setError("</" + closing + "> closes <" + element.name + ">");
          return false;
        }
        skipSpace();
        if (m_pos >= m_text.size() || m_text[m_pos] != '>') {
          setError("expected '>'");
          return false;
        }
        ++m_pos;
        return true;
      }
      if (startsWith("<![CDATA[")) {
        m_pos += 9;
        const auto end = m_text.find("]]>", m_pos);
        if (end == std::string_view::npos) {
          setError("unterminated CDATA");
          return false;
        }
        element.text += m_text.substr(m_pos, end - m_pos);
        m_pos = end + 3;
      } else if (startsWith("<!--")) {
        if (!skipPast("-->")) return false;
      } else if (startsWith("<?")) {
        if (!skipPast("?>")) return false;
      } else if (m_text[m_pos] == '<') {
        XmlElement child;
        if (!parseElement(child, depth + 1)) return false;
        element.children.push_back(std::move(child));
      } else {
        const auto end = m_text.find('<', m_pos);
        const auto raw = m_text.substr(m_pos, end == std::string_view::npos ? m_text.size() - m_pos : end - m_pos);
        if (!decodeInto(raw, element.text)) return false;
        m_pos += raw.size();
      }
    }
  }

  std::string_view m_text;
  std::string_view m_operation;
  std::size_t m_pos = 0;
  bool m_failed = false;
  std::string m_message;
};

}  // namespace

const XmlElement* XmlElement::child(std::string_view childName) const {
  for (const auto& c : children)
    if (c.name == childName) return &c;
  return nullptr;
}

std::vector<const XmlElement*> XmlElement::childrenNamed(std::string_view childName) const {
  std::vector<const XmlElement*> out;
  for (const auto& c : children)
    if (c.name == childName) out.push_back(&c);
  return out;
}

std::string XmlElement::textAt(std::string_view path) const {
  const XmlElement* at = this;
  while (!path.empty()) {
    const auto slash = path.find('/');
    at = at->child(path.substr(0, slash));
    if (!at) return {};
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
  }
  return at->text;
}

Result<XmlElement> parseXml(std::string_view text, std::string_view operation) {
  return XmlParser(text, operation).parseDocument();
}

std::string xmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace spotwise::cloud
