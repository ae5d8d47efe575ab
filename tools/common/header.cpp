#include "common/header.hpp"

#include <cstddef>

namespace sse::tools {
namespace {

constexpr std::string_view token_punctuation = "!#$%&'*+-.^_`|~";

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         token_punctuation.find(c) != std::string_view::npos;
}

// s in single quotes, with control characters written as escapes, so that a message about a
// line break does not itself break the line.
std::string quoted(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    auto const u = static_cast<unsigned char>(c);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7F) {
      constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 0xF];
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

}  // namespace

bool is_token(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!is_token_char(c)) return false;
  }
  return true;
}

std::string check_header(std::string_view h) {
  auto const colon = h.find(':');
  if (colon == std::string_view::npos) return "expected 'Name: value', got " + quoted(h);
  std::string_view const name = h.substr(0, colon);
  if (name.empty()) return "the header name is empty in " + quoted(h);
  for (char c : name) {
    if (!is_token_char(c)) {
      auto const u = static_cast<unsigned char>(c);
      std::string what = u >= 0x80 ? "byte " + std::to_string(u) : quoted(std::string_view(&c, 1));
      return "the header name in " + quoted(h) + " holds " + what +
             "; a name is letters, digits and " + std::string(token_punctuation);
    }
  }
  if (h.find_first_of(std::string_view("\r\n\0", 3), colon) != std::string_view::npos) {
    return "a header value cannot hold CR, LF or NUL: " + quoted(h);
  }
  return {};
}

std::string_view header_name(std::string_view h) {
  std::string_view name = h.substr(0, h.find(':'));
  while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  return name;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view trim_header_line(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return trim_ows(s);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace sse::tools
