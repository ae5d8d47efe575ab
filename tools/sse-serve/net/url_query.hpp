// Reading one parameter from a URL query string (application/x-www-form-urlencoded rules).
#ifndef SSE_SERVE_NET_URL_QUERY_HPP
#define SSE_SERVE_NET_URL_QUERY_HPP

#include <optional>
#include <string>
#include <string_view>

namespace sse::serve {

// The percent-decoded value of the first `name=` parameter in query ("a=1&b=2"), or nullopt.
std::optional<std::string> query_parameter(std::string_view query, std::string_view name);

}  // namespace sse::serve

#endif
