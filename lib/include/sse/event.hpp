// The event types shared by the encoder and the parser.
#ifndef SSE_EVENT_HPP
#define SSE_EVENT_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sse {

// An event as the parser reports it. The views are valid only during the handler call.
struct event_view {
  std::string_view type;  // "message" when the stream gave no (or an empty) event field
  std::string_view data;  // data lines joined with LF, the final LF removed
  std::string_view id;    // the last event ID at dispatch time (persists across events)
  // True when an "id" field (without NUL) came since the previous dispatched event: in this event's
  // block or in blocks before it that dispatched nothing. Then `id` was given for this event rather
  // than carried over from an earlier one. reset(), finish() and set_last_event_id() clear it.
  bool own_id = false;
};

// An event to encode. Views must stay valid only for the duration of the encode call.
struct event {
  std::string_view data;
  std::string_view type;               // empty means the default type ("message"): no event line
  std::optional<std::string_view> id;  // nullopt: no id line; "" resets the client's last event ID
  std::optional<std::uint64_t> retry;  // reconnection time in milliseconds
};

// An owned copy of an event_view, for tests and simple users.
struct owned_event {
  std::string type;
  std::string data;
  std::string id;

  friend bool operator==(owned_event const& a, owned_event const& b) {
    return a.type == b.type && a.data == b.data && a.id == b.id;
  }
  friend bool operator!=(owned_event const& a, owned_event const& b) { return !(a == b); }
};

}  // namespace sse

#endif
