#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/common/Error.h"

namespace spotwise {

/**
 * A value or an Error, in the shape of C++23 std::expected<T, Error>.
 *
 * Why our own: clang with Debian 12's libstdc++ has no <expected>, and the fuzzers need clang.
 * Construct from a T (success) or an Error (failure); check with `ok()` / `operator bool`,
 * read with `value()` / `*` / `->` (only when ok) and `error()` (only when not ok).
 */
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : m_state(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : m_state(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  [[nodiscard]] bool ok() const { return m_state.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(m_state); }
  const T& value() const& { assert(ok()); return std::get<0>(m_state); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(m_state)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(m_state); }

  template <typename U>
  T valueOr(U&& fallback) const& { return ok() ? value() : static_cast<T>(std::forward<U>(fallback)); }

 private:
  std::variant<T, Error> m_state;
};

/** Result of an operation that returns nothing on success. */
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : m_error(std::move(error)), m_failed(true) {}  // NOLINT

  [[nodiscard]] bool ok() const { return !m_failed; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { assert(m_failed); return m_error; }

 private:
  Error m_error;
  bool m_failed = false;
};

}  // namespace spotwise
