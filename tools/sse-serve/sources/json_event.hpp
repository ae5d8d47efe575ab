// One event from a JSON object in the --format json shape:
// {"data":…,"event":"TYPE","id":"ID" or N,"retry":MS,"topic":"NAME"}, every key optional; a data
// that is not a string is sent as its JSON text. Shared by stdin's --format json and HTTP publish.
#ifndef SSE_SERVE_SOURCES_JSON_EVENT_HPP
#define SSE_SERVE_SOURCES_JSON_EVENT_HPP

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "hub/event_hub.hpp"

namespace sse::serve {

// Fills ev from j over the defaults ev already holds (type, topic). Returns why j is not such an
// object (ev is then unspecified), or an empty string.
std::string event_from_json(nlohmann::json const& j, source_event& ev);

}  // namespace sse::serve

#endif
