// One client's event stream: a byte-bounded queue of shared frames drained by gather writes (one
// writev for everything queued while the previous write was in flight). Past its bound the client
// is dropped; it resumes from the history when it reconnects.
#ifndef SSE_SERVE_EVENT_STREAM_HPP
#define SSE_SERVE_EVENT_STREAM_HPP

#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>

#include "event_hub.hpp"
#include "serve_context.hpp"

namespace sse::serve {

class event_stream final : public subscriber, public std::enable_shared_from_this<event_stream> {
 public:
  // head: the response head and the stream's opening bytes, sent first.
  event_stream(boost::asio::ip::tcp::socket socket, serve_context& ctx, bool chunked,
               std::string peer, std::string head);
  ~event_stream() override;

  // Starts writing and watching for the client going away. Call once, after attaching to the hub.
  void start();

  bool deliver(frame const& f, bool replay) override;
  void drop() override;
  void end() override;

 private:
  void schedule_write();
  void write_more();
  void on_write(boost::system::error_code ec, std::size_t bytes);
  void watch();
  void on_readable(boost::system::error_code ec);
  void close(char const* reason);
  std::size_t size_of(frame const& f) const noexcept;

  boost::asio::ip::tcp::socket socket_;
  serve_context& ctx_;
  std::string peer_;
  std::string head_;  // sent with the first write, then released
  std::deque<frame> queue_;
  std::size_t queued_bytes_ = 0;  // bytes in queue_, including those of the write in flight
  std::size_t in_flight_ = 0;     // frames at the front of queue_ that the current write carries
  bool chunked_;
  bool started_ = false;
  bool writing_ = false;
  bool write_scheduled_ = false;
  bool ending_ = false;
  bool last_chunk_sent_ = false;
  bool closed_ = false;
};

}  // namespace sse::serve

#endif
