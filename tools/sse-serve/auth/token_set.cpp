#include "auth/token_set.hpp"

#include <algorithm>

#include "auth/secret_file.hpp"

namespace sse::serve {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

}  // namespace

std::string_view trim_whitespace(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool valid_token(std::string_view token) {
  if (token.empty()) return false;
  return std::none_of(token.begin(), token.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

std::optional<token_set> token_set::load(std::string const& path, std::string& error) {
  std::optional<std::string> content = read_secret_file(path, max_token_file_bytes, error);
  if (!content) return std::nullopt;
  std::string_view rest = *content;
  // Windows editors start UTF-8 files with a BOM, which would silently become part of the first
  // token and make it unmatchable.
  if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);

  token_set set;
  std::size_t line_number = 0;
  while (!rest.empty()) {
    std::size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    ++line_number;
    line = trim_whitespace(line);
    if (line.empty() || line.front() == '#') continue;
    if (!valid_token(line)) {
      error = "a token cannot hold whitespace or control characters (" + path + " line " +
              std::to_string(line_number) + ")";
      return std::nullopt;
    }
    set.digests_.push_back(sha256(line));
  }
  if (set.empty()) {
    error = path + " holds no tokens";
    return std::nullopt;
  }
  // Sorted once here rather than per add(), which would be quadratic for a big file.
  std::sort(set.digests_.begin(), set.digests_.end());
  set.digests_.erase(std::unique(set.digests_.begin(), set.digests_.end()), set.digests_.end());
  return set;
}

void token_set::add(std::string_view token) {
  digest d = sha256(token);
  auto at = std::lower_bound(digests_.begin(), digests_.end(), d);
  if (at == digests_.end() || *at != d) digests_.insert(at, d);
}

bool token_set::contains(std::string_view token) const {
  return contains_digest(sha256(token));
}

bool token_set::contains_digest(digest const& presented) const {
  // No early exit: every candidate is compared, whatever the earlier ones gave.
  unsigned found = 0;
  for (digest const& candidate : digests_) {
    found |= same_digest(candidate, presented) ? 1u : 0u;
  }
  return found != 0;
}

}  // namespace sse::serve
