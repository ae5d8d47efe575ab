// The hub: assigns ids, keeps the history, encodes each event once into a shared frame and appends
// it to one log that every attached stream reads with its own cursor. It runs on the one
// io_context thread and never waits on a client: publishing costs the same for 1 or 10,000 clients,
// and only clients that are idle and caught up are woken. A client too far behind is dropped (or,
// with backpressure, holds the sources back); one that takes nothing for the stall timeout is
// dropped. Every event has a topic (none by default); a client may follow some topics only, which
// costs it a comparison per event and costs clients that follow everything nothing.
#ifndef SSE_SERVE_HUB_EVENT_HUB_HPP
#define SSE_SERVE_HUB_EVENT_HUB_HPP

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <sse/encoder.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hub/event_sink.hpp"
#include "hub/frame.hpp"
#include "hub/history.hpp"
#include "hub/hub_counters.hpp"

namespace sse::serve {

// The reserved event types (documented in sse-serve(1)).
inline constexpr std::string_view reset_event_type = "sse-reset";
inline constexpr std::string_view end_event_type = "sse-end";
// Sent only to streams that ask for it (?types=1, as the page does): the event types in use, so
// that an EventSource, which can only listen to types by name, can show every event.
inline constexpr std::string_view types_event_type = "sse-types";
// Also only with ?types=1: the topic of the event that follows, for events that have one.
inline constexpr std::string_view topic_event_type = "sse-topic";
// Also only with ?types=1, first on a new stream that starts with no event: no data, the id of
// the latest event published, so that a reconnect (or a tab taking the page's stream over)
// resumes from where the stream began rather than from "now".
inline constexpr std::string_view position_event_type = "sse-position";
// Distinct types announced at most; beyond this, new types are not announced.
inline constexpr std::size_t max_announced_types = 256;

// An event as a source produces it, before the hub gives it an id.
struct source_event {
  std::string data;
  std::string type;               // empty: the default type ("message")
  std::optional<std::string> id;  // nullopt: the hub assigns the next sequence number
  std::optional<std::uint64_t> retry;
  std::string topic;  // empty: no topic (see valid_topic)
};

// Why a topic name cannot be used, or an empty string: 1 to 200 bytes of printable UTF-8 (no
// control characters) without '/'.
std::string topic_problem(std::string_view name);

enum class slow_client_policy {
  drop,          // a client more than client_buffer bytes behind is disconnected
  backpressure,  // sources wait while the slowest client is more than client_buffer bytes behind
};

struct hub_config {
  slow_client_policy policy = slow_client_policy::drop;
  std::size_t client_buffer = std::size_t{4} << 20;
  // Keep-alive and stall detection count in ticks of the server's timer (see event_hub::tick).
  std::uint64_t ping_ticks = 0;  // idle ticks before a keep-alive comment; 0: never
  std::uint64_t stall_ticks =
      0;  // ticks without progress before a writing client is dropped; 0: never
};

class event_hub;
class backplane;
enum class range_status;
struct stored_event;

// One client of the hub: a cursor into the hub's log plus frames of its own (a replay, a reset,
// keep-alives), which go first. The transport (an HTTP/1.x socket, later an HTTP/2 stream) pulls
// frames with take() when it can write, and parks with wait() when it has taken everything.
class subscriber {
 public:
  subscriber() = default;
  virtual ~subscriber() = default;
  subscriber(subscriber const&) = delete;
  subscriber& operator=(subscriber const&) = delete;

  // Whether this subscriber gets the sse-types and sse-topic announcements (the page).
  bool announce_types = false;

  // Visits the frames ready to send, oldest first; visit(frame const&) returns true to take the
  // frame, false to stop before it. What was taken stays valid until the next take() or until
  // control returns to the event loop, whichever comes first.
  template <typename Visit>
  void take(Visit&& visit);
  // Whether take() would yield something.
  bool has_pending() const noexcept;
  // Nothing is left to take: wake() me when the hub has more. No-op once detached.
  void wait();
  // The transport handed n bytes to the network (stall detection, metrics).
  void progressed(std::size_t n) noexcept;
  // The hub has ended and this subscriber has taken everything, the end event included.
  bool finished() const noexcept;
  bool attached() const noexcept { return hub_ != nullptr; }

