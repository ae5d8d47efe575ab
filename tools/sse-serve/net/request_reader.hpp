// One HTTP/1.x request as the router reads it: Beast's basic_parser (the framing, chunked bodies,
// the head and body limits) feeding a head that keeps only the fields the router looks at, in
// strings reused from one request to the next on a connection.
//
// Beast's request_parser keeps every field in a node of its own (an allocation each) and finds a
// field again by a case-folding search: with pipelined publishing that was a fifth of a request's
// cost. Here a field is recognised once, as it is parsed, and the rest are dropped.
#ifndef SSE_SERVE_NET_REQUEST_READER_HPP
#define SSE_SERVE_NET_REQUEST_READER_HPP

#include <boost/beast/http/basic_parser.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "net/router.hpp"

namespace sse::serve {

// The parts of a request the router reads. Kept by the connection: clear() keeps the capacity.
struct request_head {
  std::string method;
  std::string target;
  int version = 11;
  std::string authorization;
  std::string cookie;  // several Cookie fields joined with "; "
  std::string accept;
  std::optional<std::string> content_type;
  std::optional<std::string> last_event_id;
  bool expect_continue = false;  // Expect: 100-continue
  bool keep_alive = true;
  std::string body;
  bool seen_authorization = false;
  bool seen_accept = false;

  void clear();
  // Views into this head (valid while it is neither cleared nor changed).
  request_view view() const;
};

// Parses one request into a request_head; a new reader for each request, the same head.
class request_reader final : public boost::beast::http::basic_parser<true> {
 public:
  explicit request_reader(request_head& head) : head_(head) { head_.clear(); }

 private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;

  void on_request_impl(boost::beast::http::verb, string_view method, string_view target,
                       int version, error_code&) override;
  void on_response_impl(int, string_view, int, error_code&) override {}
  void on_field_impl(boost::beast::http::field name, string_view name_string, string_view value,
                     error_code&) override;
  void on_header_impl(error_code&) override;
  void on_body_init_impl(boost::optional<std::uint64_t> const& content_length,
                         error_code&) override;
  std::size_t on_body_impl(string_view body, error_code&) override;
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override;
  void on_finish_impl(error_code&) override {}

  request_head& head_;
};

}  // namespace sse::serve

#endif
