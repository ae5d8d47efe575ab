// Where a request carries its token, and keeping that token out of logs.
#ifndef SSE_SERVE_AUTH_REQUEST_TOKEN_HPP
#define SSE_SERVE_AUTH_REQUEST_TOKEN_HPP

#include <optional>
#include <string>
#include <string_view>

namespace sse::serve {

inline constexpr char default_token_cookie[] = "sse_token";

// The token a request presents, from the first of these that holds a non-empty one:
// - authorization, the Authorization header's value: `Bearer TOKEN` (the scheme in any case, as
//   RFC 9110 §11.1 says); another scheme (Basic, …) is passed over;
// - cookie_header, the Cookie header's value ("a=1; NAME=TOKEN"): the first cookie called
//   cookie_name (names are case-sensitive), its value taken as sent (quotes around it dropped,
//   no percent-decoding, as RFC 6265 stores it). HTTP/2 may split Cookie into several fields:
//   join them with "; " first (RFC 9113 §8.2.3);
// - query, the request target's query without the '?': the `token` parameter, percent-decoded
//   (what EventSource, which cannot set headers, can send).
// An absent header is an empty string_view.
std::optional<std::string> presented_token(std::string_view authorization,
                                           std::string_view cookie_header,
                                           std::string_view cookie_name, std::string_view query);

// target (a request target, "/events?topic=a&token=abc") with the value of every `token` query
// parameter, however its name is percent-encoded, replaced by REDACTED: what -v logs print.
std::string redact_query(std::string_view target);

}  // namespace sse::serve

#endif
