// An event stream over HTTP/2: the second implementation of event_stream (the first is
// http1_stream). nghttp2 asks it for DATA when the stream's flow-control window and the
// connection's turn allow; it takes frames from the hub only then (so a stream that cannot send
// falls behind in the hub, where the slow-client policy sees it), answers "deferred" when the hub
// has nothing, and is resumed by wake(). Dropped by the hub, it resets this stream only.
#ifndef SSE_SERVE_NET_H2_STREAM_HPP
#define SSE_SERVE_NET_H2_STREAM_HPP

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "net/event_stream.hpp"

namespace sse::serve {

class h2_connection;

class h2_stream final : public event_stream {
 public:
  h2_stream(h2_connection& conn, std::int32_t id, stream_context& ctx, std::string peer);
  ~h2_stream() override;

  // nghttp2's data source: how many bytes (at most `length`) the next DATA frame carries, with
  // NGHTTP2_DATA_FLAG_NO_COPY (and EOF at the end), or NGHTTP2_ERR_DEFERRED.
  ssize_t read(std::size_t length, std::uint32_t* flags);
  // Appends the next `length` payload bytes to the connection's write.
  void send(std::size_t length);
  // nghttp2 closed the stream (ended, reset by the client, or the connection went away).
  void transport_closed(std::string_view reason);
  // The connection is being destroyed: forget it.
  void forget_connection() noexcept { conn_ = nullptr; }

 private:
  void wake() override;
  bool writing() const noexcept override { return !parked_; }
  void close(std::string_view reason) override;

  h2_connection* conn_;
  std::int32_t id_;
  std::vector<frame> pending_;  // taken from the hub, not yet sent; the first from offset_
  std::size_t first_ = 0;       // index of the first pending frame
  std::size_t offset_ = 0;      // bytes of pending_[first_] already sent
  std::size_t pending_bytes_ = 0;
  bool parked_ = false;  // deferred, waiting for wake()
  bool closed_ = false;
};

}  // namespace sse::serve

#endif
