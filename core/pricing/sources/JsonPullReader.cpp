#include "core/pricing/sources/JsonPullReader.h"

#include <cstring>

namespace spotwise::pricing::sources {

namespace {

bool isSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
bool isNumberChar(char c) { return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'; }

/** RFC 8259 number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
bool validNumber(std::string_view s) {
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

void appendUtf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

JsonPullReader::JsonPullReader(std::istream& in, std::size_t bufferSize) : m_in(in), m_buffer(bufferSize < 64 ? 64 : bufferSize) {}

bool JsonPullReader::fill() {
  if (m_eof) return false;
  m_consumed += m_end;
  m_pos = 0;
  m_end = 0;
  m_in.read(m_buffer.data(), static_cast<std::streamsize>(m_buffer.size()));
  m_end = static_cast<std::size_t>(m_in.gcount());
  if (m_end == 0) {
    m_eof = true;
    return false;
  }
  return true;
}

bool JsonPullReader::skipWhitespace() {
  for (;;) {
    while (m_pos < m_end && isSpace(m_buffer[m_pos])) ++m_pos;
    if (m_pos < m_end) return true;
    if (!fill()) return false;
  }
}

JsonPullReader::Token JsonPullReader::fail(std::string message) {
  m_error = std::move(message);
  m_last = Token::Error;
  return Token::Error;
}

JsonPullReader::Token JsonPullReader::afterValue(Token token) {
  m_expect = m_stack.empty() ? Expect::Done : Expect::CommaOrEnd;
  m_last = token;
  return token;
}

JsonPullReader::Token JsonPullReader::next() {
  if (m_last == Token::End || m_last == Token::Error) return m_last;
  for (;;) {
    if (!skipWhitespace()) {
      if (m_expect == Expect::Done) {
        m_last = Token::End;
        return Token::End;
      }
      return fail("truncated JSON: input ended at byte " + std::to_string(offset()) +
                  (m_stack.empty() ? std::string(" before any value")
                                   : " inside an " + std::string(m_stack.back() == '{' ? "object" : "array") +
                                         " at depth " + std::to_string(m_stack.size())));
    }
    const char c = m_buffer[m_pos];
    auto unexpected = [&](const char* what) {
      return fail("malformed JSON at byte " + std::to_string(offset()) + ": expected " + what + ", found '" +
                  std::string(1, c) + "'");
    };
    switch (m_expect) {
      case Expect::Done:
        return unexpected("end of input");
      case Expect::Colon:
        if (c != ':') return unexpected("':' after a key");
        ++m_pos;
        m_expect = Expect::Value;
        continue;
      case Expect::CommaOrEnd:
        if (c == ',') {
          ++m_pos;
          m_expect = m_stack.back() == '{' ? Expect::Key : Expect::Value;
          continue;
        }
        if ((c == '}' && m_stack.back() == '{') || (c == ']' && m_stack.back() == '[')) {
          ++m_pos;
          m_stack.pop_back();
          return afterValue(c == '}' ? Token::EndObject : Token::EndArray);
        }
        return unexpected(m_stack.back() == '{' ? "',' or '}'" : "',' or ']'");
      case Expect::KeyOrEnd:
        if (c == '}') {
          ++m_pos;
          m_stack.pop_back();
          return afterValue(Token::EndObject);
        }
        [[fallthrough]];
      case Expect::Key:
        if (c != '"') return unexpected("a quoted key");
        return readString(true);
      case Expect::ValueOrEnd:
        if (c == ']') {
          ++m_pos;
          m_stack.pop_back();
          return afterValue(Token::EndArray);
        }
        [[fallthrough]];
      case Expect::Value:
        switch (c) {
          case '{':
            ++m_pos;
            m_stack.push_back('{');
            m_expect = Expect::KeyOrEnd;
            m_last = Token::BeginObject;
            return m_last;
          case '[':
            ++m_pos;
            m_stack.push_back('[');
            m_expect = Expect::ValueOrEnd;
            m_last = Token::BeginArray;
            return m_last;
          case '"': return readString(false);
          case 't': return readLiteral("true", Token::True);
          case 'f': return readLiteral("false", Token::False);
          case 'n': return readLiteral("null", Token::Null);
          default:
            if (c == '-' || (c >= '0' && c <= '9')) return readNumber();
            return unexpected("a value");
        }
    }
  }
}

JsonPullReader::Token JsonPullReader::readString(bool isKey) {
  ++m_pos;  // opening quote
  // Fast path: the whole string is in the buffer and has no escapes.
  const char* begin = m_buffer.data() + m_pos;
  const char* end = m_buffer.data() + m_end;
  const char* p = begin;
  while (p < end && *p != '"' && *p != '\\' && static_cast<unsigned char>(*p) >= 0x20) ++p;
  if (p < end && *p == '"') {
    m_text = std::string_view(begin, static_cast<std::size_t>(p - begin));
    m_pos += static_cast<std::size_t>(p - begin) + 1;
  } else {
    // Slow path: copy, unescape, refill as needed.
    m_scratch.clear();
    auto getChar = [this](char& out) {
      if (m_pos >= m_end && !fill()) return false;
      out = m_buffer[m_pos++];
      return true;
    };
    const std::uint64_t startOffset = offset();
    for (;;) {
      char ch = 0;
      if (!getChar(ch)) {
        return fail("truncated JSON: input ended inside a string that starts near byte " + std::to_string(startOffset));
      }
      if (ch == '"') break;
      if (static_cast<unsigned char>(ch) < 0x20) {
        return fail("malformed JSON at byte " + std::to_string(offset()) + ": control character inside a string");
      }
      if (ch != '\\') {
        m_scratch += ch;
        continue;
      }
      if (!getChar(ch)) return fail("truncated JSON: input ended inside an escape sequence");
      switch (ch) {
        case '"': m_scratch += '"'; break;
        case '\\': m_scratch += '\\'; break;
        case '/': m_scratch += '/'; break;
        case 'b': m_scratch += '\b'; break;
        case 'f': m_scratch += '\f'; break;
        case 'n': m_scratch += '\n'; break;
        case 'r': m_scratch += '\r'; break;
        case 't': m_scratch += '\t'; break;
        case 'u': {
          auto readHex = [&](std::uint32_t& cp) {
            cp = 0;
            for (int i = 0; i < 4; ++i) {
              char h = 0;
              if (!getChar(h)) return false;
              const int v = hexValue(h);
              if (v < 0) return false;
              cp = cp * 16 + static_cast<std::uint32_t>(v);
            }
            return true;
          };
          std::uint32_t cp = 0;
          if (!readHex(cp)) return fail("malformed JSON at byte " + std::to_string(offset()) + ": bad \\u escape");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            char b1 = 0, b2 = 0;
            std::uint32_t low = 0;
            if (!getChar(b1) || !getChar(b2) || b1 != '\\' || b2 != 'u' || !readHex(low) || low < 0xDC00 || low > 0xDFFF) {
              return fail("malformed JSON at byte " + std::to_string(offset()) + ": unpaired surrogate in \\u escape");
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          appendUtf8(m_scratch, cp);
          break;
        }
        default:
          return fail("malformed JSON at byte " + std::to_string(offset()) + ": unknown escape '\\" + std::string(1, ch) + "'");
      }
    }
    m_text = m_scratch;
  }
  if (isKey) {
    m_expect = Expect::Colon;
    m_last = Token::Key;
    return m_last;
  }
  return afterValue(Token::String);
}

JsonPullReader::Token JsonPullReader::readNumber() {
  const char* begin = m_buffer.data() + m_pos;
  const char* end = m_buffer.data() + m_end;
  const char* p = begin;
  while (p < end && isNumberChar(*p)) ++p;
  if (p < end) {
    m_text = std::string_view(begin, static_cast<std::size_t>(p - begin));
    m_pos += static_cast<std::size_t>(p - begin);
  } else {
    m_scratch.assign(begin, end);
    m_pos = m_end;
    while (fill()) {
      std::size_t i = 0;
      while (i < m_end && isNumberChar(m_buffer[i])) ++i;
      m_scratch.append(m_buffer.data(), i);
      m_pos = i;
      if (i < m_end) break;
    }
    m_text = m_scratch;
  }
  if (!validNumber(m_text)) {
    return fail("malformed JSON at byte " + std::to_string(offset()) + ": bad number '" + std::string(m_text) + "'");
  }
  return afterValue(Token::Number);
}

JsonPullReader::Token JsonPullReader::readLiteral(std::string_view word, Token token) {
  for (char expected : word) {
    if (m_pos >= m_end && !fill()) return fail("truncated JSON: input ended inside '" + std::string(word) + "'");
    if (m_buffer[m_pos] != expected) {
      return fail("malformed JSON at byte " + std::to_string(offset()) + ": bad literal (expected '" + std::string(word) + "')");
    }
    ++m_pos;
  }
  m_text = word;
  return afterValue(token);
}

bool JsonPullReader::skipContainer() {
  if (m_last != Token::BeginObject && m_last != Token::BeginArray) return m_last != Token::Error;
  const std::size_t targetDepth = m_stack.size() - 1;
  std::size_t depth = 1;
  const std::uint64_t startOffset = offset();
  for (;;) {
    if (m_pos >= m_end && !fill()) {
      fail("truncated JSON: input ended inside a value that starts near byte " + std::to_string(startOffset));
      return false;
    }
    const char* p = m_buffer.data() + m_pos;
    const char* end = m_buffer.data() + m_end;
    while (p < end) {
      const char c = *p++;
      if (c == '"') {
        // Skip the string, across refills, honouring backslash escapes.
        bool escaped = false;
        for (;;) {
          while (p < end) {
            const char s = *p++;
            if (escaped) {
              escaped = false;
            } else if (s == '\\') {
              escaped = true;
            } else if (s == '"') {
              goto stringDone;
            }
          }
          m_pos = m_end;
          if (!fill()) {
            fail("truncated JSON: input ended inside a string in a value that starts near byte " + std::to_string(startOffset));
            return false;
          }
          p = m_buffer.data();
          end = p + m_end;
        }
      stringDone:
        continue;
      }
      if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) {
          m_pos = static_cast<std::size_t>(p - m_buffer.data());
          const Token token = m_stack.back() == '{' ? Token::EndObject : Token::EndArray;
          m_stack.resize(targetDepth);
          afterValue(token);
          return true;
        }
      }
    }
    m_pos = m_end;
  }
}

bool JsonPullReader::skipValue() {
  const Token token = next();
  if (token == Token::Error || token == Token::End) return false;
  if (token == Token::BeginObject || token == Token::BeginArray) return skipContainer();
  return token != Token::EndObject && token != Token::EndArray;
}

}  // namespace spotwise::pricing::sources
