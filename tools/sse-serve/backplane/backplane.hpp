// A store that several replicas share (Redis Streams today; another engine would be one more class
// behind this): replicas append events to it, each replica reads it once and fans out locally, and
// a client that resumes on any replica is served from it. The hub asks it for what its own cache
// of recent events does not hold.
#ifndef SSE_SERVE_BACKPLANE_BACKPLANE_HPP
#define SSE_SERVE_BACKPLANE_BACKPLANE_HPP

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "hub/event_hub.hpp"

namespace sse::serve {

// An event as the store keeps it.
struct stored_event {
  std::string id;           // the store's id: the event's SSE id on every replica
  source_event event;       // event.id: the id the input gave, kept as a field but not sent
  bool retry_only = false;  // a retry field alone, from --format sse input
};

enum class range_status {
  exact,        // the events right after the id: nothing is missing
  trimmed,      // events after the id are gone; what follows is everything the store holds
  unknown,      // the id is not one the store could have given (another stream, a restarted store)
  unavailable,  // the store cannot be reached now
};

class backplane {
 public:
  virtual ~backplane() = default;
  // Whether id has the shape of the store's ids (so asking for it makes sense).
  virtual bool is_store_id(std::string_view id) const = 0;
  // The events after `after` up to and including `until`, oldest first (see range_status).
  using range_done = std::function<void(range_status, std::vector<stored_event> const&)>;
  virtual void read_range(std::string const& after, std::string const& until, range_done done) = 0;
};

}  // namespace sse::serve

#endif
