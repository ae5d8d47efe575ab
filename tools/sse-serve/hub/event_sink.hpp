// Where sources put events: the hub itself, or (with --redis) the shared store, from which every
// replica's hub receives them. Sources and HTTP publishing see only this.
#ifndef SSE_SERVE_HUB_EVENT_SINK_HPP
#define SSE_SERVE_HUB_EVENT_SINK_HPP

#include <cstdint>
#include <functional>
#include <optional>
#include <sse/encoder.hpp>
#include <string>
#include <vector>

#include "hub/hub_counters.hpp"

namespace sse::serve {

struct source_event;

class event_sink {
 public:
  virtual ~event_sink() = default;

  // Takes ev, to be published now or as soon as the store has it; returns why the wire cannot
  // carry it (then nothing is published). Call flush() after a batch.
  virtual sse::encode_error publish(source_event const& ev, event_source_kind source) = 0;
  // A retry field for every client (from --format sse input).
  virtual void publish_retry(std::uint64_t milliseconds) = 0;
  virtual void flush() = 0;

  // Whether sources must wait (slow clients with --backpressure, or a store that is unreachable
  // with its buffer full), and a callback run once when they may go on.
  virtual bool throttled() const = 0;
  virtual void when_unthrottled(std::function<void()> f) = 0;

  // Publishes every event or none (the events are valid: http_publish checked them). done gets
  // their ids in order, or nullopt and why when they cannot be published now (the store is
  // unreachable, the server is stopping).
  using batch_done =
      std::function<void(std::optional<std::vector<std::string>> ids, std::string const& why)>;
  virtual void publish_batch(std::vector<source_event> events, event_source_kind source,
                             batch_done done) = 0;
};

}  // namespace sse::serve

#endif
