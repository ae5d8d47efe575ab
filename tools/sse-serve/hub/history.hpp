// Recent events kept so that a client reconnecting with Last-Event-ID resumes without a gap.
// An interface, so that a shared store (e.g. Redis) can be added as a new class beside the ring.
#ifndef SSE_SERVE_HUB_HISTORY_HPP
#define SSE_SERVE_HUB_HISTORY_HPP

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hub/frame.hpp"

namespace sse::serve {

class history {
 public:
  virtual ~history() = default;

  // Records the event with sequence number seq (1, 2, … in publication order, no gaps) and id.
  virtual void append(std::uint64_t seq, std::string id, held_event ev) = 0;

  // The events published after the event whose id is `id`, oldest first, or nullopt when that
  // event is not known. When several held events share an id, the latest one counts. The id of
  // the event just before the oldest one held also counts (every held event follows it), so a
  // client positioned there by a reset loses nothing.
  virtual std::optional<std::vector<held_event>> after(std::string_view id) const = 0;

  // The newest n events held (fewer when fewer are held), oldest first.
  virtual std::vector<held_event> last(std::size_t n) const = 0;

  // Whether after(id) would answer (without building the answer).
  virtual bool knows(std::string_view id) const = 0;

  // Sequence number of the oldest event held (0 when empty).
  virtual std::uint64_t oldest_seq() const = 0;
  // The id of the latest event that is no longer held (it precedes the oldest held), if any.
  virtual std::optional<std::string> evicted_id() const = 0;
  virtual std::size_t size() const = 0;
  virtual std::size_t bytes() const = 0;
};

// In memory, bounded by a count and by the bytes of the frames held; the oldest go first.
class ring_history final : public history {
 public:
  ring_history(std::size_t max_events, std::size_t max_bytes);

  void append(std::uint64_t seq, std::string id, held_event ev) override;
  std::optional<std::vector<held_event>> after(std::string_view id) const override;
  std::vector<held_event> last(std::size_t n) const override;
  bool knows(std::string_view id) const override;
  std::uint64_t oldest_seq() const override;
  std::optional<std::string> evicted_id() const override { return evicted_id_; }
  std::size_t size() const override { return entries_.size(); }
  std::size_t bytes() const override { return bytes_; }

 private:
  struct entry {
    std::uint64_t seq;
    std::string id;
    held_event event;
  };
  void evict_front();
  std::vector<held_event> from(std::size_t index) const;
  // The seq of the latest event held with this id.
  std::optional<std::uint64_t> held_seq(std::string_view id) const;

  std::size_t max_events_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  std::deque<entry> entries_;  // contiguous seqs, oldest first
  // id -> latest seq carrying it, for the ids not the hub's own (an event's own seq in decimal)
  std::unordered_map<std::string, std::uint64_t> seq_of_;
  std::optional<std::string> evicted_id_;
};

}  // namespace sse::serve

#endif
