// An EventSource response for Boost.Beast: answer a parsed request with an event stream on any
// Beast AsyncStream (beast::tcp_stream, beast::ssl_stream<beast::tcp_stream>, ...) and send events
// to it with Asio completion tokens (callbacks, use_future, use_awaitable, detached).
//
//   auto es = sse::beast::start_event_stream(std::move(stream), request, options);
//   es->async_send("foo 0", [](boost::system::error_code ec) { ... });
//   es->async_close(boost::asio::detached);
//
// Header-only, C++17; needs Boost's headers (1.74 or later) and libsse (CMake: sse::beast). With
// C++20 coroutines and Boost 1.74, <utility> must come before any Asio header that includes
// <boost/asio/awaitable.hpp> (which uses std::exchange without including it): include this header
// first, or put `#include <utility>` first.
#ifndef SSE_BEAST_HPP
#define SSE_BEAST_HPP

// clang-format off
#include <utility>  // first: see above
// clang-format on

#include <array>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/async_base.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <sse/beast/http1.hpp>
#include <sse/encoder.hpp>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace sse::beast {

// Why a send or a close did not complete normally (besides the stream's own errors, such as
// asio::error::eof when the client went away, and asio::error::operation_aborted).
enum class error {
  queue_full = 1,  // when_full::fail and the queue holds queue_limit bytes: nothing was queued
  closed,          // the stream is closing or closed: nothing was queued
};

// Boost.System's error_category has a protected non-virtual destructor, as its own categories do.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
#endif

inline boost::system::error_category const& error_category() noexcept {
  struct category final : boost::system::error_category {
    char const* name() const noexcept override { return "sse.beast"; }
    std::string message(int ev) const override {
      switch (static_cast<error>(ev)) {
        case error::queue_full:
          return "the event stream's queue is full";
        case error::closed:
          return "the event stream is closed";
      }
      return "unknown sse.beast error";
    }
  };
  static category const instance;
  return instance;
}

inline boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

// sse::encode_error as an error_code: an event the wire format cannot carry fails its send.
inline boost::system::error_category const& encode_category() noexcept {
  struct category final : boost::system::error_category {
    char const* name() const noexcept override { return "sse.encode"; }
    std::string message(int ev) const override {
      return sse::to_string(static_cast<sse::encode_error>(ev));
    }
  };
  static category const instance;
  return instance;
}

#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

}  // namespace sse::beast

namespace sse {
inline boost::system::error_code make_error_code(encode_error e) noexcept {
  return {static_cast<int>(e), beast::encode_category()};
}
}  // namespace sse

template <>
struct boost::system::is_error_code_enum<sse::beast::error> : std::true_type {};
template <>
struct boost::system::is_error_code_enum<sse::encode_error> : std::true_type {};

namespace sse::beast {

// What async_send does when the event does not fit in the queue.
enum class when_full {
  fail,  // complete at once with error::queue_full; the event is not sent
  wait,  // hold the send (and every later one, in order) until the queue has room
};

struct stream_options {
  std::optional<std::string> cors;     // Access-Control-Allow-Origin (Vary: Origin unless "*")
  header_list headers;                 // extra response header fields, written after the others
  std::optional<std::uint64_t> retry;  // a "retry: MS" line at the start of the body
  // A ": ping" comment after this long without a write, so that proxies and the client's own
  // timeouts see a live connection. Zero: no pings.
  std::chrono::milliseconds ping_interval = std::chrono::seconds(15);
  // Bytes of events accepted but not yet written (queued, or in the write in flight). An event
  // is accepted while the queue is empty whatever its size. Zero: no bound.
  std::size_t queue_limit = std::size_t{1} << 20;
  when_full on_full = when_full::fail;
  // How long async_close may take to deliver what is queued and shut the connection down before
  // it closes the socket anyway. Zero: no limit.
  std::chrono::milliseconds close_timeout = std::chrono::seconds(5);
};

namespace detail {

// A send, close or wait whose handler is stored until it completes. Completion always goes
// through the handler's executor (never inline), so a handler may call the stream again.
class pending_op {
 public:
  virtual ~pending_op() = default;
  virtual void finish(boost::system::error_code ec) = 0;
};

template <class Handler, class Executor>
class completion_op final : public pending_op, public boost::beast::async_base<Handler, Executor> {
  using base = boost::beast::async_base<Handler, Executor>;

