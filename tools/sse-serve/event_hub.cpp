#include "event_hub.hpp"

#include <charconv>
#include <cstdio>
#include <utility>

namespace sse::serve {

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
  broadcast(f);
  return sse::encode_error::none;
}

void event_hub::publish_retry(std::uint64_t milliseconds) {
  retry_ = milliseconds;
  scratch_.clear();
  sse::encode_retry(scratch_, milliseconds);
  broadcast(make_frame(scratch_));
}

void event_hub::ping() {
  if (subscribers_.empty()) return;
  scratch_.clear();
  sse::encode_comment(scratch_, "ping");
  broadcast(make_frame(scratch_));
}

void event_hub::broadcast(frame const& f) {
  // Index loop: a refused delivery swaps the last subscriber into this slot, so stay on it.
  std::size_t i = 0;
  while (i < subscribers_.size()) {
    if (subscribers_[i]->deliver(f, false)) {
      ++i;
      continue;
    }
    std::shared_ptr<subscriber> s = subscribers_[i];
    remove_at(i);
    s->drop();
  }
}

void event_hub::announce(std::string const& type) {
  if (types_.size() >= max_announced_types) return;
  for (auto const& t : types_) {
    if (t == type) return;
  }
  types_.push_back(type);
  if (announcers_ == 0) return;
  frame f = types_frame({type});
  for (auto const& s : subscribers_) {
    if (s->announce_types) s->deliver(f, true);
  }
}

frame event_hub::types_frame(std::vector<std::string> const& types) const {
  std::string data = "[";
  for (auto const& t : types) {
    if (data.size() > 1) data += ',';
    data += '"';
    for (char c : t) {
      // Types hold no line breaks (the encoder checked); escape what JSON requires.
      if (c == '"' || c == '\\') data += '\\';
      if (static_cast<unsigned char>(c) < 0x20) {
        char esc[8];
        std::snprintf(esc, sizeof esc, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
        data += esc;
        continue;
      }
      data += c;
    }
    data += '"';
  }
  data += ']';
  sse::event ev;
  ev.type = types_event_type;
  ev.data = data;
  std::string bytes;
  sse::encode(bytes, ev);
  return make_frame(bytes);
}

attach_result event_hub::attach(std::shared_ptr<subscriber> const& s,
                                std::optional<std::string_view> last_event_id,
                                std::size_t backlog) {
  if (ended_) return attach_result::ended;
  if (s->announce_types) {
    ++announcers_;
    if (!types_.empty()) s->deliver(types_frame(types_), true);
  }
  attach_result result = attach_result::live;
  if (last_event_id && !last_event_id->empty() && *last_event_id != last_id_) {
    if (auto frames = history_.after(*last_event_id)) {
      for (frame const& f : *frames) s->deliver(f, true);
      result = attach_result::replayed;
    } else {
      s->deliver(reset_frame(*last_event_id), true);
      result = attach_result::reset;
    }
  } else if (last_event_id && !last_event_id->empty()) {
    result = attach_result::replayed;  // already up to date: nothing to replay
  } else if (backlog > 0) {
    for (frame const& f : history_.last(backlog)) s->deliver(f, true);
  }
  s->hub_index_ = subscribers_.size();
  subscribers_.push_back(s);
  return result;
}

frame event_hub::reset_frame(std::string_view last_event_id) const {
  // Ids assigned by the hub are sequence numbers, so an id that is one of ours but no longer held
  // tells exactly how many events the client will never see. Anything else (an id from an earlier
  // run, a typo, a server restarted with a shorter history) is "unknown".
  std::string data = R"({"reason":"unknown"})";
  std::uint64_t n = 0;
  char const* first = last_event_id.data();
  char const* last = first + last_event_id.size();
  auto [end, ec] = std::from_chars(first, last, n);
  if (auto_ids_only_ && ec == std::errc() && end == last && n >= 1 && n < seq_ &&
      last_event_id.front() != '0') {
    data = R"({"reason":"expired","missed":)" + std::to_string(seq_ - n) + "}";
  }
  sse::event ev;
  ev.type = reset_event_type;
  ev.data = data;
  // The reset moves the client's cursor to now, so its next reconnect resumes from here.
  ev.id = std::string_view(last_id_);
  std::string bytes;
  sse::encode(bytes, ev);
  return make_frame(bytes);
}

void event_hub::detach(subscriber& s) {
  if (s.hub_index_ == subscriber::detached) return;
  remove_at(s.hub_index_);
}

void event_hub::remove_at(std::size_t index) {
  subscribers_[index]->hub_index_ = subscriber::detached;
  if (subscribers_[index]->announce_types) --announcers_;
  if (index + 1 != subscribers_.size()) {
    subscribers_[index] = std::move(subscribers_.back());
    subscribers_[index]->hub_index_ = index;
  }
  subscribers_.pop_back();
}

void event_hub::end(std::string_view reason) {
  if (ended_) return;
  ended_ = true;
  std::string data = R"({"reason":")" + std::string(reason) + "\"}";
  sse::event ev;
  ev.type = end_event_type;
  ev.data = data;
  scratch_.clear();
  sse::encode(scratch_, ev);
  frame f = make_frame(scratch_);
  std::vector<std::shared_ptr<subscriber>> all;
  all.swap(subscribers_);
  announcers_ = 0;
  for (auto const& s : all) {
    s->hub_index_ = subscriber::detached;
    s->deliver(f, true);
    s->end();
  }
}

}  // namespace sse::serve
