#include "core/agent/IgnoreRules.h"

namespace spotwise::agent {
namespace {

// One path segment against one pattern segment: '*', '?', '[...]', '\x'. No '/' on either side.
bool segmentMatch(std::string_view p, std::string_view s) {
  std::size_t pi = 0, si = 0, starP = std::string_view::npos, starS = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      starP = pi++;
      starS = si;
      continue;
    }
    if (pi < p.size()) {
      bool matched = false;
      std::size_t next = pi + 1;
      if (p[pi] == '?') {
        matched = true;
      } else if (p[pi] == '[') {
        std::size_t j = pi + 1;
        bool negate = j < p.size() && (p[j] == '!' || p[j] == '^');
        if (negate) ++j;
        bool in = false;
        bool first = true;
        while (j < p.size() && (p[j] != ']' || first)) {
          first = false;
          char lo = p[j];
          if (lo == '\\' && j + 1 < p.size()) lo = p[++j];
          char hi = lo;
          if (j + 2 < p.size() && p[j + 1] == '-' && p[j + 2] != ']') {
            hi = p[j + 2];
            j += 2;
          }
          if (s[si] >= lo && s[si] <= hi) in = true;
          ++j;
        }
        if (j < p.size()) {
          matched = in != negate;
          next = j + 1;
        } else {
          matched = s[si] == '[';  // unterminated class: a literal '['
        }
      } else if (p[pi] == '\\' && pi + 1 < p.size()) {
        matched = p[pi + 1] == s[si];
        next = pi + 2;
      } else {
        matched = p[pi] == s[si];
      }
      if (matched) {
        pi = next;
        ++si;
        continue;
      }
    }
    if (starP == std::string_view::npos) return false;
    pi = starP + 1;
    si = ++starS;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

std::vector<std::string_view> split(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t slash = text.find('/', start);
    if (slash == std::string_view::npos) slash = text.size();
    parts.push_back(text.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

bool matchSegments(const std::vector<std::string_view>& p, std::size_t pi, const std::vector<std::string_view>& s, std::size_t si) {
  while (pi < p.size()) {
    if (p[pi] == "**") {
      for (std::size_t k = si; k <= s.size(); ++k)
        if (matchSegments(p, pi + 1, s, k)) return true;
      return false;
    }
    if (si >= s.size() || !segmentMatch(p[pi], s[si])) return false;
    ++pi;
    ++si;
  }
  return si == s.size();
}

}  // namespace

bool IgnoreRules::globMatch(std::string_view pattern, std::string_view path) {
  return matchSegments(split(pattern), 0, split(path), 0);
}

void IgnoreRules::add(std::string_view text, std::string_view baseDir) {
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(start, end - start));
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    // Trailing spaces are dropped unless escaped with a backslash.
    while (!line.empty() && line.back() == ' ' && !(line.size() >= 2 && line[line.size() - 2] == '\\')) line.pop_back();
    if (line.empty() || line.front() == '#') continue;
    Rule rule;
    rule.base = std::string(baseDir);
    if (line.front() == '!') {
      rule.negated = true;
      line.erase(0, 1);
    } else if (line.starts_with("\\!") || line.starts_with("\\#")) {
      line.erase(0, 1);
    }
    if (!line.empty() && line.back() == '/') {
      rule.dirOnly = true;
      line.pop_back();
    }
    if (line.empty()) continue;
    rule.anchored = line.find('/') != std::string::npos;
    if (line.front() == '/') line.erase(0, 1);
    if (line.empty()) continue;
    rule.pattern = std::move(line);
    m_rules.push_back(std::move(rule));
  }
}

bool IgnoreRules::isIgnored(std::string_view relPath, bool isDir) const {
  bool ignored = false;
  for (const Rule& rule : m_rules) {
    std::string_view path = relPath;
    if (!rule.base.empty()) {
      if (!(path.starts_with(rule.base) && path.size() > rule.base.size() && path[rule.base.size()] == '/')) continue;
      path.remove_prefix(rule.base.size() + 1);
    }
    if (rule.dirOnly && !isDir) continue;
    bool match = false;
    if (rule.anchored) {
      match = globMatch(rule.pattern, path);
    } else {
      const std::size_t slash = path.rfind('/');
      match = segmentMatch(rule.pattern, slash == std::string_view::npos ? path : path.substr(slash + 1));
    }
    if (match) ignored = !rule.negated;
  }
  return ignored;
}

}  // namespace spotwise::agent
