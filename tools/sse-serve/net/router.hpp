// What each request gets, whatever protocol carried it: the stream (topics, tokens, resume,
// turn-aways), publishing, the page, preflights, /healthz, /metrics, 404 and 405. HTTP/1.x
// (http_session) and HTTP/2 (h2_connection) read a request into a request_view, ask the router,
// and put its answer on their wire; so every route behaves the same on both.
#ifndef SSE_SERVE_NET_ROUTER_HPP
#define SSE_SERVE_NET_ROUTER_HPP

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/digest.hpp"
#include "net/stream_context.hpp"

namespace sse::serve {

class event_stream;

// Limits on a request; beyond them the answer is 431 or 413 and the connection (HTTP/1.x) or the
// stream (HTTP/2) ends.
inline constexpr std::uint32_t max_request_head = 16 * 1024;
inline constexpr std::uint64_t max_request_body = 16 * 1024;
// Topics one stream may follow.
inline constexpr std::size_t max_stream_topics = 64;

enum class http_method { get, head, post, options, other };
http_method method_of(std::string_view name);

// A request as the router sees it: the fields it reads, as views into the protocol's storage.
struct request_view {
  http_method method = http_method::get;
  std::string_view target;  // path and query, as sent
  std::string_view authorization;
  std::string_view cookie;  // several Cookie fields joined with "; "
  std::string_view accept;
  std::optional<std::string_view> content_type;
  std::optional<std::string_view> last_event_id;
  std::optional<std::uint64_t> content_length;
  std::string_view body;
  bool http10 = false;          // an HTTP/1.0 request: the stream body is close-delimited
  bool keep_alive = true;       // HTTP/1.x: the client keeps the connection
  char const* protocol = "h1";  // for -v
};

using header_fields = std::vector<std::pair<std::string, std::string>>;

struct answer {
  enum class kind {
    response,     // status, headers and body (or only the head)
    stream_head,  // HEAD of the stream: the event-stream head without a body
    turn_away,    // the event-stream head, body (the opening with a retry), and its end at once
    stream,       // an event stream: the transport makes one and calls router::start_stream
    publish,      // a publish: the transport calls router::publish, which answers through a handler
  };
  kind what = kind::response;
  unsigned status = 200;
  std::string content_type;  // empty: none
  std::string body;
  bool head_only = false;  // HEAD: the length of the body, not the body
  bool keep_alive = true;
  header_fields headers;  // beyond Content-Type and Content-Length
  // kind::stream
  std::optional<std::string> last_event_id;
  std::vector<std::string> topics;
  bool announce_types = false;
};

// The response headers of an event stream (Content-Type, caching, CORS, --header), without the
// HTTP/1.x framing ones.
header_fields stream_headers(http_config const& config);

// Whether an Accept header value admits text/event-stream (what EventSource sends): such clients
// are turned away with a stream that ends at once, which they retry, rather than a status that
// would make them give up for good.
bool accepts_event_stream(std::string_view accept);

class router {
 public:
  explicit router(stream_context& ctx) : ctx_(ctx) {}

  // A publish request's head, before its body is read (a request that will be refused does not
  // get to send, and make the server buffer, up to --max-publish bytes first). nullopt: go on and
  // read at most body_limit() bytes; else the refusal to send.
  std::optional<answer> admit_publish(request_view const& head, std::string_view peer);
  // Whether this request head is a publish (POST to the stream path with publishing enabled).
  bool is_publish(request_view const& head) const;
  // The body limit of a request: --max-publish for an admitted publish, else max_request_body.
  std::uint64_t body_limit(request_view const& head) const;
  // The largest body_limit() any request can get.
  std::uint64_t body_limit_ceiling() const;

  answer route(request_view const& req, std::string_view peer);

  // Publishes what an answer of kind::publish was for. The answer comes through answer_later:
  // at once (refusals, the hub) or once the shared store (--redis) has the events, so the
  // transport must keep what answer_later needs alive. req (body included) is read before this
  // returns.
  using answer_handler = std::function<void(answer)>;
  void publish(request_view const& req, std::string_view peer, answer_handler answer_later);

  // Attaches a stream the transport made for an answer of kind::stream and logs it (-v).
  void start_stream(std::shared_ptr<event_stream> const& s, answer const& a,
                    request_view const& req);

  // The answers for refused heads and bodies.
  answer head_too_large() const;
  answer body_too_large(request_view const& head);
  answer bad_request(std::string_view why) const;

 private:
  struct stream_route {
    std::string_view path;
    std::string_view query;
    bool topic_path = false;  // /events/TOPIC
  };
  std::optional<stream_route> stream_target(std::string_view target) const;
  std::vector<std::string> topics_of(stream_route const& r) const;
  std::optional<std::string> token_of(request_view const& req, std::string_view query) const;
  std::int64_t now() const;  // unix_now(), when the access policy needs the time
  answer refuse(access_decision const& d, bool keep_alive, bool publishing, std::string_view peer,
                bool head_only = false);
  answer stream(request_view const& req, std::string_view query, std::vector<std::string> topics,
                std::string_view peer);
  answer turn_away(request_view const& req, char const* why, std::string_view peer);

  stream_context& ctx_;
  digest_memo token_digest_;  // of the token this connection last presented to publish
};

answer make_response(unsigned status, std::string_view content_type, std::string body,
                     bool head_only, bool keep_alive, header_fields headers = {});

}  // namespace sse::serve

#endif
