#include "hub/event_hub.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <sse/encoder.hpp>
#include <utility>

#include "backplane/backplane.hpp"

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

std::string topic_problem(std::string_view name) {
  if (name.empty()) return "a topic name cannot be empty";
  if (name.size() > 200) return "a topic name is at most 200 bytes";
  if (!sse::is_valid_utf8(name)) return "a topic name must be valid UTF-8";
  for (std::size_t i = 0; i < name.size(); ++i) {
    auto const c = static_cast<unsigned char>(name[i]);
    if (c == '/') return "a topic name cannot contain '/'";
    if (c < 0x20 || c == 0x7F) return "a topic name cannot contain control characters";
    // U+0080..U+009F (C1 controls) are 0xC2 0x80..0x9F in UTF-8.
    if (c == 0xC2 && i + 1 < name.size() && static_cast<unsigned char>(name[i + 1]) < 0xA0) {
      return "a topic name cannot contain control characters";
    }
  }
  return {};
}

// --- subscriber ---

bool subscriber::has_pending() const noexcept {
  if (hub_ == nullptr || fetching_) return false;
  if (own_next_ < own_.size()) return true;
  for (std::uint64_t i = cursor_; i < hub_->log_end(); ++i) {
    if (hub_->matches(*this, hub_->log_[static_cast<std::size_t>(i - hub_->log_first_)]))
      return true;
  }
  return false;
}

void subscriber::wait() {
  if (hub_ == nullptr || waiting_index_ != none) return;
  // One topic: only its events wake it. Every topic, or several: any event does.
  waiting_on_ = topics_.size() == 1 ? topics_.front() : no_topic;
  auto& list = hub_->waiting_list(waiting_on_);
  waiting_index_ = list.size();
  list.push_back(this);
}

void subscriber::progressed(std::size_t n) noexcept {
  progress_ += n;
  if (hub_ != nullptr) hub_->counters_.bytes_delivered += n;
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
  topics_.emplace_back();  // no_topic
  topics_.front().published = true;
}

bool event_hub::matches(subscriber const& s, log_entry const& e) const noexcept {
  switch (e.kind) {
    case entry_kind::event:
      return s.topics_.empty() || s.follows(e.event.topic);
    case entry_kind::control:
      return true;
    case entry_kind::announce:
      return s.announce_types;
  }
  return true;
}

topic_id event_hub::intern(std::string_view name) {
  if (auto it = topic_ids_.find(std::string(name)); it != topic_ids_.end()) return it->second;
  topic_id t;
  if (!free_topics_.empty()) {
    t = free_topics_.back();
    free_topics_.pop_back();
  } else {
    t = static_cast<topic_id>(topics_.size());
    topics_.emplace_back();
  }
  topics_[t].name.assign(name);
  sse::event hint;
  hint.type = topic_event_type;
  hint.data = name;
  topics_[t].hint = encoded(hint);
  topic_ids_.emplace(std::string(name), t);
  return t;
}

void event_hub::release(topic_id t) {
  topic_state& state = topics_[t];
  if (t == no_topic || state.followers != 0 || state.published) return;
  // Nothing in the log or the history refers to it, so the id can be used again.
  topic_ids_.erase(state.name);
  state = topic_state{};
  free_topics_.push_back(t);
}