 public:
  template <class H>
  completion_op(H&& handler, Executor const& ex) : base(std::forward<H>(handler), ex) {}
  void finish(boost::system::error_code ec) override { base::complete(false, ec); }
};

using op_ptr = std::unique_ptr<pending_op>;

// A beast::tcp_stream keeps the timeout of the request it read; a stream lives on its own terms.
template <class Layer>
auto disable_timeout(Layer& layer, int) -> decltype(layer.expires_never(), void()) {
  layer.expires_never();
}
template <class Layer>
void disable_timeout(Layer&, long) {}

// Cancels the operations on the lowest layer: a socket's cancel(ec), or tcp_stream's cancel().
template <class Layer>
auto cancel(Layer& layer, int)
    -> decltype(layer.cancel(std::declval<boost::system::error_code&>()), void()) {
  boost::system::error_code ignored;
  layer.cancel(ignored);
}
template <class Layer>
auto cancel(Layer& layer, long) -> decltype(layer.cancel(), void()) {
  layer.cancel();
}

struct construct_key {
  explicit construct_key() = default;
};

}  // namespace detail

// One event stream: the response to one request, on one connection. Made by start_event_stream
// and owned by shared_ptr: its pending operations keep it alive, so it lives until it is closed
// or the client goes away, even when the application keeps no pointer to it.
//
// Sends are queued in order and written one write at a time: whatever is queued while a write is
// in flight goes out together in the next write, as one chunk. Every member function may be
// called from any thread: the work is dispatched to the stream's executor, which must therefore
// be a strand (or belong to an io_context run by one thread), as the stream's own must anyway.
template <class Stream>
class event_stream : public std::enable_shared_from_this<event_stream<Stream>> {
 public:
  using stream_type = Stream;
  using executor_type = typename Stream::executor_type;

  // Use start_event_stream.
  event_stream(detail::construct_key, Stream&& stream, std::string head,
               std::optional<std::string> last_event_id, bool chunked, bool head_only,
               stream_options options)
      : stream_(std::move(stream)),
        ex_(stream_.get_executor()),
        timer_(ex_),
        options_(std::move(options)),
        last_event_id_(std::move(last_event_id)),
        head_(std::move(head)),
        chunked_(chunked),
        head_only_(head_only) {}

  event_stream(event_stream const&) = delete;
  event_stream& operator=(event_stream const&) = delete;

  executor_type get_executor() const noexcept { return ex_; }

  // The request's Last-Event-ID (header, or ?lastEventId=), nullopt when it had none.
  std::optional<std::string> const& last_event_id() const noexcept { return last_event_id_; }

  // True for an HTTP/1.1 request (a chunked body), false for HTTP/1.0 (close-delimited).
  bool chunked() const noexcept { return chunked_; }

  // Sends an event (data, type, id, retry): completes once its bytes are written to the stream,
  // with: success; the encoder's error (sse::encode_error, nothing sent) for an event the format
  // cannot carry; error::queue_full (when_full::fail); error::closed after async_close or the
  // end of the stream; or, for a send still queued when the stream ends, operation_aborted (a
  // send in the write that failed gets that write's error). The event is encoded before this
  // returns, so its views need not outlive the call.
  template <class CompletionToken BOOST_ASIO_DEFAULT_COMPLETION_TOKEN_TYPE(executor_type)>
  auto async_send(sse::event const& ev,
                  CompletionToken&& token BOOST_ASIO_DEFAULT_COMPLETION_TOKEN(executor_type)) {
    std::string bytes;
    boost::system::error_code const invalid = make_error_code(sse::encode(bytes, ev));
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
        initiate_send{this}, token, std::move(bytes), invalid);
  }

  // Sends data as an event of the default type ("message"), with no id.
  template <class CompletionToken BOOST_ASIO_DEFAULT_COMPLETION_TOKEN_TYPE(executor_type)>
  auto async_send(std::string_view data,
                  CompletionToken&& token BOOST_ASIO_DEFAULT_COMPLETION_TOKEN(executor_type)) {
    sse::event ev;
    ev.data = data;
    return async_send(ev, std::forward<CompletionToken>(token));
  }

