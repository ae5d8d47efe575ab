// --redis redis://[user:password@]HOST:PORT[/DB], parsed, and printed with the password masked.
#ifndef SSE_SERVE_BACKPLANE_REDIS_URL_HPP
#define SSE_SERVE_BACKPLANE_REDIS_URL_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sse::serve {

struct redis_url {
  std::string user;      // empty: the default user
  std::string password;  // empty: none (SSE_REDIS_PASSWORD may give one)
  std::string host;      // a name, an IPv4 address, or an IPv6 address (without brackets)
  std::uint16_t port = 6379;
  unsigned db = 0;
};

// The URL, or nullopt and why (the reason never holds the password).
std::optional<redis_url> parse_redis_url(std::string_view text, std::string& why);

// The URL as it may be printed: the password replaced by ***.
std::string masked(redis_url const& u);

// The text as it may be printed in an error: any password in it replaced by ***.
std::string mask_redis_text(std::string_view text);

}  // namespace sse::serve

#endif
