// The hub: assigns ids, keeps the history, encodes each event once into a shared frame and hands
// that frame to every attached stream. It runs on the one io_context thread and never waits on a
// client: a client that cannot keep up is dropped by its own bound.
#ifndef SSE_SERVE_EVENT_HUB_HPP
#define SSE_SERVE_EVENT_HUB_HPP

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sse/encoder.hpp>

#include "frame.hpp"
#include "history.hpp"

namespace sse::serve {

// The reserved event types (documented in sse-serve(1)).
inline constexpr std::string_view reset_event_type = "sse-reset";
inline constexpr std::string_view end_event_type = "sse-end";
// Sent only to streams that ask for it (?types=1, as the page does): the event types in use, so
// that an EventSource, which can only listen to types by name, can show every event.
inline constexpr std::string_view types_event_type = "sse-types";
// Distinct types announced at most; beyond this, new types are not announced.
inline constexpr std::size_t max_announced_types = 256;

// An event as a source produces it, before the hub gives it an id.
struct source_event {
  std::string data;
  std::string type;               // empty: the default type ("message")
  std::optional<std::string> id;  // nullopt: the hub assigns the next sequence number
  std::optional<std::uint64_t> retry;
};

// Something the hub delivers frames to: a client's stream in the server, a recorder in tests.
class subscriber {
 public:
  virtual ~subscriber() = default;
  // Queues f. Returns false when the subscriber is past its buffer bound: the hub then detaches it
  // and calls drop(). Replayed history is never refused (the history has its own byte bound).
  virtual bool deliver(frame const& f, bool replay) = 0;
  // The hub dropped this subscriber (deliver returned false).
  virtual void drop() = 0;
  // The server ends every stream for good: flush what is queued, then close.
  virtual void end() = 0;

  // Whether this subscriber gets the sse-types announcements.
  bool announce_types = false;

 private:
  friend class event_hub;
  static constexpr std::size_t detached = std::numeric_limits<std::size_t>::max();
  std::size_t hub_index_ = detached;
};

enum class attach_result { live, replayed, reset, ended };

class event_hub {
 public:
  explicit event_hub(history& h) : history_(h) {}

  // Encodes and broadcasts ev; returns why it cannot be sent (nothing is then sent or kept).
  sse::encode_error publish(source_event const& ev);
  // A retry field for every client now and at the start of every later stream.
  void publish_retry(std::uint64_t milliseconds);
  // A comment to every client (keep-alive); not kept in the history.
  void ping();

  // Adds s: first the events after last_event_id from the history (or the reset event when that
  // id is not held), then everything published later. A client without an id gets the newest
  // `backlog` held events (none by default: live only), then live events.
  attach_result attach(std::shared_ptr<subscriber> const& s,
                       std::optional<std::string_view> last_event_id, std::size_t backlog = 0);
  void detach(subscriber& s);

  // Sends the end event to everyone and ends every stream; later attaches get attach_result::ended.
  void end(std::string_view reason);
  bool ended() const noexcept { return ended_; }

  std::size_t clients() const noexcept { return subscribers_.size(); }
  std::uint64_t published() const noexcept { return seq_; }
  std::string const& last_id() const noexcept { return last_id_; }
  std::optional<std::uint64_t> retry() const noexcept { return retry_; }

 private:
  void broadcast(frame const& f);
  void remove_at(std::size_t index);
  frame reset_frame(std::string_view last_event_id) const;
  frame types_frame(std::vector<std::string> const& types) const;
  void announce(std::string const& type);

  history& history_;
  std::vector<std::shared_ptr<subscriber>> subscribers_;
  std::uint64_t seq_ = 0;
  std::string last_id_;          // id of the latest event published
  bool auto_ids_only_ = true;    // every id so far was assigned by the hub (so ids are seqs)
  bool ended_ = false;
  std::optional<std::uint64_t> retry_;
  std::vector<std::string> types_;  // event types published so far, in order of appearance
  std::size_t announcers_ = 0;      // attached subscribers with announce_types
  std::string scratch_;
};

}  // namespace sse::serve

#endif
