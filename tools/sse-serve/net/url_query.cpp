#include "net/url_query.hpp"

namespace sse::serve {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode(std::string_view s, bool plus_is_space = true) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(c);  // a stray '%' stays as it is, as browsers do
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> query_parameter(std::string_view query, std::string_view name) {
  std::vector<std::string> all = query_parameters(query, name);
  if (all.empty()) return std::nullopt;
  return std::move(all.front());
}

std::vector<std::string> query_parameters(std::string_view query, std::string_view name) {
  std::vector<std::string> out;
  while (!query.empty()) {
    std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(pair.size() < query.size() ? pair.size() + 1 : pair.size());
    std::string_view key = pair.substr(0, pair.find('='));
    if (decode(key) != name) continue;
    out.push_back(key.size() < pair.size() ? decode(pair.substr(key.size() + 1)) : std::string());
  }
  return out;
}

std::string decode_path_segment(std::string_view s) {
  return decode(s, false);
}

}  // namespace sse::serve
