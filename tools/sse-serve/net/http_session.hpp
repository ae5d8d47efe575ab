// One HTTP/1.x connection until it becomes an event stream (or closes): reads requests with Beast's
// parser (head size and body limits) into the fields the router reads (net/request_reader), asks
// the router (net/router.hpp) what each gets, and writes that. What a stream sends is not here but
// in http1_stream. One implementation over plain TCP and over TLS, both instantiated in
// http_session.cpp.
//
// Requests are taken from the read buffer one after another without a trip through the
// io_context, and the answers to pipelined requests leave in one write, in order, before the
// connection reads again: a publisher's per-request cost is then the parse and the publish, not
// the system calls and wake-ups around them.
#ifndef SSE_SERVE_NET_HTTP_SESSION_HPP
#define SSE_SERVE_NET_HTTP_SESSION_HPP

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "net/request_reader.hpp"
#include "net/router.hpp"
#include "net/stream_context.hpp"

namespace sse::serve {

// Stream: boost::beast::tcp_stream, or tls_stream (net/tls_stream.hpp).
template <typename Stream>
class basic_http_session final : public std::enable_shared_from_this<basic_http_session<Stream>> {
 public:
  // buffer: bytes already read from the connection (while telling its protocol).
  template <typename S>
  basic_http_session(S&& stream, stream_context& ctx, boost::beast::flat_buffer buffer = {},
                     std::string peer = {})
      : stream_(std::forward<S>(stream)),
        buffer_(std::move(buffer)),
        ctx_(ctx),
        router_(ctx),
        peer_(std::move(peer)),
        deadline_timer_(stream_.get_executor()) {
    init_peer();
  }
  void start();

 private:
  using clock = std::chrono::steady_clock;

  void init_peer();
  // The one place that decides what happens next: parse what is buffered, write what is
  // answered, then read, close, or hand the connection to a stream.
  void pump();
  // Takes requests from buffer_ until it needs more bytes or must stop (a close, a stream, a
  // publish whose answer comes later).
  void process_buffered();
  void begin_request();
  bool on_header();  // false: the request was refused before its body
  void handle_request();
  void fail(boost::system::error_code ec);
  void answer_with(answer const& a, request_view const& view, bool http10);
  void answered(bool keep_alive);
  void start_write();
  void on_written(boost::system::error_code ec, std::size_t bytes);
  void start_read();
  void on_read(boost::system::error_code ec, std::size_t bytes);
  void start_stream();
  void arm_deadline();
  void on_deadline(boost::system::error_code ec);
  void close_now();
  void linger_close();
  void drain();

  Stream stream_;
  boost::beast::flat_buffer buffer_;
  request_head head_;  // of the request being read or answered; reused
  std::optional<request_reader> parser_;
  bool head_done_ = false;        // the current request's head has been through on_header
  std::size_t read_size_ = 4096;  // bytes asked of the next read; grows while reads fill it
  static constexpr std::size_t max_read_size = std::size_t{1} << 20;
  std::string out_;      // answers not yet written
  std::string sending_;  // the answers being written
  bool reading_ = false;
  bool writing_ = false;
  bool waiting_ = false;  // a publish whose answer comes later (the shared store)
  bool closing_ = false;  // an answer ends the connection: nothing more is read or answered
  bool done_ = false;     // closed, lingering or handed over
  bool in_process_ = false;
  bool armed_this_pass_ = false;  // a request of this process_buffered pass armed the deadline
  std::optional<answer> stream_answer_;  // the connection becomes this stream once out_ is sent
  bool http10_ = false;                  // of the request being answered
  stream_context& ctx_;
  router router_;
  std::string peer_;
  // --request-timeout, enforced lazily: a request moves deadline_ (a clock read) and the timer,
  // when it fires, waits again for the new deadline or closes the connection. Re-arming Beast's
  // per-operation timers cost two timer-queue operations and a cancelled handler per request.
  boost::asio::steady_timer deadline_timer_;
  clock::time_point deadline_;
  bool timer_waiting_ = false;
};

using http_session = basic_http_session<boost::beast::tcp_stream>;

// A complete HTTP/1.1 response for an answer of kind response (or HEAD), as bytes.
std::string http1_response(answer const& a);
// The same, appended to out.
void append_http1_response(std::string& out, answer const& a);

}  // namespace sse::serve

#endif
