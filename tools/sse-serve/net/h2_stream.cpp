#include "net/h2_stream.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <utility>

#include "net/h2_connection.hpp"

namespace sse::serve {

h2_stream::h2_stream(h2_connection& conn, std::int32_t id, stream_context& ctx, std::string peer)
    : event_stream(ctx, std::move(peer)), conn_(&conn), id_(id) {
  // The opening comment (and retry) goes first, as in every stream.
  pending_.push_back(make_frame(opening(ctx_.hub.retry() ? ctx_.hub.retry() : ctx_.config.retry)));
  pending_bytes_ = pending_.back()->payload().size();
}

h2_stream::~h2_stream() = default;

ssize_t h2_stream::read(std::size_t length, std::uint32_t* flags) {
  if (closed_) return NGHTTP2_ERR_DEFERRED;  // reset already queued
  // Take from the hub only what this DATA frame can carry (one frame may overhang: it goes on in
  // the next DATA frame), so that a stream that cannot send stays behind in the hub, where the
  // slow-client policy sees it.
  if (pending_bytes_ < length) {
    take([&](frame const& f) {
      if (pending_bytes_ >= length) return false;
      pending_.push_back(f);
      pending_bytes_ += f->payload().size();
      return true;
    });
  }
  if (pending_bytes_ == 0) {
    if (finished()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      return 0;
    }
    parked_ = true;
    wait();
    return NGHTTP2_ERR_DEFERRED;
  }
  std::size_t const n = std::min(length, pending_bytes_);
  *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
  if (n == pending_bytes_ && finished()) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

void h2_stream::send(std::size_t length) {
  if (conn_ == nullptr) return;
  progressed(length);
  // One piece (a client that keeps up, or a part of a large event): the shared bytes by
  // reference. Several: copied together, as http1_stream coalesces a backlog.
  std::size_t const first_left = pending_[first_]->payload().size() - offset_;
  bool const one_piece = length <= first_left;
  while (length > 0) {
    frame const& f = pending_[first_];
    std::string_view bytes = f->payload().substr(offset_);
    std::size_t const n = std::min(length, bytes.size());
    if (one_piece) {
      conn_->append_reference(f, bytes.substr(0, n));
    } else {
      conn_->append_copy(bytes.substr(0, n));
    }
    length -= n;
    pending_bytes_ -= n;
    offset_ += n;
    if (offset_ == f->payload().size()) {
      offset_ = 0;
      ++first_;
    }
  }
  if (first_ == pending_.size()) {
    pending_.clear();
    first_ = 0;
  } else if (first_ > 32 && first_ * 2 > pending_.size()) {
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(first_));
    first_ = 0;
  }
}

void h2_stream::wake() {
  parked_ = false;
  if (conn_ != nullptr && !closed_) conn_->resume(id_);
}

void h2_stream::close(std::string_view reason) {
  // The hub dropped this stream: reset it alone; the connection's other streams go on.
  if (closed_) return;
  closed_ = true;
  if (conn_ != nullptr) conn_->reset(id_, NGHTTP2_CANCEL);
  closed(reason);
}

void h2_stream::transport_closed(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  closed(reason);
}

}  // namespace sse::serve
