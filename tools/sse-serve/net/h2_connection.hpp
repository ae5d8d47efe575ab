// One HTTP/2 connection's protocol side: an nghttp2 server session fed with the bytes the socket
// reads and drained into gather writes, driven by the server's own io_context (no thread). Each
// request is read into a request_view and answered by the router, so every route works as over
// HTTP/1.x; an event stream becomes an h2_stream whose DATA frames carry the hub's shared frame
// bytes (no copy for a client that keeps up, small frames coalesced for one that is behind).
// Flow control is per stream: a stream whose window is shut is simply not asked for data, and
// never holds up the others. The socket side (plain or TLS) is h2_session, in h2_session.cpp.
//
// Hardening: SETTINGS_MAX_CONCURRENT_STREAMS (--h2-max-streams), a 16 KiB header list (431
// beyond), a 4 KiB HPACK table both ways, and a bound on streams cancelled by the client per
// second (the rapid-reset attack, CVE-2023-44487): past it, GOAWAY ENHANCE_YOUR_CALM.
#ifndef SSE_SERVE_NET_H2_CONNECTION_HPP
#define SSE_SERVE_NET_H2_CONNECTION_HPP

#include <boost/asio/buffer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hub/frame.hpp"
#include "net/router.hpp"
#include "net/stream_context.hpp"

struct nghttp2_session;

namespace sse::serve {

class h2_stream;

// Client stream cancellations (RST_STREAM) one connection may send within a second.
inline constexpr std::uint32_t h2_max_resets_per_second = 200;
// Stream opens one connection may make within a second (many times what any page needs).
inline constexpr std::uint32_t h2_max_opens_per_second = 10000;

class h2_connection {
 public:
  h2_connection(const h2_connection&) = delete;
  h2_connection& operator=(const h2_connection&) = delete;

  // Called by h2_stream.
  void resume(std::int32_t stream_id);
  void reset(std::int32_t stream_id, std::uint32_t error_code);
  // The DATA payload of a NO_COPY frame, appended to the write being assembled: shared bytes by
  // reference, or copied (small pieces coalesced).
  void append_copy(std::string_view bytes);
  void append_reference(frame const& f, std::string_view bytes);
  stream_context& context() noexcept { return ctx_; }

 protected:
  h2_connection(stream_context& ctx, std::string peer);
  virtual ~h2_connection();

  // Sends the SETTINGS and feeds the bytes read while telling the protocol (the preface).
  void begin(std::string_view already_read);
  // Bytes read from the socket; false when the connection must close (after what is queued).
  void received(std::string_view bytes);
  // Assembles what nghttp2 has to send and hands it to start_write.
  void flush();
  // The socket's write finished (or failed).
  void written(bool ok);
  // The socket is gone (read failed, or closed): every stream ends.
  void transport_closed(std::string_view why);
  void idle_expired();
  bool closed() const noexcept { return closed_; }
  std::string const& peer() const noexcept { return peer_; }

  // The socket side.
  virtual void start_write(std::vector<boost::asio::const_buffer> const& buffers) = 0;
  virtual void post_flush() = 0;  // flush() soon, once, outside the current call stack
  virtual void arm_timer(std::chrono::steady_clock::duration d) = 0;
  virtual void cancel_timer() = 0;
  virtual void close_transport() = 0;

 private:
  struct request;
  struct callbacks;
  friend struct callbacks;

  request* find(std::int32_t stream_id);
  void dispatch(request& r);
  void answer_with(request& r, answer const& a, request_view const& view);
  void submit(request& r, unsigned status, header_fields const& headers,
              std::string_view content_type, std::string body, bool with_body);
  void start_stream(request& r, answer const& a, request_view const& view);
  request_view view_of(request const& r) const;
  void count_reset();
  bool count_open();
  void calm_down(char const* what);
  void stream_done(std::int32_t stream_id, std::uint32_t error_code);
  // completed: a request just ended (activity that restarts the idle time once none is open).
  void update_idle(bool completed = false);
  void fail(char const* what, int code);

  stream_context& ctx_;
  router router_;
  std::string peer_;
  nghttp2_session* session_ = nullptr;
  std::unordered_map<std::int32_t, std::unique_ptr<request>> requests_;
  std::shared_ptr<char> alive_ = std::make_shared<char>();  // expires with the connection
  std::size_t event_streams_ = 0;  // requests that became event streams and are still open

  // The write being assembled or in flight: pieces of out_ and references to shared frames.
  struct piece {
    char const* data;  // null: out_[offset, offset + size)
    std::size_t offset;
    std::size_t size;
  };
  std::string out_;
  std::vector<piece> pieces_;
  std::vector<frame> held_;  // keeps referenced frames alive until the write completes
  std::vector<boost::asio::const_buffer> buffers_;
  std::size_t queued_ = 0;  // bytes in pieces_
  bool writing_ = false;
  bool flush_posted_ = false;
  bool closed_ = false;
  bool idle_armed_ = false;
  bool closing_ = false;  // GOAWAY sent for idleness; close when flushed (or at the deadline)

  // Rapid reset: counts in the current one-second window.
  std::chrono::steady_clock::time_point window_start_{};
  std::uint32_t resets_ = 0;
  std::uint32_t opens_ = 0;
};

}  // namespace sse::serve

#endif
