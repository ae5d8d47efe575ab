// The body of an HTTP publish request (POST /events[/TOPIC]) as events, all or nothing: text/plain
// (or no type, or what curl --data sends) is one event whose data is the body; application/json
// is one object or an array of objects in the --format json shape; text/event-stream is the
// events in it. No I/O: http_session reads the request, this decides what it means.
#ifndef SSE_SERVE_SOURCES_HTTP_PUBLISH_HPP
#define SSE_SERVE_SOURCES_HTTP_PUBLISH_HPP

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hub/event_hub.hpp"

namespace sse::serve {

// What the URL says about the events (the path's topic or ?topic=, ?event=, ?id=).
struct publish_defaults {
  std::string topic;
  std::string type;
  std::optional<std::string> id;  // text/plain only: the one event's id
};

struct publish_result {
  unsigned status = 0;  // 0: the events are good; else 400 or 415 with the reason in error
  std::string error;
  std::vector<source_event> events;
};

// Whether the Content-Type (media type and parameters) is one publish takes; false means 415.
bool publishable_type(std::string_view content_type);

// Reads body as the events to publish. Every event is checked as the wire needs it (ids, types,
// UTF-8, topic names), so a good result publishes without error.
publish_result parse_publish(std::string_view content_type, std::string_view body,
                             publish_defaults const& defaults);

}  // namespace sse::serve

#endif