 protected:
  // Frames are ready (called once after wait(), from event_hub::flush or tick).
  virtual void wake() = 0;
  // The hub detached this subscriber: too far behind, or stalled. It must close.
  virtual void drop(std::string_view why) = 0;
  // A write is in flight (for stall detection).
  virtual bool writing() const noexcept = 0;

 private:
  friend class event_hub;
  class backplane;
  enum class range_status;
  struct stored_event;
  static constexpr std::size_t none = std::numeric_limits<std::size_t>::max();

  bool follows(topic_id t) const noexcept;

  event_hub* hub_ = nullptr;
  std::uint64_t cursor_ = 0;      // index of the next log entry to take
  std::vector<topic_id> topics_;  // the topics followed; empty: every event
  std::vector<frame> own_;        // frames for this subscriber alone, sent before the log
  std::size_t own_next_ = 0;
  bool fetching_ = false;    // its replay comes from the backplane: nothing to take until then
  bool hint_taken_ = false;  // the entry at cursor_ has had its sse-topic hint taken
  std::size_t hub_index_ = none;
  topic_id waiting_on_ =
      no_topic;  // the waiting list it is in: a topic's, or (no_topic) the global
  std::size_t waiting_index_ = none;
  std::uint64_t progress_ = 0;       // bytes written, as of now
  std::uint64_t seen_progress_ = 0;  // progress_ at the last tick
  std::uint64_t still_since_ = 0;    // tick since which progress_ has not moved
  std::uint64_t active_tick_ = 0;    // tick of the latest take() that took something
  std::uint64_t ping_jitter_ = 0;    // extra idle ticks before this subscriber's keep-alive
};

enum class attach_result {
  live,      // no Last-Event-ID: live events only (or the backlog)
  replayed,  // the events after its id, from the history
  reset,     // its id is gone: the reset event, then what is held
  fetching,  // its id is older than this replica's cache: the replay comes from the backplane
  ended,     // the hub has ended: no stream
};

class event_hub final : public event_sink {
 public:
  // Runs a function later, outside the current call stack (the server posts it to its io_context).
  using scheduler = std::function<void(std::function<void()>)>;

  event_hub(history& h, hub_config const& config, scheduler defer);

  // Encodes ev and appends it to the log; returns why it cannot be sent (nothing is then sent or
  // kept). ev.topic must be empty or pass topic_problem(). Call flush() after a batch of
  // publishes to wake the clients.
  sse::encode_error publish(source_event const& ev,
                            event_source_kind source = event_source_kind::input) override;
  // A retry field for every client now and at the start of every later stream.
  void publish_retry(std::uint64_t milliseconds) override;
  // Wakes the clients waiting for the entries published since the last flush, and keeps the log
  // within its bounds (dropping clients too far behind, or throttling the sources).
  void flush() override;
  void publish_batch(std::vector<source_event> events, event_source_kind source,
                     batch_done done) override;
  // The server's timer: keep-alive comments for idle clients, drops stalled ones.
  void tick();

  // Adds s, following `topics` (empty: every event): first the events after last_event_id from
  // the history (or, when that id is not held, the reset event and then every event still held),
  // then everything published later; only events of its topics. A client without an id gets the
  // newest `backlog` held events of its topics (none by default: live only).
  attach_result attach(std::shared_ptr<subscriber> const& s,
                       std::optional<std::string_view> last_event_id, std::size_t backlog = 0,
                       std::vector<std::string> const& topics = {});
  void detach(subscriber& s);

  // Sends the end event to everyone (after everything published); later attaches get
  // attach_result::ended. Streams close once they have sent it.
  void end(std::string_view reason);
  bool ended() const noexcept { return ended_; }

