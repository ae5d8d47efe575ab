// What the hub counts for --metrics: plain numbers, bumped on the io thread, read by the renderer.
#ifndef SSE_SERVE_HUB_HUB_COUNTERS_HPP
#define SSE_SERVE_HUB_HUB_COUNTERS_HPP

#include <cstddef>
#include <cstdint>

namespace sse::serve {

// Where a published event came from.
// With --redis, what this replica appended counts by its source (stdin, counter, http), and
// every event read back from Redis (from any replica) counts as "redis".
enum class event_source_kind : std::size_t { input, counter, http, store };
inline constexpr std::size_t event_source_kinds = 4;
inline constexpr char const* event_source_names[event_source_kinds] = {"stdin", "counter", "http",
                                                                       "redis"};

struct hub_counters {
  std::uint64_t published[event_source_kinds] = {};
  std::uint64_t streams_opened = 0;
  std::uint64_t events_delivered =
      0;                              // events (not keep-alives) taken by streams, replays included
  std::uint64_t bytes_delivered = 0;  // bytes handed to the network by streams
  std::uint64_t evicted_behind = 0;   // dropped for being more than --client-buffer behind
  std::uint64_t evicted_stalled = 0;  // dropped for taking nothing for --stall-timeout
  std::uint64_t resumed_replayed = 0;  // Last-Event-ID held: exactly the missed events
  std::uint64_t resumed_reset = 0;     // Last-Event-ID not held: the reset event
};

}  // namespace sse::serve

#endif
