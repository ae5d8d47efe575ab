// An event stream over HTTP/1.x: the response head, the body as HTTP/1.1 chunks (or close-delimited
// for HTTP/1.0), the last chunk at the end. Writes coalesce: when several frames are ready, small
// ones are copied into one chunk and large ones are sent by reference, in one gather write, so a
// client that is behind costs less per event than one that is not. One implementation over a plain
// socket and over TLS (net/tls_stream.hpp); both are instantiated in http1_stream.cpp.
#ifndef SSE_SERVE_NET_HTTP1_STREAM_HPP
#define SSE_SERVE_NET_HTTP1_STREAM_HPP

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/event_stream.hpp"
#include "net/http_config.hpp"

namespace sse::serve {

// The head of a 200 event-stream response, with the configured CORS and extra headers.
std::string http1_stream_head(http_config const& config, bool chunked);
// Appends payload as one HTTP/1.1 chunk.
void append_chunk(std::string& out, std::string_view payload);
inline constexpr std::string_view http1_last_chunk = "0\r\n\r\n";

template <typename Socket>
class basic_http1_stream final : public event_stream,
                                 public std::enable_shared_from_this<basic_http1_stream<Socket>> {
 public:
  basic_http1_stream(Socket socket, stream_context& ctx, bool chunked, std::string peer);
  ~basic_http1_stream() override;

  // Sends the head and the opening, then whatever the hub has; watches for the client leaving.
  // Call once, after attaching to the hub.
  void start();

  // Writes issued so far (a coalesced backlog takes far fewer writes than it has events).
  std::uint64_t writes() const noexcept { return writes_; }

 private:
  void wake() override;
  bool writing() const noexcept override { return writing_; }
  void close(std::string_view reason) override;

  void write_more();
  void build(std::vector<frame const*> const& batch);
  void send();
  void on_write(boost::system::error_code ec, std::size_t bytes);
  void finish();
  void watch();
  void on_readable(boost::system::error_code ec);
  void on_read(boost::system::error_code ec, std::size_t bytes);

  Socket socket_;
  char sink_[64];     // TLS: what a streaming client sends is read (to see it leave) and ignored
  std::string head_;  // the head and opening, sent with the first write
  std::string out_;   // small frames copied together for the write in flight
  std::vector<frame> held_;                         // frames the write in flight sends by reference
  std::vector<boost::asio::const_buffer> buffers_;  // what the write in flight has left to send
  std::vector<frame const*> batch_;
  std::uint64_t writes_ = 0;
  bool chunked_;
  bool writing_ = false;
  bool finishing_ = false;
  bool closed_ = false;
};

using http1_stream = basic_http1_stream<boost::asio::ip::tcp::socket>;

}  // namespace sse::serve

#endif
