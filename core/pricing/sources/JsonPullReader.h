#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace spotwise::pricing::sources {

/**
 * A streaming (pull) JSON tokenizer with bounded memory: reads `in` through a fixed-size buffer
 * and hands out one token at a time, so a multi-gigabyte AWS offer file never sits in memory.
 *
 * Strict RFC 8259 structure (nesting, commas, colons, literals) is checked; numbers are handed
 * out as their raw text. String and key text is unescaped (\uXXXX with surrogate pairs → UTF-8).
 * Any error (malformed input, or input that ends before the root value closes) stops the reader:
 * `next()` then returns Token::Error and `error()` says what and at which byte offset.
 *
 * Not thread-safe; one reader per stream.
 */
class JsonPullReader {
 public:
  enum class Token { BeginObject, EndObject, BeginArray, EndArray, Key, String, Number, True, False, Null, End, Error };

  explicit JsonPullReader(std::istream& in, std::size_t bufferSize = 1u << 20);

  /** The next token. After End or Error it keeps returning the same. */
  Token next();

  /** Text of the last Key/String (unescaped) or Number (raw); valid until the next call. */
  [[nodiscard]] std::string_view text() const { return m_text; }

  /**
   * Skips the value that the last token opened (after BeginObject/BeginArray: up to and including
   * its matching end) without unescaping anything; a scalar token needs no skip. Returns false on
   * error. Fast path for the parts of a document a caller does not need.
   */
  bool skipContainer();

  /** Reads the next value and skips it whole (after a Key). False on error. */
  bool skipValue();

  [[nodiscard]] const std::string& error() const { return m_error; }
  /** Bytes consumed so far. */
  [[nodiscard]] std::uint64_t offset() const { return m_consumed + m_pos; }
  /** Current nesting depth (0 at top level). */
  [[nodiscard]] std::size_t depth() const { return m_stack.size(); }

 private:
  bool fill();            // refill the buffer; false at end of input
  bool skipWhitespace();  // false at end of input
  Token fail(std::string message);
  Token readString(bool isKey);
  Token readNumber();
  Token readLiteral(std::string_view word, Token token);
  Token afterValue(Token token);

  std::istream& m_in;
  std::vector<char> m_buffer;
  std::size_t m_pos = 0;
  std::size_t m_end = 0;
  std::uint64_t m_consumed = 0;  // bytes before m_buffer[0]
  bool m_eof = false;

  // Parser state: the container stack ('{' or '['), and what may come next.
  std::vector<char> m_stack;
  enum class Expect { Value, KeyOrEnd, Key, Colon, ValueOrEnd, CommaOrEnd, Done } m_expect = Expect::Value;

  std::string m_scratch;    // holds text that spans buffer refills or needs unescaping
  std::string_view m_text;
  std::string m_error;
  Token m_last = Token::Null;
};

}  // namespace spotwise::pricing::sources
