#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace spotwise::agent {

/**
 * gitignore(5) pattern rules, from every `.gitignore` and `.spotwiseignore` of a folder tree.
 *
 * Supported as git does: blank lines and `#` comments, `\#`/`\!` escapes, trailing-space
 * trimming, `!` negation (the last matching rule wins; a file inside an ignored folder stays
 * ignored because the walk never enters that folder), a trailing `/` for folders only, a leading
 * or middle `/` anchoring the pattern to the file's folder, `*`, `?`, `[a-z]`/`[!a-z]` classes and
 * `**` (leading, trailing and between slashes). Rules of a deeper file override shallower ones;
 * `.spotwiseignore` overrides `.gitignore` in the same folder. Value type; thread-compatible.
 */
class IgnoreRules {
 public:
  /** Adds the rules of one ignore file that sits in `baseDir` ('/'-separated, relative to the root; "" = root). */
  void add(std::string_view fileText, std::string_view baseDir);
  /** Whether `relPath` ('/'-separated, relative to the root) is ignored by the rules added so far. */
  [[nodiscard]] bool isIgnored(std::string_view relPath, bool isDir) const;
  /** Whether one glob pattern (with `**`) matches a '/'-separated path exactly. */
  static bool globMatch(std::string_view pattern, std::string_view path);

 private:
  struct Rule {
    std::string base;      ///< folder of the ignore file, "" or "a/b"
    std::string pattern;   ///< without the leading '!' / '/' and the trailing '/'
    bool negated = false;
    bool dirOnly = false;
    bool anchored = false;  ///< matched against the path relative to base, not just the name
  };
  std::vector<Rule> m_rules;
};

}  // namespace spotwise::agent
