// GET /metrics (--metrics): the hub's and the HTTP side's counters in the Prometheus text format.
#ifndef SSE_SERVE_NET_METRICS_HPP
#define SSE_SERVE_NET_METRICS_HPP

#include <cstdint>
#include <map>
#include <string>

namespace sse::serve {

class event_hub;

// What the HTTP side counts (the hub counts the rest: hub_counters).
struct http_counters {
  std::uint64_t turned_away_full = 0;                  // --max-clients reached
  std::uint64_t turned_away_shutdown = 0;              // in a signal's grace
  std::map<unsigned, std::uint64_t> publish_requests;  // by response status
  std::uint64_t connections[2][2] = {};                // [HTTP/2][TLS]: connections served
};

// The exposition text (version 0.0.4): HELP and TYPE for every metric, sse_* names, _total on
// counters, base units.
std::string render_metrics(event_hub const& hub, http_counters const& http);

}  // namespace sse::serve

#endif
