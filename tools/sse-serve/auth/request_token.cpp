#include "auth/request_token.hpp"

#include "common/header.hpp"
#include "net/url_query.hpp"

namespace sse::serve {
namespace {

using tools::iequals;
using tools::trim_ows;

std::string_view bearer_token(std::string_view authorization) {
  authorization = trim_ows(authorization);
  std::size_t end = authorization.find_first_of(" \t");
  if (end == std::string_view::npos || !iequals(authorization.substr(0, end), "bearer")) return {};
  return trim_ows(authorization.substr(end));
}

std::string_view cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    std::size_t end = header.find(';');
    std::string_view pair = trim_ows(header.substr(0, end));
    header.remove_prefix(end == std::string_view::npos ? header.size() : end + 1);
    std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos || trim_ows(pair.substr(0, eq)) != name) continue;
    std::string_view value = trim_ows(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return value;
  }
  return {};
}

}  // namespace

std::optional<std::string> presented_token(std::string_view authorization,
                                           std::string_view cookie_header,
                                           std::string_view cookie_name, std::string_view query) {
  if (std::string_view token = bearer_token(authorization); !token.empty()) {
    return std::string(token);
  }
  if (std::string_view token = cookie_value(cookie_header, cookie_name); !token.empty()) {
    return std::string(token);
  }
  std::optional<std::string> token = query_parameter(query, "token");
  if (token && !token->empty()) return token;
  return std::nullopt;
}

std::string redact_query(std::string_view target) {
  std::size_t question = target.find('?');
  if (question == std::string_view::npos) return std::string(target);
  std::string out(target.substr(0, question + 1));
  std::string_view query = target.substr(question + 1);
  bool first = true;
  while (true) {
    std::size_t end = query.find('&');
    std::string_view pair = query.substr(0, end);
    if (!first) out.push_back('&');
    first = false;
    std::size_t eq = pair.find('=');
    // query_parameter decodes the name as the server will, so "%74oken=" is caught too.
    if (eq != std::string_view::npos && query_parameter(pair, "token")) {
      out.append(pair.substr(0, eq + 1));
      out.append("REDACTED");
    } else {
      out.append(pair);
    }
    if (end == std::string_view::npos) break;
    query.remove_prefix(end + 1);
  }
  return out;
}

}  // namespace sse::serve
