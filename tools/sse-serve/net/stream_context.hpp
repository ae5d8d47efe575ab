// What every connection of one server shares: the hub, the HTTP settings, the page, the TLS
// context, and the count of open streams that shutdown waits for. Used on the one io_context thread
// only.
#ifndef SSE_SERVE_NET_STREAM_CONTEXT_HPP
#define SSE_SERVE_NET_STREAM_CONTEXT_HPP

#include <cstddef>
#include <functional>
#include <string>
#include <utility>

#include "auth/access.hpp"
#include "hub/event_hub.hpp"
#include "net/http_config.hpp"
#include "net/metrics.hpp"
#include "net/tls_context.hpp"

namespace sse::serve {

// Why the server is ending, as requests arriving meanwhile are answered.
enum class stopping { no, end_of_input, shutdown };

struct stream_context {
  stream_context(event_hub& h, http_config const& c, std::string p, access_policy const& a)
      : hub(h), config(c), page(std::move(p)), access(a), sink(&h) {}

  event_hub& hub;
  http_config const& config;
  std::string page;             // the HTML page with the stream's relative URL filled in
  access_policy const& access;  // who may subscribe and publish
  event_sink* sink;             // where HTTP publishing goes: the hub, or the shared store
  std::function<std::string()> extra_metrics;  // more of /metrics (the shared store's state)
  stopping state = stopping::no;
  std::size_t open_streams = 0;
  std::function<void()> on_streams_closed;  // called when open_streams drops to 0
  http_counters counters;
  // With --tls-cert: what new connections handshake with (SIGHUP replaces it); null: plaintext.
  tls_context tls;

  void stream_opened() noexcept { ++open_streams; }
  void stream_closed() {
    if (--open_streams == 0 && on_streams_closed) on_streams_closed();
  }
};

}  // namespace sse::serve

#endif
