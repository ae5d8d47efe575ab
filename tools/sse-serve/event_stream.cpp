#include "event_stream.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <algorithm>
#include <utility>
#include <vector>

#include "common/diagnostics.hpp"

namespace sse::serve {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
// Asio gathers at most 64 buffers into one writev.
constexpr std::size_t max_gather = 64;
constexpr std::string_view last_chunk = "0\r\n\r\n";
}  // namespace

event_stream::event_stream(asio::ip::tcp::socket socket, serve_context& ctx, bool chunked,
                           std::string peer, std::string head)
    : socket_(std::move(socket)),
      ctx_(ctx),
      peer_(std::move(peer)),
      head_(std::move(head)),
      chunked_(chunked) {
  ++ctx_.open_streams;
}

event_stream::~event_stream() = default;

std::size_t event_stream::size_of(frame const& f) const noexcept {
  return chunked_ ? f->chunked().size() : f->payload().size();
}

void event_stream::start() {
  started_ = true;
  error_code ignored;
  socket_.non_blocking(true, ignored);  // for the read_some that tells data from end of file
  write_more();
  watch();
}

bool event_stream::deliver(frame const& f, bool replay) {
  if (closed_ || ending_) return true;
  std::size_t size = size_of(f);
  // A single frame larger than the bound still goes to a client that is keeping up.
  if (!replay && queued_bytes_ > 0 && queued_bytes_ + size > ctx_.opts.client_buffer) return false;
  queue_.push_back(f);
  queued_bytes_ += size;
  schedule_write();
  return true;
}

void event_stream::schedule_write() {
  // Deferred to after the current handler, so that a burst of events published together (a whole
  // stdin read) leaves in one gather write rather than one write for the first and one for the rest.
  if (!started_ || writing_ || write_scheduled_ || closed_) return;
  write_scheduled_ = true;
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->write_scheduled_ = false;
    if (!self->writing_) self->write_more();
  });
}

void event_stream::drop() {
  if (ctx_.opts.verbose) {
    tools::info("client " + peer_ + " dropped: " + std::to_string(queued_bytes_) +
                " bytes behind (--client-buffer " + std::to_string(ctx_.opts.client_buffer) + ")");
  }
  close("dropped");
}

void event_stream::end() {
  if (closed_) return;
  ending_ = true;
  schedule_write();
}

void event_stream::write_more() {
  if (closed_) return;
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(std::min(queue_.size() + 2, max_gather));
  if (!head_.empty()) buffers.emplace_back(asio::buffer(head_));
  in_flight_ = 0;
  for (frame const& f : queue_) {
    if (buffers.size() == max_gather) break;
    std::string_view bytes = chunked_ ? f->chunked() : f->payload();
    buffers.emplace_back(asio::buffer(bytes.data(), bytes.size()));
    ++in_flight_;
  }
  if (buffers.empty()) {
    if (!ending_) return;
    // Everything is delivered: finish the body so the client sees a clean end, then close.
    if (chunked_ && !last_chunk_sent_) {
      last_chunk_sent_ = true;
      writing_ = true;
      asio::async_write(socket_, asio::buffer(last_chunk.data(), last_chunk.size()),
                        [self = shared_from_this()](error_code, std::size_t) {
                          self->writing_ = false;
                          self->close("ended");
                        });
      return;
    }
    close("ended");
    return;
  }
  writing_ = true;
  asio::async_write(socket_, buffers,
                    boost::beast::bind_front_handler(&event_stream::on_write, shared_from_this()));
}

void event_stream::on_write(error_code ec, std::size_t) {
  writing_ = false;
  // Closed meanwhile (dropped, or the client left): the queue is gone even if this write succeeded.
  if (closed_) return;
  if (ec) {
    close(ec == asio::error::operation_aborted ? "closed" : "write failed");
    return;
  }
  if (!head_.empty()) std::string().swap(head_);
  for (; in_flight_ > 0; --in_flight_) {
    queued_bytes_ -= size_of(queue_.front());
    queue_.pop_front();
  }
  write_more();
}

void event_stream::watch() {
  socket_.async_wait(asio::ip::tcp::socket::wait_read,
                     boost::beast::bind_front_handler(&event_stream::on_readable, shared_from_this()));
}

void event_stream::on_readable(error_code ec) {
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

void event_stream::close(char const* reason) {
  if (closed_) return;
  closed_ = true;
  ctx_.hub.detach(*this);
  error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  queue_.clear();
  queued_bytes_ = 0;
  if (ctx_.opts.verbose) {
    tools::info("client " + peer_ + " disconnected: " + reason + " (" +
                std::to_string(ctx_.hub.clients()) + " clients)");
  }
  ctx_.stream_closed();
}

}  // namespace sse::serve