void event_hub::append(held_event ev, entry_kind kind) {
  std::uint64_t const size = ev.data->payload().size();
  topic_id const t = ev.topic;
  log_.push_back(log_entry{std::move(ev), log_offset_, kind});
  log_offset_ += size;
  if (kind != entry_kind::event) {
    everyone_dirty_ = true;
  } else if (t != no_topic && !topics_[t].dirty) {
    topics_[t].dirty = true;
    dirty_topics_.push_back(t);
  }
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

sse::encode_error event_hub::publish(source_event const& ev, event_source_kind source) {
  if (ended_) return sse::encode_error::none;
  std::uint64_t seq = seq_ + 1;
  std::string id = ev.id ? *ev.id : std::to_string(seq);
  held_event held;
  if (sse::encode_error e = encode_event(ev, id, held); e != sse::encode_error::none) return e;
  if (!ev.type.empty() && ev.type != "message") announce(ev.type);
  if (!ev.topic.empty()) topics_[held.topic].published = true;
  seq_ = seq;
  if (ev.id) auto_ids_only_ = false;
  if (ev.retry) retry_ = ev.retry;
  last_id_ = id;
  ++counters_.published[static_cast<std::size_t>(source)];
  bool const resolve = !ahead_.empty() && ahead_.count(id) != 0;
  std::string const published_id = resolve ? id : std::string();
  history_.append(seq, std::move(id), held);
  append(std::move(held), entry_kind::event);
  if (resolve) resolve_ahead(published_id);
  return sse::encode_error::none;
}

void event_hub::resolve_ahead(std::string const& id) {
  auto it = ahead_.find(id);
  if (it == ahead_.end()) return;
  std::vector<std::weak_ptr<subscriber>> waiting = std::move(it->second);
  ahead_.erase(it);
  for (auto const& weak : waiting) {
    std::shared_ptr<subscriber> s = weak.lock();
    if (!s || s->hub_ != this || !s->fetching_) continue;
    s->fetching_ = false;
    s->cursor_ = log_end();  // right after its own id: the entry just appended
    ++counters_.resumed_replayed;
    remove_waiting(*s);
    s->wake();
  }
}

sse::encode_error event_hub::encode_event(source_event const& ev, std::string const& id,
                                          held_event& held) {
  sse::event out;
  out.data = ev.data;
  out.type = ev.type == "message" ? std::string_view() : std::string_view(ev.type);
  out.id = std::string_view(id);
  out.retry = ev.retry;
  scratch_.clear();
  if (sse::encode_error e = sse::encode(scratch_, out); e != sse::encode_error::none) return e;
  held.data = make_frame(scratch_);
  if (!ev.topic.empty()) {
    held.topic = intern(ev.topic);
    held.hint = topics_[held.topic].hint;
  }
  return sse::encode_error::none;
}

void event_hub::publish_batch(std::vector<source_event> events, event_source_kind source,
                              batch_done done) {
  if (ended_) {
    done(std::nullopt, "the server is stopping");
    return;
  }
  std::vector<std::string> ids;
  ids.reserve(events.size());
  for (source_event const& ev : events) {
    publish(ev, source);  // checked by the caller: cannot fail
    ids.push_back(last_id_);
  }
  // The clients are woken once the current handler is done, not per request: a connection that
  // answers a run of pipelined publishes (or several publishers in one turn of the loop) then
  // costs each client one write for all of their events, as a batch of stdin lines does.
  if (!flush_scheduled_) {
    flush_scheduled_ = true;
    defer_([this] {
      flush_scheduled_ = false;
      flush();
    });
  }
  done(std::move(ids), {});
}

void event_hub::reset_all(std::string_view reason) {
  if (ended_) return;
  // Clients waiting for an id this replica was to read get the reset too, then live events.
  for (auto& [id, waiting] : ahead_) {
    for (auto const& weak : waiting) {
      std::shared_ptr<subscriber> s = weak.lock();
      if (!s || s->hub_ != this || !s->fetching_) continue;
      s->fetching_ = false;
      s->cursor_ = log_end();
    }
  }
  ahead_.clear();
  std::string text = json_text({{"reason", reason}});
  sse::event ev;
  ev.type = reset_event_type;
  ev.data = text;
  append(held_event{encoded(ev), {}, no_topic}, entry_kind::control);
  flush();
}

void event_hub::publish_retry(std::uint64_t milliseconds) {
  retry_ = milliseconds;
  scratch_.clear();
  sse::encode_retry(scratch_, milliseconds);
  append(held_event{make_frame(scratch_), {}, no_topic}, entry_kind::control);
}

void event_hub::flush() {
  // Waiting subscribers have taken everything up to where the log ended when they parked: with
  // nothing appended since the last flush, there is nothing to wake them for. A topic's list is
  // woken only for events of that topic.
  if (log_end() != flushed_end_) {
    flushed_end_ = log_end();
    wake_list(waiting_);
    if (everyone_dirty_) {
      for (topic_state& t : topics_) {
        if (!t.waiting.empty()) wake_list(t.waiting);
      }
    } else {
      for (topic_id t : dirty_topics_) wake_list(topics_[t].waiting);
    }
  }
  for (topic_id t : dirty_topics_) topics_[t].dirty = false;
  dirty_topics_.clear();
  everyone_dirty_ = false;
  if (log_offset_ - checked_at_ >= check_interval(config_)) check_backlog();
}

void event_hub::wake_list(std::vector<subscriber*>& list) {
  // Swapped out first: a subscriber woken here that takes everything parks itself again in the
  // (now empty) list.
  waking_.clear();
  std::swap(waking_, list);
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
  if (slowest_count_ == 0) {
    defer_([this] {
      if (throttled_) check_backlog();
    });
  }
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
  append(held_event{types_frame({type}), {}, no_topic}, entry_kind::announce);
}

frame event_hub::types_frame(std::vector<std::string> const& types) const {
  std::string data = json_text(types);
  sse::event ev;
  ev.type = types_event_type;
  ev.data = data;
  return encoded(ev);
}

attach_result event_hub::attach(std::shared_ptr<subscriber> const& s,
                                std::optional<std::string_view> last_event_id, std::size_t backlog,
                                std::vector<std::string> const& topics) {
  if (ended_) return attach_result::ended;
  subscriber& sub = *s;
  sub.hub_ = this;
  sub.cursor_ = log_end();
  sub.hint_taken_ = false;
  sub.active_tick_ = tick_;
  sub.still_since_ = tick_;
  sub.seen_progress_ = sub.progress_;
  sub.ping_jitter_ = config_.ping_ticks >= 10 ? std::uniform_int_distribution<std::uint64_t>(
                                                    0, config_.ping_ticks / 10)(jitter_)
                                              : 0;
  sub.topics_.clear();
  for (std::string const& name : topics) {
    topic_id t = intern(name);
    if (sub.follows(t)) continue;
    ++topics_[t].followers;
    sub.topics_.push_back(t);
  }
  if (sub.announce_types && !types_.empty()) sub.own_.push_back(types_frame(types_));

  attach_result result = attach_result::live;
  std::uint64_t replayed = 0;
  auto keep = [&sub, &replayed](std::vector<held_event> const& events) {
    for (held_event const& e : events) {
      if (!sub.topics_.empty() && !sub.follows(e.topic)) continue;
      if (sub.announce_types && e.hint) sub.own_.push_back(e.hint);
      sub.own_.push_back(e.data);
      ++replayed;
    }
  };
  if (last_event_id && !last_event_id->empty() && *last_event_id != last_id_) {
    if (auto events = history_.after(*last_event_id)) {
      keep(*events);
      result = attach_result::replayed;
    } else if (backplane_ != nullptr && backplane_->is_store_id(*last_event_id)) {
      // Older than this replica's cache, perhaps not older than the shared store's.
      sub.fetching_ = true;
      result = attach_result::fetching;
    } else {
      // The id is gone (or was never ours): say so, then send everything still held, so the
      // reset's count is exactly what was lost and the newest events show at once.
      sub.own_.push_back(reset_frame(*last_event_id, history_.evicted_id(), !sub.topics_.empty()));
      keep(history_.last(history_.size()));
      result = attach_result::reset;
    }
  } else if (last_event_id && !last_event_id->empty()) {
    result = attach_result::replayed;  // already up to date: nothing to replay
  } else if (backlog > 0) {
    std::vector<held_event> recent = history_.last(history_.size());
    std::size_t wanted = 0;
    std::size_t first = recent.size();
    while (first > 0 && wanted < backlog) {  // the newest `backlog` events of its topics
      --first;
      if (sub.topics_.empty() || sub.follows(recent[first].topic)) ++wanted;
    }
    recent.erase(recent.begin(), recent.begin() + static_cast<std::ptrdiff_t>(first));
    keep(recent);
  }
  if (sub.announce_types && replayed == 0 && result == attach_result::live && !last_id_.empty()) {
    sse::event position;
    position.type = position_event_type;
    position.id = std::string_view(last_id_);
    sub.own_.push_back(encoded(position));
  }
  if (result == attach_result::replayed && last_event_id) ++counters_.resumed_replayed;
  if (result == attach_result::reset) ++counters_.resumed_reset;
  counters_.events_delivered += replayed;
  ++counters_.streams_opened;
  sub.hub_index_ = subscribers_.size();
  subscribers_.push_back(s);
  if (result == attach_result::fetching) fetch(s, std::string(*last_event_id));
  return result;
}

held_event event_hub::hold(stored_event const& e) {
  held_event held;
  if (e.retry_only) {
    scratch_.clear();
    sse::encode_retry(scratch_, e.event.retry.value_or(0));
    held.data = make_frame(scratch_);
    return held;
  }
  encode_event(e.event, e.id, held);  // read back from the store: it was checked when published
  if (held.topic != no_topic) topics_[held.topic].published = true;
  return held;
}

void event_hub::fetch(std::shared_ptr<subscriber> const& s, std::string const& after) {
  std::string key = after + "|" + last_id_;
  auto [it, first] = fetching_.try_emplace(key);
  it->second.push_back(s);
  if (!first) return;  // the same range is on its way: one request serves every client asking
  backplane_->read_range(after, last_id_,
                         [this, key, after, until = last_id_](
                             range_status status, std::vector<stored_event> const& events) {
                           fetched(key, after, until, status, events);
                         });
}

void event_hub::fetched(std::string const& key, std::string const& after, std::string const& until,
                        range_status status, std::vector<stored_event> const& events) {
  auto it = fetching_.find(key);
  if (it == fetching_.end()) return;
  std::vector<std::weak_ptr<subscriber>> waiting = std::move(it->second);
  fetching_.erase(it);
  if (status == range_status::exact && !until.empty() && backplane_->compare(after, until) > 0) {
    // The client is ahead of this replica: it has seen events this replica has not read yet.
    // When they were read meanwhile, the history has the rest; else it waits for its own id.
    for (auto const& weak : waiting) {
      std::shared_ptr<subscriber> s = weak.lock();
      if (!s || s->hub_ != this || !s->fetching_) continue;
      std::optional<std::vector<held_event>> held;
      if (backplane_->compare(after, last_id_) <= 0) held = history_.after(after);
      if (!held) {
        ahead_[after].push_back(s);
        continue;
      }
      s->fetching_ = false;
      for (held_event const& e : *held) {
        if (!s->topics_.empty() && !s->follows(e.topic)) continue;
        if (s->announce_types && e.hint) s->own_.push_back(e.hint);
        s->own_.push_back(e.data);
      }
      s->cursor_ = log_end();
      ++counters_.resumed_replayed;
      remove_waiting(*s);
      s->wake();
    }
    return;
  }
  std::vector<held_event> replay;
  replay.reserve(events.size());
  for (stored_event const& e : events) replay.push_back(hold(e));  // encoded once for all of them
  frame reset;
  if (status == range_status::trimmed || status == range_status::unknown) {
    std::string text =
        json_text({{"reason", status == range_status::trimmed ? "expired" : "unknown"}});
    sse::event ev;
    ev.type = reset_event_type;
    ev.data = text;
    reset = encoded(ev);  // no id: a client that reconnects during the replay gets this again
  }
  for (auto const& weak : waiting) {
    std::shared_ptr<subscriber> s = weak.lock();
    if (!s || s->hub_ != this || !s->fetching_) continue;
    if (status == range_status::unavailable) {
      // Nothing to resume from now: close, and the client retries (with its id) later.
      drop_at(s->hub_index_, "unavailable");
      continue;
    }
    if (reset) {
      ++counters_.resumed_reset;
      s->own_.push_back(reset);
    } else {
      ++counters_.resumed_replayed;
    }
    for (std::size_t i = 0; i < replay.size(); ++i) {
      held_event const& e = replay[i];
      bool const control = events[i].retry_only;  // a retry goes to everyone
      if (!control && !s->topics_.empty() && !s->follows(e.topic)) continue;
      if (s->announce_types && e.hint) s->own_.push_back(e.hint);
      s->own_.push_back(e.data);
      if (!control) ++counters_.events_delivered;
    }
    s->fetching_ = false;
    remove_waiting(*s);
    s->wake();
  }
}

frame event_hub::reset_frame(std::string_view last_event_id,
                             std::optional<std::string> const& position, bool filtered) const {
  // Ids assigned by the hub are sequence numbers, so an id that is one of ours but no longer held
  // tells exactly how many events the client will never see (for a client of some topics only,
  // that they expired, but not how many of them were its own). Anything else (an id from an
  // earlier run, a typo, a server restarted with a shorter history) is "unknown".
  nlohmann::ordered_json data = {{"reason", "unknown"}};
  std::uint64_t n = 0;
  char const* first = last_event_id.data();
  char const* last = first + last_event_id.size();
  auto [end, ec] = std::from_chars(first, last, n);
  std::uint64_t const first_held = history_.size() > 0 ? history_.oldest_seq() : seq_ + 1;
  if (auto_ids_only_ && ec == std::errc() && end == last && n >= 1 && n + 1 < first_held &&
      last_event_id.front() != '0') {
    data = {{"reason", "expired"}};
    if (!filtered) data["missed"] = first_held - 1 - n;
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
  if (why == "stalled") {
    ++counters_.evicted_stalled;
  } else if (why == "behind") {
    ++counters_.evicted_behind;
  }
  s->drop(why);
}

void event_hub::remove_waiting(subscriber& s) {
  std::size_t const i = s.waiting_index_;
  if (i == subscriber::none) return;
  s.waiting_index_ = subscriber::none;
  auto& list = waiting_list(s.waiting_on_);
  if (i + 1 != list.size()) {
    list[i] = list.back();
    list[i]->waiting_index_ = i;
  }
  list.pop_back();
}

void event_hub::remove_at(std::size_t index) {
  std::shared_ptr<subscriber> s = std::move(subscribers_[index]);
  remove_waiting(*s);
  s->hub_index_ = subscriber::none;
  s->hub_ = nullptr;
  s->own_.clear();
  s->own_next_ = 0;
  for (topic_id t : s->topics_) {
    --topics_[t].followers;
    release(t);
  }
  if (index + 1 != subscribers_.size()) {
    subscribers_[index] = std::move(subscribers_.back());
    subscribers_[index]->hub_index_ = index;
  }
  subscribers_.pop_back();
  // A throttling client that leaves may free the sources.
  if (throttled_ && s->cursor_ == slowest_) {
    if (slowest_count_ > 0) --slowest_count_;
    if (slowest_count_ == 0) {
      defer_([this] {
        if (throttled_) check_backlog();
      });
    }
  }
}

void event_hub::end(std::string_view reason) {
  if (ended_) return;
  ended_ = true;
  std::string text = json_text({{"reason", reason}});
  sse::event ev;
  ev.type = end_event_type;
  ev.data = text;
  append(held_event{encoded(ev), {}, no_topic}, entry_kind::control);
  flush();
}

}  // namespace sse::serve