  // With backpressure: whether sources must wait (the slowest client is too far behind), and a
  // callback run (through the scheduler) once when they may go on.
  bool throttled() const noexcept override { return throttled_; }
  void when_unthrottled(std::function<void()> f) override;

  // With --redis: ids the history does not hold are asked of the backplane (one request serves
  // every client that resumes from the same id at once).
  void set_backplane(backplane* b) noexcept { backplane_ = b; }
  // The shared store lost events this replica's clients were owed (it restarted empty): every
  // client gets a reset event.
  void reset_all(std::string_view reason);
  // With --redis: where this replica starts reading the store, as if that id were its latest
  // event, so a client already there is up to date and older ones are fetched up to it.
  void start_at(std::string id) { last_id_ = std::move(id); }

  std::size_t clients() const noexcept { return subscribers_.size(); }
  std::uint64_t published() const noexcept { return seq_; }
  std::string const& last_id() const noexcept { return last_id_; }
  std::optional<std::uint64_t> retry() const noexcept { return retry_; }
  // Bytes of frames the log holds (what clients still have to take, and a little more).
  std::uint64_t log_bytes() const noexcept;
  // Topics known now (published to, or followed by a client).
  std::size_t topics() const noexcept { return topic_ids_.size(); }
  hub_counters& counters() noexcept { return counters_; }
  hub_counters const& counters() const noexcept { return counters_; }
  history const& held() const noexcept { return history_; }

 private:
  friend class subscriber;
  enum class entry_kind : unsigned char {
    event,     // for subscribers that follow its topic
    control,   // for everyone (retry, the end event)
    announce,  // for subscribers that asked for announcements (sse-types)
  };
  struct log_entry {
    held_event event;
    std::uint64_t offset;  // payload bytes appended to the log before this entry
    entry_kind kind;
  };
  struct topic_state {
    std::string name;
    frame hint;                        // the topic's hint event, encoded once for all its events
    std::size_t followers = 0;         // attached subscribers that follow it
    bool published = false;            // events of it may be in the log or the history: never freed
    bool dirty = false;                // events appended since the last flush
    std::vector<subscriber*> waiting;  // idle subscribers that follow only this topic
  };

  void append(held_event ev, entry_kind kind);
  bool matches(subscriber const& s, log_entry const& e) const noexcept;
  topic_id intern(std::string_view name);
  void release(topic_id t);
  std::vector<subscriber*>& waiting_list(topic_id t) {
    return t == no_topic ? waiting_ : topics_[t].waiting;
  }
  void wake_list(std::vector<subscriber*>& list);
  std::uint64_t log_end() const noexcept { return log_first_ + log_.size(); }
  std::uint64_t offset_of(std::uint64_t index) const noexcept;
  // Bytes s is behind, not counting the first frame it has yet to take (a single frame larger
  // than the bound still goes to a client that keeps up).
  std::uint64_t lag(subscriber const& s) const noexcept;
  void remove_at(std::size_t index);
  void remove_waiting(subscriber& s);
  void drop_at(std::size_t index, std::string_view why);
  void moved(subscriber& s, std::uint64_t from);
  void check_backlog();
  frame reset_frame(std::string_view last_event_id, std::optional<std::string> const& position,
                    bool filtered) const;
  frame types_frame(std::vector<std::string> const& types) const;
  void announce(std::string const& type);
  // Encodes ev with id into held (its frame, and the page's topic hint).
  sse::encode_error encode_event(source_event const& ev, std::string const& id, held_event& held);
  held_event hold(stored_event const& e);
  void fetch(std::shared_ptr<subscriber> const& s, std::string const& after);
  void fetched(std::string const& key, std::string const& after, std::string const& until,
               range_status status, std::vector<stored_event> const& events);
  // A client whose id this replica has not read yet (it came from a replica further ahead)
  // starts right after that id, once it is published here.
  void resolve_ahead(std::string const& id);

