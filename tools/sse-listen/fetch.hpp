// The HTTP side of sse-listen: one libcurl easy handle driven by a curl_multi_poll loop, so that a
// single --timeout deadline spans every reconnection and a signal ends any wait at once.
#ifndef SSE_LISTEN_FETCH_HPP
#define SSE_LISTEN_FETCH_HPP

#include <optional>
#include <string>

#include "exit_status.hpp"
#include "options.hpp"
#include "reconnect_policy.hpp"
#include "stream_consumer.hpp"

namespace sse::listen {

// Requests o.url (with body as the request body when set) and feeds each received chunk to
// consumer, reconnecting as the policy says, until something ends the run.
exit_status fetch_stream(options const& o, std::optional<std::string> const& body,
                         stream_consumer& consumer, std::optional<steady_time> deadline);

// True when the media type's essence (before any ';' parameters, case-insensitively) is
// text/event-stream.
bool is_event_stream_type(std::string_view content_type);

}  // namespace sse::listen

#endif