  // Sends a comment (": text" lines; EventSource ignores them), as async_send does.
  template <class CompletionToken BOOST_ASIO_DEFAULT_COMPLETION_TOKEN_TYPE(executor_type)>
  auto async_send_comment(std::string_view text,
                          CompletionToken&& token
                              BOOST_ASIO_DEFAULT_COMPLETION_TOKEN(executor_type)) {
    std::string bytes;
    sse::encode_comment(bytes, text);
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
        initiate_send{this}, token, std::move(bytes), boost::system::error_code());
  }

  // Ends the stream cleanly: later sends fail with error::closed; what is queued (and waiting)
  // is written; then the last chunk (HTTP/1.1) and a graceful shutdown (Beast's teardown: TCP
  // shutdown and close, or TLS close_notify). Completes with success once done, with the error
  // that ended the stream if it ended otherwise (the client left first: eof), or with
  // asio::error::timed_out when close_timeout passed first (the socket is then closed).
  template <class CompletionToken BOOST_ASIO_DEFAULT_COMPLETION_TOKEN_TYPE(executor_type)>
  auto async_close(CompletionToken&& token BOOST_ASIO_DEFAULT_COMPLETION_TOKEN(executor_type)) {
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
        initiate_wait{this, true}, token);
  }

  // Completes when the stream has ended, with why: success after async_close, the read's error
  // when the client went away (asio::error::eof for a clean close), a write's error,
  // asio::error::timed_out or operation_aborted (close()). At once if it has already ended.
  // Any number of waits may be pending.
  template <class CompletionToken BOOST_ASIO_DEFAULT_COMPLETION_TOKEN_TYPE(executor_type)>
  auto async_wait_closed(
      CompletionToken&& token BOOST_ASIO_DEFAULT_COMPLETION_TOKEN(executor_type)) {
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
        initiate_wait{this, false}, token);
  }

  // Closes the connection now, without the last chunk: queued sends complete with
  // operation_aborted, waits with operation_aborted.
  void close() {
    boost::asio::dispatch(ex_, [self = this->shared_from_this()] {
      self->end(boost::asio::error::operation_aborted);
    });
  }

  // Called once, by start_event_stream (the key keeps others out).
  void start(detail::construct_key) {
    boost::asio::dispatch(ex_, [self = this->shared_from_this()] { self->begin(); });
  }

 private:
  enum class state { open, closing, tearing_down, closed };

  struct waiting_send {
    std::string bytes;
    detail::op_ptr op;
  };

  template <class Handler>
  detail::op_ptr make_op(Handler&& handler) {
    using op_type = detail::completion_op<std::decay_t<Handler>, executor_type>;
    return std::make_unique<op_type>(std::forward<Handler>(handler), ex_);
  }

  struct initiate_send {
    event_stream* self;
    template <class Handler>
    void operator()(Handler&& handler, std::string bytes, boost::system::error_code invalid) const {
      detail::op_ptr op = self->make_op(std::forward<Handler>(handler));
      if (invalid) {
        op->finish(invalid);
        return;
      }
      boost::asio::dispatch(self->ex_, [s = self->shared_from_this(), op = std::move(op),
                                        bytes = std::move(bytes)]() mutable {
        s->do_send(std::move(op), std::move(bytes));
      });
    }
  };

  struct initiate_wait {
    event_stream* self;
    bool close;
    template <class Handler>
    void operator()(Handler&& handler) const {
      detail::op_ptr op = self->make_op(std::forward<Handler>(handler));
      boost::asio::dispatch(
          self->ex_, [s = self->shared_from_this(), op = std::move(op), close = close]() mutable {
            if (close) {
              s->do_close(std::move(op));
            } else {
              s->do_wait_closed(std::move(op));
            }
          });
    }
  };

  void begin() {
    detail::disable_timeout(boost::beast::get_lowest_layer(stream_), 0);
    last_write_ = std::chrono::steady_clock::now();
    if (head_only_) {
      state_ = state::closing;  // a HEAD request: the head, then the end
      arm_deadline();
    } else {
      if (options_.retry) sse::encode_retry(queued_, *options_.retry);
      if (options_.ping_interval.count() > 0) arm_ping(last_write_ + options_.ping_interval);
    }
    write_more();
    read();
  }

  bool fits(std::size_t size) const noexcept {
    std::size_t const held = queued_.size() + writing_.size();
    return options_.queue_limit == 0 || held == 0 || held + size <= options_.queue_limit;
  }

  void do_send(detail::op_ptr op, std::string bytes) {
    if (state_ != state::open) {
      op->finish(error::closed);
      return;
    }
    if (waiting_.empty() && fits(bytes.size())) {
      queued_ += bytes;
      queued_ops_.push_back(std::move(op));
      write_more();
      return;
    }
    if (options_.on_full == when_full::fail) {
      op->finish(error::queue_full);
      return;
    }
    waiting_.push_back({std::move(bytes), std::move(op)});
  }

  void do_close(detail::op_ptr op) {
    if (state_ == state::closed) {
      op->finish(end_ec_);
      return;
    }
    close_ops_.push_back(std::move(op));
    if (state_ != state::open) return;
    state_ = state::closing;
    arm_deadline();
    write_more();
  }

  void do_wait_closed(detail::op_ptr op) {
    if (state_ == state::closed) {
      op->finish(end_ec_);
      return;
    }
    closed_waits_.push_back(std::move(op));
  }

  // Starts the next write when none is in flight: the head (first time), then everything queued
  // as one chunk; with nothing left while closing, the end of the stream.
  void write_more() {
    if (writing_now_ || last_chunk_queued_ || state_ == state::tearing_down ||
        state_ == state::closed) {
      return;
    }
    while (!waiting_.empty() && fits(waiting_.front().bytes.size())) {
      queued_ += waiting_.front().bytes;
      queued_ops_.push_back(std::move(waiting_.front().op));
      waiting_.pop_front();
    }
    if (queued_.empty() && head_.empty()) {
      if (state_ == state::closing) finish();
      return;
    }
    writing_.swap(queued_);
    writing_ops_.swap(queued_ops_);
    chunk_size_.clear();
    std::array<boost::asio::const_buffer, 4> buffers{};
    buffers[0] = boost::asio::buffer(head_);
    if (chunked_ && !writing_.empty()) {
      append_chunk_size(chunk_size_, writing_.size());
      buffers[1] = boost::asio::buffer(chunk_size_);
      buffers[3] = boost::asio::buffer(crlf_.data(), crlf_.size());
    }
    buffers[2] = boost::asio::buffer(writing_);
    write(buffers, &event_stream::on_write);
  }

  template <class Buffers>
  void write(Buffers const& buffers,
             void (event_stream::*on_done)(boost::system::error_code, std::size_t)) {
    writing_now_ = true;
    last_write_ = std::chrono::steady_clock::now();
    boost::asio::async_write(stream_, buffers,
                             boost::beast::bind_front_handler(on_done, this->shared_from_this()));
  }

  void on_write(boost::system::error_code ec, std::size_t) {
    writing_now_ = false;
    std::vector<detail::op_ptr> done;
    done.swap(writing_ops_);
    writing_.clear();
    if (writing_.capacity() > keep_capacity) std::string().swap(writing_);
    if (!ec && !head_.empty()) std::string().swap(head_);
    for (auto& op : done) op->finish(ec);
    if (ec) {
      end(ec);
      return;
    }
    write_more();
  }

  // Everything queued is written: the last chunk, then the teardown.
  void finish() {
    if (chunked_ && !head_only_ && !last_chunk_queued_) {
      last_chunk_queued_ = true;
      write(boost::asio::buffer(last_chunk.data(), last_chunk.size()),
            &event_stream::on_last_chunk);
      return;
    }
    state_ = state::tearing_down;
    // The teardown reads (to the client's end of file, or its close_notify): the read that
    // watches for the client leaving must be out of the way first.
    if (reading_) {
      detail::cancel(boost::beast::get_lowest_layer(stream_), 0);
      return;  // on_read goes on
    }
    teardown();
  }

  void on_last_chunk(boost::system::error_code ec, std::size_t) {
    writing_now_ = false;
    if (state_ == state::closed) return;
    if (ec) {
      end(ec);
      return;
    }
    finish();
  }

  void teardown() {
    using boost::beast::websocket::async_teardown;
    async_teardown(
        boost::beast::role_type::server, stream_,
        boost::beast::bind_front_handler(&event_stream::on_teardown, this->shared_from_this()));
  }

  void on_teardown(boost::system::error_code) {
    // The body was complete before the teardown began: how the peer ended the connection (end
    // of file, or a TLS peer that closes without its close_notify) changes nothing.
    end({});
  }

  // A streaming client sends nothing more: data is read and dropped; the read ending means the
  // client went away.
  void read() {
    reading_ = true;
    stream_.async_read_some(
        boost::asio::buffer(read_buffer_),
        boost::beast::bind_front_handler(&event_stream::on_read, this->shared_from_this()));
  }

  void on_read(boost::system::error_code ec, std::size_t) {
    reading_ = false;
    if (state_ == state::closed) return;
    if (state_ == state::tearing_down) {
      teardown();
      return;
    }
    if (ec) {
      end(ec);
      return;
    }
    read();
  }

  void arm_ping(std::chrono::steady_clock::time_point at) {
    timer_.expires_at(at);
    timer_.async_wait(
        boost::beast::bind_front_handler(&event_stream::on_ping, this->shared_from_this()));
  }

  void on_ping(boost::system::error_code ec) {
    if (ec || state_ != state::open) return;
    auto const now = std::chrono::steady_clock::now();
    if (now - last_write_ < options_.ping_interval) {
      arm_ping(last_write_ + options_.ping_interval);
      return;
    }
    // A write still in flight or anything queued will show the client the connection lives.
    if (!writing_now_ && queued_.empty() && waiting_.empty()) {
      sse::encode_comment(queued_, "ping");
      write_more();
    }
    arm_ping(now + options_.ping_interval);
  }

  void arm_deadline() {
    timer_.cancel();  // no more pings
    if (options_.close_timeout.count() <= 0) return;
    timer_.expires_after(options_.close_timeout);
    timer_.async_wait(
        boost::beast::bind_front_handler(&event_stream::on_deadline, this->shared_from_this()));
  }

  void on_deadline(boost::system::error_code ec) {
    if (ec || state_ == state::closed || state_ == state::open) return;
    end(boost::asio::error::timed_out);
  }

  // The stream is over: the socket closes (operations in flight complete as aborted), and every
  // stored handler completes.
  void end(boost::system::error_code ec) {
    if (state_ == state::closed) return;
    state_ = state::closed;
    end_ec_ = ec;
    timer_.cancel();
    boost::beast::close_socket(boost::beast::get_lowest_layer(stream_));
    for (auto& op : queued_ops_) op->finish(boost::asio::error::operation_aborted);
    queued_ops_.clear();
    std::string().swap(queued_);
    std::deque<waiting_send> waiting;
    waiting.swap(waiting_);
    for (auto& w : waiting) w.op->finish(boost::asio::error::operation_aborted);
    std::vector<detail::op_ptr> ops;
    ops.swap(close_ops_);
    for (auto& op : ops) op->finish(ec);
    ops.clear();
    ops.swap(closed_waits_);
    for (auto& op : ops) op->finish(ec);
  }

  static constexpr std::size_t keep_capacity = std::size_t{64} << 10;
  static constexpr std::string_view crlf_ = "\r\n";

  Stream stream_;
  executor_type ex_;
  boost::asio::steady_timer timer_;  // pings while open; the close deadline after
  stream_options options_;
  std::optional<std::string> const last_event_id_;
  std::string head_;    // the response head, until the first write is done
  std::string queued_;  // encoded events for the next write
  std::vector<detail::op_ptr> queued_ops_;
  std::deque<waiting_send> waiting_;  // when_full::wait: sends the queue has no room for yet
  std::string writing_;               // the payload of the write in flight
  std::vector<detail::op_ptr> writing_ops_;
  std::string chunk_size_;  // the chunk-size line of the write in flight
  std::vector<detail::op_ptr> close_ops_;
  std::vector<detail::op_ptr> closed_waits_;
  std::chrono::steady_clock::time_point last_write_;
  boost::system::error_code end_ec_;
  state state_ = state::open;
  bool const chunked_;
  bool const head_only_;
  bool writing_now_ = false;
  bool reading_ = false;
  bool last_chunk_queued_ = false;
  char read_buffer_[512];
};

// Answers `request` (already read from `stream`) with an event stream and returns it: the 200
// head (stream_head() with the options' CORS and headers; chunked for HTTP/1.1, close-delimited
// for HTTP/1.0), a "retry:" line when the options give one, then what is sent. A HEAD request
// gets the head and the end. Writing begins at once, on the stream's executor. Throws
// std::invalid_argument for a header the options cannot carry.
template <class Stream, class Fields>
std::shared_ptr<event_stream<Stream>> start_event_stream(
    Stream stream, boost::beast::http::header<true, Fields> const& request,
    stream_options options = {}) {
  bool const chunked = request.version() >= 11;
  std::string head = stream_head(chunked, options.cors, options.headers);
  auto es = std::make_shared<event_stream<Stream>>(
      detail::construct_key{}, std::move(stream), std::move(head), last_event_id(request), chunked,
      request.method() == boost::beast::http::verb::head, std::move(options));
  es->start(detail::construct_key{});
  return es;
}

}  // namespace sse::beast

#endif
