// One HTTP connection until it becomes an event stream (or closes): reads requests with Beast's
// parser (head size and body limits) and routes them: the stream, the page, preflights, errors.
// What a stream sends is not here but in http1_stream.
#ifndef SSE_SERVE_NET_HTTP_SESSION_HPP
#define SSE_SERVE_NET_HTTP_SESSION_HPP

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/stream_context.hpp"

namespace sse::serve {

// Limits on a request; beyond them the answer is 431 or 413 and the connection closes.
inline constexpr std::uint32_t max_request_head = 16 * 1024;
inline constexpr std::uint64_t max_request_body = 16 * 1024;
// Topics one stream may follow.
inline constexpr std::size_t max_stream_topics = 64;

class http_session final : public std::enable_shared_from_this<http_session> {
 public:
  http_session(boost::asio::ip::tcp::socket socket, stream_context& ctx);
  void start();

 private:
  using request = boost::beast::http::request<boost::beast::http::string_body>;
  using request_header = boost::beast::http::request_header<>;
  // A request for the stream path (or the stream path and a topic).
  struct stream_route {
    std::string_view path;
    std::string_view query;
    bool topic_path = false;  // /events/TOPIC
  };
  using header_list = std::initializer_list<std::pair<std::string_view, std::string_view>>;

  void read_request();
  void on_header(boost::system::error_code ec, std::size_t bytes);
  void read_body();
  void on_read(boost::system::error_code ec, std::size_t bytes);
  void read_failed(boost::system::error_code ec);
  std::optional<stream_route> stream_target(std::string_view target) const;
  std::vector<std::string> topics_of(stream_route const& r) const;
  std::optional<std::string> token_of(request_header const& req, std::string_view query) const;
  void refuse(access_decision const& d, bool keep_alive, bool publishing);
  // Checks a publish request's head (token, topic, type, length); false: refused (answered).
  bool admit_publish(request_header const& req);
  void publish(request const& req, stream_route const& route);
  void handle(request const& req);
  void handle_stream(request const& req, std::string_view query, std::vector<std::string> topics);
  void start_stream(request const& req, std::string_view query, std::vector<std::string> topics);
  void turn_away(request const& req, char const* why);
  // Sends a complete response; closes afterwards unless keep_alive.
  void respond(unsigned status, std::string_view content_type, std::string body, bool head_only,
               bool keep_alive, header_list extra = {});
  void write_raw(std::string bytes, bool keep_alive);
  void on_written(bool keep_alive, boost::system::error_code ec, std::size_t bytes);
  void linger_close();
  void drain();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::shared_ptr<void> response_;  // the response being written
  stream_context& ctx_;
  std::string peer_;
};

// Whether an Accept header value admits text/event-stream (what EventSource sends): such clients
// are turned away with a stream that ends at once, which they retry, rather than a status that
// would make them give up for good.
bool accepts_event_stream(std::string_view accept);

}  // namespace sse::serve

#endif
