// Reading one parameter from a URL query string (application/x-www-form-urlencoded rules).
#ifndef SSE_SERVE_NET_URL_QUERY_HPP
#define SSE_SERVE_NET_URL_QUERY_HPP

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sse::serve {

// The percent-decoded value of the first `name=` parameter in query ("a=1&b=2"), or nullopt.
std::optional<std::string> query_parameter(std::string_view query, std::string_view name);

// Every `name=` value in query, in order, percent-decoded.
std::vector<std::string> query_parameters(std::string_view query, std::string_view name);

// Percent-decodes a path segment ('+' stays '+', as in paths).
std::string decode_path_segment(std::string_view s);

}  // namespace sse::serve

#endif
