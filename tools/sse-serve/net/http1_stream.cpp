#include "net/http1_stream.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <cstdio>
#include <sse/beast/http1.hpp>
#include <utility>

#include "net/buffer_view.hpp"
#include "net/router.hpp"
#include "net/tls_stream.hpp"

namespace sse::serve {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// One write carries at most this much (a client that is far behind still gets its backlog in
// big writes, but the loop turns over now and then) ...
constexpr std::size_t max_write_bytes = std::size_t{256} << 10;
// ... and frames from this size on are sent by reference instead of being copied.
constexpr std::size_t large_frame = std::size_t{16} << 10;
// Each large frame may split a run of small ones: at most 2 buffers each, plus the head, stays
// under the 64 buffers Asio gathers into one writev.
constexpr std::size_t max_large_frames = 24;
// A copy buffer this big is given back after the write.
constexpr std::size_t keep_out_capacity = std::size_t{64} << 10;

bool is_small(frame const& f) noexcept {
  return f->payload().size() < large_frame;
}

}  // namespace

std::string http1_stream_head(http_config const& config, bool chunked) {
  // The head is sse/beast.hpp's, with sse-serve's Content-Type (no charset) as it always was.
  return sse::beast::stream_head(chunked, config.cors, config.headers, "text/event-stream");
}

void append_chunk(std::string& out, std::string_view payload) {
  sse::beast::append_chunk(out, payload);
}

template <typename Socket>
basic_http1_stream<Socket>::basic_http1_stream(Socket socket, stream_context& ctx, bool chunked,
                                               std::string peer)
    : event_stream(ctx, std::move(peer)), socket_(std::move(socket)), chunked_(chunked) {}

template <typename Socket>
basic_http1_stream<Socket>::~basic_http1_stream() = default;

template <typename Socket>
void basic_http1_stream<Socket>::start() {
  if constexpr (std::is_same_v<Socket, asio::ip::tcp::socket>) {
    error_code ignored;
    socket_.non_blocking(true, ignored);  // for the read_some that tells data from end of file
  }
  head_ = http1_stream_head(ctx_.config, chunked_);
  std::string opening =
      event_stream::opening(ctx_.hub.retry() ? ctx_.hub.retry() : ctx_.config.retry);
  if (chunked_) {
    append_chunk(head_, opening);
  } else {
    head_ += opening;
  }
  write_more();
  watch();
}

template <typename Socket>
void basic_http1_stream<Socket>::wake() {
  auto self = this->shared_from_this();  // a write that fails at once closes this stream
  if (!writing_) write_more();
}

template <typename Socket>
void basic_http1_stream<Socket>::write_more() {
  if (closed_ || writing_) return;
  batch_.clear();
  std::size_t bytes = 0;
  std::size_t large = 0;
  take([&](frame const& f) {
    std::size_t const size = f->payload().size();
    if (!batch_.empty() && (bytes + size > max_write_bytes || large == max_large_frames))
      return false;
    if (!is_small(f)) ++large;
    batch_.push_back(&f);
    bytes += size;
    return true;
  });
  if (batch_.empty()) {
    if (!head_.empty()) {
      buffers_.assign(1, asio::buffer(head_));
      send();
    } else if (finished()) {
      finish();
    } else {
      wait();
    }
    return;
  }
  build(batch_);
  batch_.clear();
  if (batch_.capacity() > 256) batch_.shrink_to_fit();
  send();
}

template <typename Socket>
void basic_http1_stream<Socket>::build(std::vector<frame const*> const& batch) {
  buffers_.clear();
  held_.clear();
  out_.clear();
  if (!head_.empty()) buffers_.push_back(asio::buffer(head_));
  auto wire = [this](frame const& f) {
    std::string_view bytes = chunked_ ? f->chunked() : f->payload();
    return asio::const_buffer(bytes.data(), bytes.size());
  };
  if (batch.size() == 1) {  // a client that keeps up: the shared bytes as they are
    held_.push_back(*batch.front());
    buffers_.push_back(wire(*batch.front()));
    return;
  }
  // Reserved up front so the views taken below stay valid while out_ fills.
  std::size_t copy = 0;
  std::size_t runs = 0;
  bool in_run = false;
  for (frame const* f : batch) {
    bool const small = is_small(*f);
    if (small) copy += (*f)->payload().size();
    if (small && !in_run) ++runs;
    in_run = small;
  }
  out_.reserve(copy + runs * 24);
  for (std::size_t i = 0; i < batch.size();) {
    if (!is_small(*batch[i])) {
      held_.push_back(*batch[i]);
      buffers_.push_back(wire(*batch[i]));
      ++i;
      continue;
    }
    // A run of small frames becomes one chunk.
    std::size_t j = i;
    std::size_t size = 0;
    for (; j < batch.size() && is_small(*batch[j]); ++j) size += (*batch[j])->payload().size();
    std::size_t const start = out_.size();
    if (chunked_) {
      char head[24];
      int n = std::snprintf(head, sizeof head, "%zx\r\n", size);
      out_.append(head, static_cast<std::size_t>(n));
    }
    for (; i < j; ++i) out_.append((*batch[i])->payload());
    if (chunked_) out_.append("\r\n");
    buffers_.push_back(asio::const_buffer(out_.data() + start, out_.size() - start));
  }
}

