// Host and port as people and URLs write them: "127.0.0.1:8080", "[::1]:8080".
#ifndef SSE_TOOLS_ENDPOINT_HPP
#define SSE_TOOLS_ENDPOINT_HPP

#include <cstdint>
#include <string>
#include <string_view>

namespace sse::tools {

// address is a numeric IPv4 or IPv6 address (an IPv6 one gets brackets).
std::string host_port(std::string_view address, std::uint16_t port);

// "SCHEME://HOST:PORT/".
std::string endpoint_url(std::string_view scheme, std::string_view address, std::uint16_t port);

}  // namespace sse::tools

#endif
