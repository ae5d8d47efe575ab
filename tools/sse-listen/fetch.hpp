// The HTTP side of sse-listen: connects, reads, and reconnects as the policy says, until the
// outcome of a connection says to exit. A curl_multi_poll loop (not curl_easy_perform) so that
// one --timeout deadline spans every reconnection and a signal ends any wait at once.
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

}  // namespace sse::listen

#endif
