// Where events come from (stdin, a timer; later perhaps a socket or a queue): the server starts a
// source, learns when it ends, and stops it at shutdown.
#ifndef SSE_SERVE_SOURCES_EVENT_SOURCE_HPP
#define SSE_SERVE_SOURCES_EVENT_SOURCE_HPP

#include <functional>

namespace sse::serve {

class event_source {
 public:
  virtual ~event_source() = default;
  // Begins producing events into the hub; on_end is called once when the source is exhausted.
  virtual void start(std::function<void()> on_end) = 0;
  // Stops producing (shutdown); on_end is not called afterwards.
  virtual void stop() = 0;
};

}  // namespace sse::serve

#endif
