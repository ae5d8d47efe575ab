// What every connection of one server shares: the hub, the options, the page, and the count of
// open streams that shutdown waits for. All of it is used on the one io_context thread only.
#ifndef SSE_SERVE_SERVE_CONTEXT_HPP
#define SSE_SERVE_SERVE_CONTEXT_HPP

#include <cstddef>
#include <functional>
#include <string>

#include "event_hub.hpp"
#include "options.hpp"

namespace sse::serve {

struct serve_context {
  event_hub& hub;
  options const& opts;
  std::string page;          // the HTML page with the stream's relative URL filled in
  std::size_t open_streams = 0;
  std::function<void()> on_streams_closed;  // called when open_streams drops to 0

  void stream_closed() {
    if (--open_streams == 0 && on_streams_closed) on_streams_closed();
  }
};

}  // namespace sse::serve

#endif
