#include "net/event_stream.hpp"

#include <random>
#include <utility>

#include "common/diagnostics.hpp"

namespace sse::serve {

event_stream::event_stream(stream_context& ctx, std::string peer)
    : ctx_(ctx), peer_(std::move(peer)) {
  ctx_.stream_opened();
}

event_stream::~event_stream() = default;

std::string event_stream::opening(std::optional<std::uint64_t> retry) {
  std::string bytes;
  sse::encode_comment(bytes, "sse-serve");
  if (retry) sse::encode_retry(bytes, *retry);
  return bytes;
}

std::string event_stream::turn_away(std::optional<std::uint64_t> retry) {
  static std::minstd_rand random(std::random_device{}());
  std::uint64_t base = retry.value_or(5000);
  std::uint64_t jitter = std::uniform_int_distribution<std::uint64_t>(0, base / 2)(random);
  return opening(base + jitter);
}

void event_stream::drop(std::string_view why) {
  if (ctx_.config.verbose) {
    std::string detail = why == "stalled" ? "took nothing for the --stall-timeout"
                         : why == "unavailable"
                             ? "its replay needs Redis, which cannot be reached now"
                             : "more than --client-buffer behind";
    tools::info("client " + peer_ + " dropped: " + detail);
  }
  close("dropped");
}

void event_stream::closed(std::string_view reason) {
  ctx_.hub.detach(*this);
  if (ctx_.config.verbose) {
    tools::info("client " + peer_ + " disconnected: " + std::string(reason) + " (" +
                std::to_string(ctx_.hub.clients()) + " clients)");
  }
  ctx_.stream_closed();
}

}  // namespace sse::serve
