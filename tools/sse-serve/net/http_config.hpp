// What the HTTP side of sse-serve needs to know, taken from the command line by the server.
#ifndef SSE_SERVE_NET_HTTP_CONFIG_HPP
#define SSE_SERVE_NET_HTTP_CONFIG_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sse::serve {

struct http_config {
  std::string path = "/events";                              // the stream's URL path
  std::optional<std::string> cors;                           // Access-Control-Allow-Origin
  std::vector<std::pair<std::string, std::string>> headers;  // extra response headers
  std::optional<std::uint64_t> retry;                        // retry: at the start of each stream
  std::size_t max_clients = 0;                               // 0: no limit
  std::size_t backlog = 0;        // held events a client without Last-Event-ID gets first
  double request_timeout = 10.0;  // seconds for a whole request head
  bool metrics = false;           // serve GET /metrics
  std::size_t max_publish = std::size_t{1} << 20;  // bytes of one publish request's body
  std::string token_cookie = "sse_token";          // the cookie a token may come in
  std::uint32_t h2_max_streams = 100;              // HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS
  bool verbose = false;
  bool quiet = false;
};

}  // namespace sse::serve

#endif