  history& history_;
  hub_config config_;
  scheduler defer_;
  hub_counters counters_;
  std::vector<std::shared_ptr<subscriber>> subscribers_;
  std::vector<subscriber*> waiting_;  // idle subscribers of every topic or of several
  std::vector<subscriber*> waking_;   // spare vector that wake_list() swaps with a list

  std::vector<topic_state> topics_;  // indexed by topic_id; [0] is "no topic"
  std::unordered_map<std::string, topic_id> topic_ids_;
  std::vector<topic_id>
      free_topics_;  // ids of topics that were followed, never published, and left
  std::vector<topic_id> dirty_topics_;

  std::deque<log_entry> log_;
  std::uint64_t log_first_ = 0;    // index of log_.front()
  std::uint64_t log_offset_ = 0;   // payload bytes appended so far
  std::uint64_t checked_at_ = 0;   // log_offset_ when the bounds were last enforced
  std::uint64_t flushed_end_ = 0;  // log_end() at the last flush
  bool everyone_dirty_ = false;    // a control entry since the last flush: wake every list
  bool flush_scheduled_ = false;   // publish_batch has deferred a flush that has not run yet

  std::uint64_t seq_ = 0;
  std::string last_id_;        // id of the latest event published
  bool auto_ids_only_ = true;  // every id so far was assigned by the hub (so ids are seqs)
  bool ended_ = false;
  std::optional<std::uint64_t> retry_;
  std::vector<std::string> types_;  // event types published so far, in order of appearance

  bool throttled_ = false;
  std::uint64_t slowest_ = 0;      // the smallest cursor when last computed (backpressure)
  std::size_t slowest_count_ = 0;  // subscribers whose cursor was slowest_ then
  std::vector<std::function<void()>> unthrottled_;

  backplane* backplane_ = nullptr;
  // Replays being fetched from the backplane, by "after|until": the clients waiting for each.
  std::unordered_map<std::string, std::vector<std::weak_ptr<subscriber>>> fetching_;
  std::unordered_map<std::string, std::vector<std::weak_ptr<subscriber>>> ahead_;  // by their id

  std::uint64_t tick_ = 0;
  frame ping_;
  std::minstd_rand jitter_;
  std::string scratch_;
};

// --- subscriber's template member, which needs the hub's log ---

inline bool subscriber::follows(topic_id t) const noexcept {
  for (topic_id mine : topics_) {
    if (mine == t) return true;
  }
  return false;
}

template <typename Visit>
void subscriber::take(Visit&& visit) {
  if (hub_ == nullptr || fetching_) return;
  event_hub& hub = *hub_;
  bool took = false;
  // Own frames taken by the previous call are released only now, so that what a caller took stays
  // valid until it calls again.
  if (own_next_ != 0 && own_next_ == own_.size()) {
    own_.clear();
    if (own_.capacity() > 64) own_.shrink_to_fit();
    own_next_ = 0;
  }
  bool full = false;
  while (own_next_ < own_.size()) {
    if (!visit(own_[own_next_])) {
      full = true;
      break;
    }
    ++own_next_;
    took = true;
  }
  std::uint64_t const from = cursor_;
  std::uint64_t const end = hub.log_end();
  std::uint64_t events = 0;
  while (!full && cursor_ < end) {
    auto const& e = hub.log_[static_cast<std::size_t>(cursor_ - hub.log_first_)];
    if (hub.matches(*this, e)) {
      if (announce_types && e.event.hint && !hint_taken_) {
        if (!visit(e.event.hint)) break;
        hint_taken_ = true;
        took = true;
      }
      if (!visit(e.event.data)) break;
      took = true;
      if (e.kind == event_hub::entry_kind::event) ++events;
    }
    hint_taken_ = false;
    ++cursor_;
  }
  hub.counters_.events_delivered += events;
  if (took) active_tick_ = hub.tick_;
  if (cursor_ != from) hub.moved(*this, from);
}

}  // namespace sse::serve

#endif
