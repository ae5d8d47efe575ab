#include "net/metrics.hpp"

#include "hub/event_hub.hpp"

namespace sse::serve {
namespace {

class exposition {
 public:
  void family(char const* name, char const* type, char const* help) {
    out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  }
  void sample(char const* name, std::uint64_t value, std::string const& labels = {}) {
    out_.append(name);
    if (!labels.empty()) out_.append("{").append(labels).append("}");
    out_.append(" ").append(std::to_string(value)).append("\n");
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string render_metrics(event_hub const& hub, http_counters const& http) {
  hub_counters const& c = hub.counters();
  exposition e;
  e.family("sse_clients", "gauge", "Event streams open now.");
  e.sample("sse_clients", hub.clients());
  e.family("sse_streams_opened_total", "counter", "Event streams opened.");
  e.sample("sse_streams_opened_total", c.streams_opened);
  e.family("sse_events_published_total", "counter", "Events published, by where they came from.");
  for (std::size_t i = 0; i < event_source_kinds; ++i) {
    e.sample("sse_events_published_total", c.published[i],
             std::string("source=\"") + event_source_names[i] + "\"");
  }
  e.family("sse_events_delivered_total", "counter", "Events sent to streams, replays included.");
  e.sample("sse_events_delivered_total", c.events_delivered);
  e.family("sse_delivered_bytes_total", "counter", "Bytes written to event streams.");
  e.sample("sse_delivered_bytes_total", c.bytes_delivered);
  e.family("sse_clients_evicted_total", "counter", "Streams closed as too slow, by reason.");
  e.sample("sse_clients_evicted_total", c.evicted_behind, "reason=\"behind\"");
  e.sample("sse_clients_evicted_total", c.evicted_stalled, "reason=\"stalled\"");
  e.family("sse_requests_turned_away_total", "counter", "Stream requests turned away, by reason.");
  e.sample("sse_requests_turned_away_total", http.turned_away_full, "reason=\"full\"");
  e.sample("sse_requests_turned_away_total", http.turned_away_shutdown, "reason=\"shutdown\"");
  e.family("sse_resumes_total", "counter", "Streams opened with a Last-Event-ID, by result.");
  e.sample("sse_resumes_total", c.resumed_replayed, "result=\"replayed\"");
  e.sample("sse_resumes_total", c.resumed_reset, "result=\"reset\"");
  e.family("sse_history_events", "gauge", "Events held for resuming clients.");
  e.sample("sse_history_events", hub.held().size());
  e.family("sse_history_bytes", "gauge", "Bytes of events held for resuming clients.");
  e.sample("sse_history_bytes", hub.held().bytes());
  e.family("sse_backlog_bytes", "gauge", "Bytes of events some stream has yet to take.");
  e.sample("sse_backlog_bytes", hub.log_bytes());
  e.family("sse_throttled", "gauge", "1 while --backpressure holds the sources back.");
  e.sample("sse_throttled", hub.throttled() ? 1 : 0);
  e.family("sse_topics", "gauge", "Topics published to or followed.");
  e.sample("sse_topics", hub.topics());
  e.family("sse_publish_requests_total", "counter", "HTTP publish requests, by response status.");
  for (auto const& [status, n] : http.publish_requests) {
    e.sample("sse_publish_requests_total", n, "status=\"" + std::to_string(status) + "\"");
  }
  e.family("sse_connections_total", "counter", "Connections served, by protocol and TLS.");
  for (int h2 = 0; h2 < 2; ++h2) {
    for (int tls = 0; tls < 2; ++tls) {
      e.sample("sse_connections_total", http.connections[h2][tls],
               std::string("protocol=\"") + (h2 != 0 ? "h2" : "h1") + "\",tls=\"" +
                   (tls != 0 ? "yes" : "no") + "\"");
    }
  }
  return e.take();
}

}  // namespace sse::serve
