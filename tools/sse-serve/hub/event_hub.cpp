#include "hub/event_hub.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <utility>

namespace sse::serve {
namespace {

// How much the log may grow between two checks of the clients' positions: each check walks every
// client once, so it must not run per event, yet a client is caught soon after it passes its bound.
std::uint64_t check_interval(hub_config const& c) {
  return std::max<std::uint64_t>(std::uint64_t{64} << 10, c.client_buffer / 8);
}

frame encoded(sse::event const& ev) {
  std::string bytes;
  sse::encode(bytes, ev);
  return make_frame(bytes);
}

std::string json_text(nlohmann::ordered_json const& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

// --- subscriber ---

bool subscriber::has_pending() const noexcept {
  if (hub_ == nullptr) return false;
  if (own_next_ < own_.size()) return true;
  for (std::uint64_t i = cursor_; i < hub_->log_end(); ++i) {
    if (!hub_->log_[static_cast<std::size_t>(i - hub_->log_first_)].announce_only ||
        announce_types) {
      return true;
    }
  }
  return false;
}

void subscriber::wait() {
  if (hub_ == nullptr || waiting_index_ != none) return;
  waiting_index_ = hub_->waiting_.size();
  hub_->waiting_.push_back(this);
}

bool subscriber::finished() const noexcept {
  return hub_ != nullptr && hub_->ended_ && !has_pending();
}

// --- event_hub ---

event_hub::event_hub(history& h, hub_config const& config, scheduler defer)
    : history_(h), config_(config), defer_(std::move(defer)), jitter_(std::random_device{}()) {
  std::string bytes;
  sse::encode_comment(bytes, "ping");
  ping_ = make_frame(bytes);
}

void event_hub::append(frame f, bool announce_only) {
  std::uint64_t const size = f->payload().size();
  log_.push_back(log_entry{std::move(f), log_offset_, announce_only});
  log_offset_ += size;
}

std::uint64_t event_hub::offset_of(std::uint64_t index) const noexcept {
  return index < log_end() ? log_[static_cast<std::size_t>(index - log_first_)].offset
                           : log_offset_;
}

std::uint64_t event_hub::lag(subscriber const& s) const noexcept {
  if (s.cursor_ >= log_end()) return 0;
  return log_offset_ - offset_of(s.cursor_ + 1);
}

std::uint64_t event_hub::log_bytes() const noexcept {
  return log_.empty() ? 0 : log_offset_ - log_.front().offset;
}

sse::encode_error event_hub::publish(source_event const& ev) {
  if (ended_) return sse::encode_error::none;
  std::uint64_t seq = seq_ + 1;
  std::string id = ev.id ? *ev.id : std::to_string(seq);
  sse::event out;
  out.data = ev.data;
  out.type = ev.type == "message" ? std::string_view() : std::string_view(ev.type);
  // Encoded before announcing, so that an event the wire cannot carry announces nothing.
  out.id = std::string_view(id);
  out.retry = ev.retry;
  scratch_.clear();
  if (sse::encode_error e = sse::encode(scratch_, out); e != sse::encode_error::none) return e;

  if (!out.type.empty()) announce(ev.type);
  seq_ = seq;
  if (ev.id) auto_ids_only_ = false;
  if (ev.retry) retry_ = ev.retry;
  last_id_ = id;
  frame f = make_frame(scratch_);
  history_.append(seq, std::move(id), f);
  append(std::move(f));
  return sse::encode_error::none;
}

void event_hub::publish_retry(std::uint64_t milliseconds) {
  retry_ = milliseconds;
  scratch_.clear();
  sse::encode_retry(scratch_, milliseconds);
  append(make_frame(scratch_));
}

void event_hub::flush() {
  // Swapped out first: a subscriber woken here that takes everything parks itself again in the
  // (now empty) waiting_ list.
  // Waiting subscribers have taken everything up to where the log ended when they parked: with
  // nothing appended since the last flush, there is nothing to wake them for.
  if (log_end() != flushed_end_) {
    flushed_end_ = log_end();
    wake_waiting();
  }
  if (log_offset_ - checked_at_ >= check_interval(config_)) check_backlog();
}

void event_hub::wake_waiting() {
  waking_.clear();
  std::swap(waking_, waiting_);
  for (subscriber* s : waking_) s->waiting_index_ = subscriber::none;
  for (subscriber* s : waking_) {
    if (s->hub_ == this) s->wake();
  }
}

void event_hub::check_backlog() {
  checked_at_ = log_offset_;
  std::uint64_t slowest = log_end();
  std::size_t at_slowest = 0;
  for (std::size_t i = 0; i < subscribers_.size();) {
    subscriber& s = *subscribers_[i];
    if (config_.policy == slow_client_policy::drop && lag(s) > config_.client_buffer) {
      drop_at(i, "behind");
      continue;
    }
    if (s.cursor_ < slowest) {
      slowest = s.cursor_;
      at_slowest = 0;
    }
    if (s.cursor_ == slowest) ++at_slowest;
    ++i;
  }
  // Entries every client has taken are needed no more (the history keeps its own references).
  while (log_first_ < slowest) {
    log_.pop_front();
    ++log_first_;
  }
  if (config_.policy != slow_client_policy::backpressure) return;
  slowest_ = slowest;
  slowest_count_ = at_slowest;
  std::uint64_t behind = slowest < log_end() ? log_offset_ - offset_of(slowest + 1) : 0;
  if (!throttled_ && behind > config_.client_buffer) {
    throttled_ = true;
  } else if (throttled_ && behind <= config_.client_buffer / 2) {
    throttled_ = false;
    std::vector<std::function<void()>> callbacks;
    callbacks.swap(unthrottled_);
    for (auto& f : callbacks) defer_(std::move(f));
  }
}

void event_hub::moved(subscriber& s, std::uint64_t from) {
  (void)s;
  // While throttled, only the slowest clients moving can end it: recount when the last of them
  // has moved on, so a round of writes by N clients costs one walk over them, not N.
  if (!throttled_ || from != slowest_) return;
  if (slowest_count_ > 0) --slowest_count_;
  // Deferred: the caller may still hold frames it just took, which a check could trim away.
  if (slowest_count_ == 0)
    defer_([this] {
      if (throttled_) check_backlog();
    });
}

void event_hub::when_unthrottled(std::function<void()> f) {
  if (!throttled_) {
    defer_(std::move(f));
    return;
  }
  unthrottled_.push_back(std::move(f));
}

void event_hub::tick() {
  ++tick_;
  std::vector<std::shared_ptr<subscriber>> to_ping;
  for (std::size_t i = 0; i < subscribers_.size();) {
    subscriber& s = *subscribers_[i];
    if (s.progress_ != s.seen_progress_ || !s.writing()) {
      s.seen_progress_ = s.progress_;
      s.still_since_ = tick_;
    } else if (config_.stall_ticks != 0 && tick_ - s.still_since_ >= config_.stall_ticks) {
      drop_at(i, "stalled");
      continue;
    }
    if (config_.ping_ticks != 0 && !ended_ && s.waiting_index_ != subscriber::none &&
        tick_ - s.active_tick_ >= config_.ping_ticks + s.ping_jitter_) {
      s.own_.push_back(ping_);
      s.active_tick_ = tick_;
      remove_waiting(s);
      to_ping.push_back(subscribers_[i]);
    }
    ++i;
  }
  // Woken after the walk: a wake may close its stream, which changes subscribers_.
  for (auto const& s : to_ping) {
    if (s->hub_ == this) s->wake();
  }
}

void event_hub::announce(std::string const& type) {
  if (types_.size() >= max_announced_types) return;
  if (std::find(types_.begin(), types_.end(), type) != types_.end()) return;
  types_.push_back(type);
  append(types_frame({type}), true);
}

frame event_hub::types_frame(std::vector<std::string> const& types) const {
  std::string data = json_text(types);
  sse::event ev;
  ev.type = types_event_type;
  ev.data = data;
  return encoded(ev);
}

attach_result event_hub::attach(std::shared_ptr<subscriber> const& s,
                                std::optional<std::string_view> last_event_id,
                                std::size_t backlog) {
  if (ended_) return attach_result::ended;
  subscriber& sub = *s;
  sub.hub_ = this;
  sub.cursor_ = log_end();
  sub.active_tick_ = tick_;
  sub.still_since_ = tick_;
  sub.seen_progress_ = sub.progress_;
  sub.ping_jitter_ = config_.ping_ticks >= 10 ? std::uniform_int_distribution<std::uint64_t>(
                                                    0, config_.ping_ticks / 10)(jitter_)
                                              : 0;
  if (sub.announce_types && !types_.empty()) sub.own_.push_back(types_frame(types_));

  attach_result result = attach_result::live;
  auto keep = [&sub](std::vector<frame> frames) {
    sub.own_.insert(sub.own_.end(), std::make_move_iterator(frames.begin()),
                    std::make_move_iterator(frames.end()));
  };
  if (last_event_id && !last_event_id->empty() && *last_event_id != last_id_) {
    if (auto frames = history_.after(*last_event_id)) {
      keep(std::move(*frames));
      result = attach_result::replayed;
    } else {
      // The id is gone (or was never ours): say so, then send everything still held, so the
      // reset's count is exactly what was lost and the newest events show at once.
      sub.own_.push_back(reset_frame(*last_event_id, history_.evicted_id()));
      keep(history_.last(history_.size()));
      result = attach_result::reset;
    }
  } else if (last_event_id && !last_event_id->empty()) {
    result = attach_result::replayed;  // already up to date: nothing to replay
  } else if (backlog > 0) {
    keep(history_.last(backlog));
  }
  sub.hub_index_ = subscribers_.size();
  subscribers_.push_back(s);
  return result;
}

frame event_hub::reset_frame(std::string_view last_event_id,
                             std::optional<std::string> const& position) const {
  // Ids assigned by the hub are sequence numbers, so an id that is one of ours but no longer held
  // tells exactly how many events the client will never see. Anything else (an id from an earlier
  // run, a typo, a server restarted with a shorter history) is "unknown".
  nlohmann::ordered_json data = {{"reason", "unknown"}};
  std::uint64_t n = 0;
  char const* first = last_event_id.data();
  char const* last = first + last_event_id.size();
  auto [end, ec] = std::from_chars(first, last, n);
  std::uint64_t const first_held = history_.size() > 0 ? history_.oldest_seq() : seq_ + 1;
  if (auto_ids_only_ && ec == std::errc() && end == last && n >= 1 && n + 1 < first_held &&
      last_event_id.front() != '0') {
    data = {{"reason", "expired"}, {"missed", first_held - 1 - n}};
  }
  std::string text = json_text(data);
  sse::event ev;
  ev.type = reset_event_type;
  ev.data = text;
  // The reset places the client just before the oldest event held (the events that follow), so a
  // reconnect during the replay resumes it without a second reset. When nothing was ever evicted,
  // no id: the client keeps its own, and a reconnect gets this same answer again.
  if (position) ev.id = std::string_view(*position);
  return encoded(ev);
}

void event_hub::detach(subscriber& s) {
  if (s.hub_ != this) return;
  remove_at(s.hub_index_);
}

void event_hub::drop_at(std::size_t index, std::string_view why) {
  std::shared_ptr<subscriber> s = subscribers_[index];
  remove_at(index);
  s->drop(why);
}

void event_hub::remove_waiting(subscriber& s) {
  std::size_t const i = s.waiting_index_;
  if (i == subscriber::none) return;
  s.waiting_index_ = subscriber::none;
  if (i + 1 != waiting_.size()) {
    waiting_[i] = waiting_.back();
    waiting_[i]->waiting_index_ = i;
  }
  waiting_.pop_back();
}

void event_hub::remove_at(std::size_t index) {
  std::shared_ptr<subscriber> s = std::move(subscribers_[index]);
  remove_waiting(*s);
  s->hub_index_ = subscriber::none;
  s->hub_ = nullptr;
  s->own_.clear();
  s->own_next_ = 0;
  if (index + 1 != subscribers_.size()) {
    subscribers_[index] = std::move(subscribers_.back());
    subscribers_[index]->hub_index_ = index;
  }
  subscribers_.pop_back();
  // A throttling client that leaves may free the sources.
  if (throttled_ && s->cursor_ == slowest_) {
    if (slowest_count_ > 0) --slowest_count_;
    if (slowest_count_ == 0)
      defer_([this] {
        if (throttled_) check_backlog();
      });
  }
}

void event_hub::end(std::string_view reason) {
  if (ended_) return;
  ended_ = true;
  std::string text = json_text({{"reason", reason}});
  sse::event ev;
  ev.type = end_event_type;
  ev.data = text;
  append(encoded(ev));
  flush();
}

}  // namespace sse::serve
