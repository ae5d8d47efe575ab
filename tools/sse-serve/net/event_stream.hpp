// One client's event stream, whatever carries it. This class holds what a stream sends and when it
// is over: the opening comment and retry, the frames the hub has for it (replay, live events,
// keep-alives, the end event), and the bookkeeping of its end. The wire is a protocol class derived
// from it (http1_stream: HTTP/1.1 chunked or HTTP/1.0 close-delimited; HTTP/2 is the next one),
// which pulls frames with take() and implements the transport hooks.
#ifndef SSE_SERVE_NET_EVENT_STREAM_HPP
#define SSE_SERVE_NET_EVENT_STREAM_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hub/event_hub.hpp"
#include "net/stream_context.hpp"

namespace sse::serve {

class event_stream : public subscriber {
 public:
  ~event_stream() override;

  // The payload every stream starts with: a comment, so that onopen fires and proxies see a body
  // at once, then "retry:" when a reconnection time is set.
  static std::string opening(std::optional<std::uint64_t> retry);
  // The payload of a turn-away (server full, or shutting down): the opening with a reconnection
  // time of the configured one (or 5 s) plus up to 50% jitter, so EventSource clients come back,
  // and not all in the same millisecond.
  static std::string turn_away(std::optional<std::uint64_t> retry);

  std::string const& peer() const noexcept { return peer_; }

 protected:
  event_stream(stream_context& ctx, std::string peer);

  // The protocol ends the transport and calls closed().
  virtual void close(std::string_view reason) = 0;
  // The common end of a stream: leaves the hub, logs with -v, counts it closed. Call once.
  void closed(std::string_view reason);

  void drop(std::string_view why) override;

  stream_context& ctx_;
  std::string peer_;
};

}  // namespace sse::serve

#endif
