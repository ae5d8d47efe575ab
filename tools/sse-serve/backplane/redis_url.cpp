#include "backplane/redis_url.hpp"

#include <charconv>

#include "net/url_query.hpp"

namespace sse::serve {

std::optional<redis_url> parse_redis_url(std::string_view text, std::string& why) {
  constexpr std::string_view scheme = "redis://";
  if (text.substr(0, scheme.size()) != scheme) {
    why = "expected redis://[user:password@]HOST:PORT[/DB]";
    return std::nullopt;
  }
  std::string_view rest = text.substr(scheme.size());
  redis_url u;
  if (std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view credentials = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    std::size_t colon = credentials.find(':');
    if (colon == std::string_view::npos) {
      u.password =
          decode_path_segment(credentials);  // redis://password@host, as redis-cli takes it
    } else {
      u.user = decode_path_segment(credentials.substr(0, colon));
      u.password = decode_path_segment(credentials.substr(colon + 1));
    }
  }
  std::string_view authority = rest.substr(0, rest.find('/'));
  std::string_view path = rest.substr(authority.size());
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      why = "an IPv6 address needs its closing ']'";
      return std::nullopt;
    }
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        why = "expected ':PORT' after the address";
        return std::nullopt;
      }
      port_text = after.substr(1);
    }
  } else {
    std::size_t colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (u.host.empty()) {
    why = "the URL has no host";
    return std::nullopt;
  }
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      why = "the port must be a number from 1 to 65535";
      return std::nullopt;
    }
    u.port = static_cast<std::uint16_t>(port);
  }
  if (path.size() > 1) {
    std::string_view db = path.substr(1);
    auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), u.db);
    if (ec != std::errc() || end != db.data() + db.size()) {
      why = "the database (after '/') must be a number";
      return std::nullopt;
    }
  }
  return u;
}

std::string masked(redis_url const& u) {
  std::string out = "redis://";
  if (!u.user.empty() || !u.password.empty()) {
    out += u.user;
    if (!u.password.empty()) out += ":***";
    out += "@";
  }
  bool const v6 = u.host.find(':') != std::string::npos;
  out += v6 ? "[" + u.host + "]" : u.host;
  out += ":" + std::to_string(u.port);
  if (u.db != 0) out += "/" + std::to_string(u.db);
  return out;
}

std::string mask_redis_text(std::string_view text) {
  std::size_t const at = text.rfind('@');
  std::size_t const start = text.find("://");
  if (at == std::string_view::npos || start == std::string_view::npos || at < start)
    return std::string(text);
  std::string_view credentials = text.substr(start + 3, at - start - 3);
  std::size_t const colon = credentials.find(':');
  std::string user(colon == std::string_view::npos ? std::string_view()
                                                   : credentials.substr(0, colon));
  return std::string(text.substr(0, start + 3)) + user + (user.empty() ? "***" : ":***") +
         std::string(text.substr(at));
}

}  // namespace sse::serve