template <typename Socket>
void basic_http1_stream<Socket>::send() {
  writing_ = true;
  ++writes_;
  buffer_view view{buffers_.data(), buffers_.data() + buffers_.size()};
  socket_.async_write_some(view,
                           boost::beast::bind_front_handler(&basic_http1_stream<Socket>::on_write,
                                                            this->shared_from_this()));
}

template <typename Socket>
void basic_http1_stream<Socket>::on_write(error_code ec, std::size_t bytes) {
  writing_ = false;
  // Closed meanwhile (dropped, or the client left): nothing more to do.
  if (closed_) return;
  if (ec) {
    close(ec == asio::error::operation_aborted ? "closed" : "write failed");
    return;
  }
  progressed(bytes);
  std::size_t done = 0;
  while (done < buffers_.size() && bytes >= buffers_[done].size()) bytes -= buffers_[done++].size();
  if (done < buffers_.size()) buffers_[done] += bytes;
  buffers_.erase(buffers_.begin(), buffers_.begin() + static_cast<std::ptrdiff_t>(done));
  if (!buffers_.empty()) {  // a partial write: the rest first
    send();
    return;
  }
  if (finishing_) {
    close("ended");
    return;
  }
  if (!head_.empty()) std::string().swap(head_);
  held_.clear();
  out_.clear();
  if (out_.capacity() > keep_out_capacity) std::string().swap(out_);
  write_more();
}

template <typename Socket>
void basic_http1_stream<Socket>::finish() {
  // Everything is delivered: finish the body so the client sees a clean end, then close.
  if (!chunked_) {
    close("ended");
    return;
  }
  finishing_ = true;
  buffers_.assign(1, asio::buffer(http1_last_chunk.data(), http1_last_chunk.size()));
  send();
}

template <typename Socket>
void basic_http1_stream<Socket>::watch() {
  if constexpr (std::is_same_v<Socket, asio::ip::tcp::socket>) {
    // Plain TCP: wait for readability, with no buffer held while the client is quiet.
    socket_.async_wait(asio::ip::tcp::socket::wait_read,
                       boost::beast::bind_front_handler(&basic_http1_stream<Socket>::on_readable,
                                                        this->shared_from_this()));
  } else {
    // TLS: bytes on the socket may be a record that holds nothing for us, so read through the
    // TLS layer (one read beside the writes is what Asio's SSL stream allows).
    socket_.async_read_some(asio::buffer(sink_),
                            boost::beast::bind_front_handler(&basic_http1_stream<Socket>::on_read,
                                                             this->shared_from_this()));
  }
}

template <typename Socket>
void basic_http1_stream<Socket>::on_read(error_code ec, std::size_t) {
  if (closed_) return;
  if (!ec) {
    watch();
    return;
  }
  close(ec == asio::error::operation_aborted ? "closed" : "client closed the connection");
}

template <typename Socket>
void basic_http1_stream<Socket>::on_readable(error_code ec) {
  if constexpr (std::is_same_v<Socket, asio::ip::tcp::socket>) {
    if (ec || closed_) return;
    // A streaming client sends nothing more: data is ignored, end of file means it went away.
    char sink[512];
    error_code read_ec;
    std::size_t n = socket_.read_some(asio::buffer(sink), read_ec);
    if (read_ec == asio::error::would_block || read_ec == asio::error::try_again ||
        (!read_ec && n > 0)) {
      watch();
      return;
    }
    close("client closed the connection");
  }
}

template <typename Socket>
void basic_http1_stream<Socket>::close(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  error_code ignored;
  auto& tcp = boost::beast::get_lowest_layer(socket_);
  if constexpr (std::is_same_v<Socket, asio::ip::tcp::socket>) {
    tcp.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    tcp.close(ignored);
  } else {
    // No close_notify: the chunked body ended itself, and a dropped client must see an error.
    tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    tcp.close();
  }
  // The buffers of a write in flight stay until its handler runs (it completes as aborted).
  closed(reason);
}

template class basic_http1_stream<asio::ip::tcp::socket>;
template class basic_http1_stream<tls_stream>;

}  // namespace sse::serve
