#include "hub/history.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

namespace sse::serve {

namespace {

// The number an id spells in plain decimal (no sign, no leading zero), if it does.
std::optional<std::uint64_t> decimal(std::string_view id) {
  if (id.empty() || id.size() > 20 || (id.size() > 1 && id.front() == '0')) return std::nullopt;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), v);
  if (ec != std::errc{} || end != id.data() + id.size()) return std::nullopt;
  return v;
}

// An id the hub gave the event itself (its sequence number) needs no index: its seq is its id.
bool is_own_id(std::string_view id, std::uint64_t seq) {
  std::optional<std::uint64_t> v = decimal(id);
  return v && *v == seq;
}

}  // namespace

ring_history::ring_history(std::size_t max_events, std::size_t max_bytes)
    : max_events_(max_events), max_bytes_(max_bytes) {}

void ring_history::append(std::uint64_t seq, std::string id, held_event ev) {
  if (max_events_ == 0) {
    evicted_id_ = std::move(id);  // kept for no time at all: it precedes everything held
    return;
  }
  if (!entries_.empty() && seq != entries_.back().seq + 1) {
    // A gap would make index arithmetic lie: start again rather than serve a wrong replay.
    entries_.clear();
    seq_of_.clear();
    bytes_ = 0;
    evicted_id_.reset();
  }
  bytes_ += ev.data->payload().size();
  if (!is_own_id(id, seq)) seq_of_[id] = seq;
  entries_.push_back(entry{seq, std::move(id), std::move(ev)});
  while (entries_.size() > max_events_ || (bytes_ > max_bytes_ && !entries_.empty())) evict_front();
}

void ring_history::evict_front() {
  entry& e = entries_.front();
  bytes_ -= e.event.data->payload().size();
  if (!is_own_id(e.id, e.seq)) {
    auto it = seq_of_.find(e.id);
    if (it != seq_of_.end() && it->second == e.seq) seq_of_.erase(it);
  }
  evicted_id_ = std::move(e.id);
  entries_.pop_front();
}

std::vector<held_event> ring_history::from(std::size_t index) const {
  std::vector<held_event> out;
  out.reserve(entries_.size() - index);
  for (std::size_t i = index; i < entries_.size(); ++i) out.push_back(entries_[i].event);
  return out;
}

std::optional<std::uint64_t> ring_history::held_seq(std::string_view id) const {
  std::optional<std::uint64_t> latest;
  if (auto it = seq_of_.find(std::string(id)); it != seq_of_.end()) latest = it->second;
  // An id of the hub's own is the seq of an event held, if that event still carries it.
  if (std::optional<std::uint64_t> seq = decimal(id);
      seq && !entries_.empty() && *seq >= entries_.front().seq && *seq <= entries_.back().seq) {
    if (entries_[static_cast<std::size_t>(*seq - entries_.front().seq)].id == id)
      latest = std::max(latest.value_or(0), *seq);
  }
  return latest;
}

std::optional<std::vector<held_event>> ring_history::after(std::string_view id) const {
  if (std::optional<std::uint64_t> seq = held_seq(id)) {
    return from(static_cast<std::size_t>(*seq - entries_.front().seq) + 1);
  }
  if (evicted_id_ && *evicted_id_ == id) return from(0);
  return std::nullopt;
}

bool ring_history::knows(std::string_view id) const {
  return held_seq(id).has_value() || (evicted_id_ && *evicted_id_ == id);
}

std::vector<held_event> ring_history::last(std::size_t n) const {
  return from(entries_.size() > n ? entries_.size() - n : 0);
}

std::uint64_t ring_history::oldest_seq() const {
  return entries_.empty() ? 0 : entries_.front().seq;
}

}  // namespace sse::serve
