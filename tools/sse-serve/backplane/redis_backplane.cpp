#include "backplane/redis_backplane.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <charconv>
#include <cstdio>
#include <utility>

#include "common/diagnostics.hpp"

namespace sse::serve {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::chrono::milliseconds connect_timeout{5000};
constexpr std::chrono::milliseconds max_backoff{5000};
// Entries one XREAD takes at most (the next read follows at once).
constexpr char tail_batch[] = "1000";

// A Redis stream id "MS-SEQ" as two numbers, or nullopt.
std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_id(std::string_view id) {
  std::size_t dash = id.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == id.size()) return std::nullopt;
  std::pair<std::uint64_t, std::uint64_t> out;
  auto [a, ea] = std::from_chars(id.data(), id.data() + dash, out.first);
  auto [b, eb] = std::from_chars(id.data() + dash + 1, id.data() + id.size(), out.second);
  if (ea != std::errc() || a != id.data() + dash || eb != std::errc() ||
      b != id.data() + id.size()) {
    return std::nullopt;
  }
  return out;
}

int compare_ids(std::string_view a, std::string_view b) {
  auto x = parse_id(a);
  auto y = parse_id(b);
  if (!x || !y) return a.compare(b);
  return *x < *y ? -1 : *x > *y ? 1 : 0;
}

std::string text_of(redisReply const* r) {
  return r != nullptr && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
                          r->type == REDIS_REPLY_ERROR)
             ? std::string(r->str, r->len)
             : std::string();
}

// One stream entry ([id, [field, value, ...]]) as a stored event.
std::optional<stored_event> entry_of(redisReply const* entry) {
  if (entry == nullptr || entry->type != REDIS_REPLY_ARRAY || entry->elements != 2)
    return std::nullopt;
  redisReply const* fields = entry->element[1];
  if (fields == nullptr || fields->type != REDIS_REPLY_ARRAY) return std::nullopt;
  stored_event e;
  e.id = text_of(entry->element[0]);
  bool has_data = false;
  for (std::size_t i = 0; i + 1 < fields->elements; i += 2) {
    std::string name = text_of(fields->element[i]);
    std::string value = text_of(fields->element[i + 1]);
    if (name == "data") {
      e.event.data = std::move(value);
      has_data = true;
    } else if (name == "type") {
      e.event.type = std::move(value);
    } else if (name == "topic") {
      e.event.topic = std::move(value);
    } else if (name == "id") {
      e.event.id = std::move(value);  // the input's own id: kept, but the wire id is the Redis id
    } else if (name == "retry") {
      std::uint64_t ms = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
      if (ec == std::errc() && end == value.data() + value.size()) e.event.retry = ms;
    }
  }
  e.retry_only = !has_data && e.event.retry.has_value();
  if (!has_data && !e.retry_only) return std::nullopt;  // not ours: skip it
  return e;
}

std::vector<stored_event> entries_of(redisReply const* list) {
  std::vector<stored_event> out;
  if (list == nullptr || list->type != REDIS_REPLY_ARRAY) return out;
  out.reserve(list->elements);
  for (std::size_t i = 0; i < list->elements; ++i) {
    if (auto e = entry_of(list->element[i])) out.push_back(std::move(*e));
  }
  return out;
}

redis_stream_info info_of(redisReply const* reply) {
  redis_stream_info info;
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) return info;
  info.exists = true;
  for (std::size_t i = 0; i + 1 < reply->elements; i += 2) {
    std::string name = text_of(reply->element[i]);
    redisReply const* value = reply->element[i + 1];
    if (name == "last-generated-id") info.last_generated = text_of(value);
    if (name == "entries-added" && value->type == REDIS_REPLY_INTEGER) {
      info.entries_added = static_cast<std::uint64_t>(value->integer);
    }
    if (name == "length" && value->type == REDIS_REPLY_INTEGER)
      info.length = static_cast<std::uint64_t>(value->integer);
    if (name == "first-entry" && value->type == REDIS_REPLY_ARRAY && value->elements == 2) {
      info.first_entry = text_of(value->element[0]);
    }
  }
  return info;
}

}  // namespace

redis_backplane::redis_backplane(asio::io_context& ioc, event_hub& hub, redis_config config)
    : ioc_(ioc),
      hub_(hub),
      config_(std::move(config)),
      resolver_(ioc),
      retry_timer_(ioc),
      jitter_(std::random_device{}()) {}

redis_backplane::~redis_backplane() {
  stop();
}

std::vector<std::string> redis_backplane::hello() const {
  // Commands sent before anything else on each connection, separated by empty words.
  std::vector<std::string> out;
  if (!config_.url.password.empty()) {
    out.push_back("AUTH");
    if (!config_.url.user.empty()) out.push_back(config_.url.user);
    out.push_back(config_.url.password);
    out.emplace_back();
  }
  if (config_.url.db != 0) {
    out.push_back("SELECT");
    out.push_back(std::to_string(config_.url.db));
    out.emplace_back();
  }
  return out;
}

void redis_backplane::start() {
  started_ = true;
  connect();
}

void redis_backplane::stop() {
  stopped_ = true;
  retry_timer_.cancel();
  resolver_.cancel();
  if (commands_) commands_->close();
  if (tail_) tail_->close();
  connected_ = false;
}

void redis_backplane::connect() {
  if (stopped_) return;
  std::uint64_t const generation = ++generation_;
  ready_count_ = 0;
  // Resolved with Asio: hiredis would resolve a name with a blocking call.
  resolver_.async_resolve(
      config_.url.host, std::to_string(config_.url.port),
      [this, generation](error_code ec, asio::ip::tcp::resolver::results_type results) {
        if (stopped_ || generation != generation_) return;
        if (ec || results.empty()) {
          on_ready(generation, "cannot resolve " + config_.url.host + ": " + ec.message());
          return;
        }
        std::string address = results.begin()->endpoint().address().to_string();
        commands_ = std::make_shared<redis_connection>(ioc_);
        tail_ = std::make_shared<redis_connection>(ioc_);
        for (auto const& c : {commands_, tail_}) {
          c->open(
              address, config_.url.port, hello(), connect_timeout,
              [this, generation](std::string const& why) { on_ready(generation, why); },
              [this, generation](std::string const& why) { lost(generation, why); });
        }
      });
}

void redis_backplane::on_ready(std::uint64_t generation, std::string const& why) {
  if (stopped_ || generation != generation_) return;
  if (!why.empty()) {
    lost(generation, why);
    return;
  }
  if (++ready_count_ == 2) on_connected();
}

void redis_backplane::lost(std::uint64_t generation, std::string const& why) {
  if (stopped_ || generation != generation_) return;
  ++generation_;  // every callback of this attempt is stale from now on
  bool const was_connected = connected_;
  connected_ = false;
  if (commands_) commands_->close();
  if (tail_) tail_->close();
  sent_ = 0;  // appends not acknowledged are sent again on the next connection
  unread_acks_.clear();
  if (was_connected ||
      (!ever_connected_ && down_since_ == std::chrono::steady_clock::time_point{})) {
    // Once per outage: clients stay connected meanwhile, and pings go on.
    if (!config_.quiet) {
      tools::warning("redis " + masked(config_.url) + ": " + why +
                     "; retrying (clients stay connected; input is held up to --redis-buffer)");
    }
    down_since_ = std::chrono::steady_clock::now();
  }
  // Backoff with jitter, so replicas of a restarted Redis do not all return in the same
  // millisecond.
  auto const jitter = std::uniform_int_distribution<long>(0, backoff_.count() / 2)(jitter_);
  retry_timer_.expires_after(backoff_ + std::chrono::milliseconds(jitter));
  backoff_ = std::min(backoff_ * 2, max_backoff);
  retry_timer_.async_wait([this](error_code ec) {
    if (!ec) connect();
  });
}

void redis_backplane::on_connected() {
  std::uint64_t const generation = generation_;
  auto resume = [this, generation] {
    if (generation != generation_) return;
    connected_ = true;
    backoff_ = std::chrono::milliseconds(100);
    if (ever_connected_) {
      ++reconnects_;
      if (!config_.quiet) {
        auto away = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - down_since_);
        tools::info("redis " + masked(config_.url) + ": connected again after " +
                    std::to_string(away.count()) + " ms");
      }
    } else if (config_.verbose) {
      tools::info("redis " + masked(config_.url) + ": connected; stream key '" + config_.key + "'");
    }
    ever_connected_ = true;
    down_since_ = {};
    read_tail();
    send_queue();
  };
  // What the stream holds decides where to read from. The first time: from its newest entry (new
  // clients get live events; older ids are fetched on demand). After an outage: from the last
  // entry delivered, unless the stream restarted (Redis came back empty: its counter of entries
  // went back, or it never gave our last id), which gives every client one reset.
  commands_->command(
      {"XINFO", "STREAM", config_.key},
      [this, generation, resume](redisReply* reply, std::string const& error) {
        if (generation != generation_) return;
        if (reply == nullptr) {
          lost(generation, error);
          return;
        }
        if (reply->type == REDIS_REPLY_ERROR &&
            text_of(reply).find("no such key") == std::string::npos) {
          lost(generation, "XINFO: " + text_of(reply));  // e.g. LOADING: Redis is reading its AOF
          return;
        }
        redis_stream_info const info = info_of(reply);  // no such key: an empty stream
        if (!ever_connected_) {
          last_id_ = info.last_generated;
          accounted_ = info.entries_added;
          hub_.start_at(last_id_);  // "0-0" for an empty stream: every id a client brings is newer
        } else if (last_id_ != "0-0" && (!info.exists || info.entries_added < accounted_ ||
                                         compare_ids(info.last_generated, last_id_) < 0)) {
          if (!config_.quiet) {
            tools::warning("redis " + masked(config_.url) +
                           ": the stream restarted (Redis came back without its data?); "
                           "clients get a reset event");
          }
          hub_.reset_all("restarted");
          last_id_ = "0-0";  // everything the new stream holds is new
          accounted_ = 0;
        } else {
          check_trimmed(info);
        }
        resume();
      });
}

void redis_backplane::check_trimmed(redis_stream_info const& info) {
  // Entries leave a stream from the front (MAXLEN ~). Every entry this replica read, or that was
  // there before it started, is accounted for; more trimmed than that means some were trimmed
  // before it read them: its clients missed events.
  std::uint64_t const trimmed = info.entries_added - std::min(info.entries_added, info.length);
  if (trimmed <= accounted_) return;
  if (!config_.quiet) {
    tools::warning(
        "redis: " + std::to_string(trimmed - accounted_) +
        " entries were trimmed before this replica read them (raise --history, which sets MAXLEN); "
        "clients get a reset event");
  }
  hub_.reset_all("behind");
  accounted_ = trimmed;
}

void redis_backplane::read_tail() {
  if (!connected_ || stopped_) return;
  if (hub_.throttled()) {
    // --backpressure: read no faster than this replica's slowest client takes events.
    if (tail_waiting_) return;
    tail_waiting_ = true;
    hub_.when_unthrottled([this] {
      tail_waiting_ = false;
      read_tail();
    });
    return;
  }
  std::uint64_t const generation = generation_;
  tail_->command({"XREAD", "COUNT", tail_batch, "BLOCK", "0", "STREAMS", config_.key, last_id_},
                 [this, generation](redisReply* reply, std::string const& error) {
                   if (generation != generation_) return;
                   if (reply == nullptr) {
                     lost(generation, error);
                     return;
                   }
                   if (reply->type == REDIS_REPLY_ERROR) {
                     lost(generation, "XREAD: " + text_of(reply));
                     return;
                   }
                   on_tail(reply);
                   read_tail();
                 });
}

void redis_backplane::on_tail(redisReply* reply) {
  // [[key, [entry, ...]]], or nil when nothing came.
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) return;
  redisReply const* stream = reply->element[0];
  if (stream == nullptr || stream->type != REDIS_REPLY_ARRAY || stream->elements != 2) return;
  redisReply const* entries = stream->element[1];
  if (entries == nullptr || entries->type != REDIS_REPLY_ARRAY) return;
  accounted_ += entries->elements;
  for (std::size_t i = 0; i < entries->elements; ++i) {
    redisReply const* raw = entries->element[i];
    if (raw != nullptr && raw->type == REDIS_REPLY_ARRAY && raw->elements == 2)
      last_id_ = text_of(raw->element[0]);
    std::optional<stored_event> e = entry_of(raw);
    if (!e) continue;
    if (e->retry_only) {
      hub_.publish_retry(*e->event.retry);
      continue;
    }
    e->event.id = e->id;  // on the wire, the Redis id: the same on every replica
    if (hub_.publish(e->event, event_source_kind::store) != sse::encode_error::none &&
        !config_.quiet) {
      tools::warning("redis: entry " + e->id + " cannot be sent as an event; skipped");
    }
  }
  hub_.flush();
  while (!unread_acks_.empty() && compare_ids(unread_acks_.front(), last_id_) <= 0)
    unread_acks_.pop_front();
  send_queue();
  check_drained();
  // A batch this large means the reader was behind: make sure nothing was trimmed unread.
  if (entries->elements >=
      std::min<std::size_t>(1000, std::max<std::size_t>(config_.maxlen / 2, 1))) {
    std::uint64_t const generation = generation_;
    commands_->command(
        {"XINFO", "STREAM", config_.key}, [this, generation](redisReply* info, std::string const&) {
          if (generation == generation_ && info != nullptr && info->type == REDIS_REPLY_ARRAY)
            check_trimmed(info_of(info));
        });
  }
}

void redis_backplane::when_drained(std::function<void()> f) {
  drained_.push_back(std::move(f));
  check_drained();
}

void redis_backplane::check_drained() {
  if (drained_.empty() || !queue_.empty()) return;
  if (!last_acked_id_.empty() && compare_ids(last_id_, last_acked_id_) < 0)
    return;  // not read back yet
  std::vector<std::function<void()>> waiting;
  waiting.swap(drained_);
  for (auto& f : waiting) asio::post(ioc_, std::move(f));
}

std::vector<std::string> redis_backplane::xadd(source_event const& ev, bool retry_only) const {
  std::vector<std::string> argv{
      "XADD", config_.key, "MAXLEN", "~", std::to_string(std::max<std::size_t>(config_.maxlen, 1)),
      "*"};
  if (retry_only) {
    argv.insert(argv.end(), {"retry", std::to_string(ev.retry.value_or(0))});
    return argv;
  }
  if (!ev.type.empty() && ev.type != "message") argv.insert(argv.end(), {"type", ev.type});
  if (!ev.topic.empty()) argv.insert(argv.end(), {"topic", ev.topic});
  if (ev.id) argv.insert(argv.end(), {"id", *ev.id});
  if (ev.retry) argv.insert(argv.end(), {"retry", std::to_string(*ev.retry)});
  argv.insert(argv.end(), {"data", ev.data});
  return argv;
}

sse::encode_error redis_backplane::publish(source_event const& ev, event_source_kind source) {
  // Checked here, where the input is known, not on every replica after the round trip.
  sse::event e;
  e.data = ev.data;
  e.type = ev.type;
  if (ev.id) e.id = std::string_view(*ev.id);
  if (sse::encode_error err = sse::validate(e); err != sse::encode_error::none) return err;
  std::vector<std::string> argv = xadd(ev, false);
  std::size_t bytes = 0;
  for (auto const& w : argv) bytes += w.size();
  queue_.push_back(queued{std::move(argv), bytes, source});
  buffered_ += bytes;
  return sse::encode_error::none;
}

void redis_backplane::publish_retry(std::uint64_t milliseconds) {
  source_event ev;
  ev.retry = milliseconds;
  std::vector<std::string> argv = xadd(ev, true);
  std::size_t bytes = 0;
  for (auto const& w : argv) bytes += w.size();
  queue_.push_back(queued{std::move(argv), bytes, event_source_kind::input});
  buffered_ += bytes;
}

void redis_backplane::flush() {
  send_queue();
}

void redis_backplane::send_queue() {
  if (!connected_) return;
  std::uint64_t const generation = generation_;
  // This replica's appends stay within half the stream's MAXLEN of what its own reader has read
  // back, so a burst of input cannot be trimmed away before it is delivered.
  std::size_t const window = std::max<std::size_t>(config_.maxlen / 2, 1);
  for (; sent_ < queue_.size() && sent_ + unread_acks_.size() < window; ++sent_) {
    commands_->command(
        queue_[sent_].argv, [this, generation](redisReply* reply, std::string const&) {
          // Replies come in order: each one answers the oldest append in flight. A lost connection
          // is handled by lost(), which sends again what was not acknowledged.
          if (generation != generation_ || reply == nullptr || queue_.empty() || sent_ == 0) return;
          if (reply->type == REDIS_REPLY_ERROR) {
            ++append_errors_;
            if (!config_.quiet)
              tools::warning("redis: XADD refused: " + text_of(reply) + "; the event is dropped");
          } else {
            acknowledged(queue_.front());
            if (reply->type == REDIS_REPLY_STRING) {
              last_acked_id_ = text_of(reply);
              // The reader may have delivered it already (two connections, no order between them).
              if (compare_ids(last_acked_id_, last_id_) > 0) unread_acks_.push_back(last_acked_id_);
            }
          }
          buffered_ -= queue_.front().bytes;
          queue_.pop_front();
          --sent_;
          release_waiters();
          check_drained();
          send_queue();  // the window may have room again
        });
  }
}

void redis_backplane::acknowledged(queued const& q) {
  ++hub_.counters().published[static_cast<std::size_t>(q.source)];
}

bool redis_backplane::throttled() const {
  return hub_.throttled() || buffered_ > config_.buffer;
}

void redis_backplane::when_unthrottled(std::function<void()> f) {
  if (hub_.throttled()) {
    // Slow clients first; then, if the buffer is still full, wait for it too.
    hub_.when_unthrottled([this, f = std::move(f)]() mutable { when_unthrottled(std::move(f)); });
    return;
  }
  if (buffered_ > config_.buffer) {
    unthrottled_.push_back(std::move(f));
    return;
  }
  asio::post(ioc_, std::move(f));
}

void redis_backplane::release_waiters() {
  if (unthrottled_.empty() || buffered_ > config_.buffer / 2) return;
  std::vector<std::function<void()>> waiting;
  waiting.swap(unthrottled_);
  for (auto& f : waiting) asio::post(ioc_, std::move(f));
}

void redis_backplane::publish_batch(std::vector<source_event> events, event_source_kind source,
                                    batch_done done) {
  if (!connected_) {
    asio::post(ioc_,
               [done = std::move(done)] { done(std::nullopt, "Redis cannot be reached now"); });
    return;
  }
  // MULTI/EXEC: every event is appended, or none.
  std::uint64_t const generation = generation_;
  auto ignore = [](redisReply*, std::string const&) {};
  commands_->command({"MULTI"}, ignore);
  for (source_event const& ev : events) commands_->command(xadd(ev, false), ignore);
  std::size_t const n = events.size();
  commands_->command({"EXEC"}, [this, generation, n, source, done = std::move(done)](
                                   redisReply* reply, std::string const& error) {
    if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements != n) {
      std::string why = reply == nullptr                   ? error
                        : reply->type == REDIS_REPLY_ERROR ? text_of(reply)
                                                           : std::string("EXEC failed");
      done(std::nullopt, "Redis: " + why);
      return;
    }
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < n; ++i) ids.push_back(text_of(reply->element[i]));
    if (generation == generation_) hub_.counters().published[static_cast<std::size_t>(source)] += n;
    done(std::move(ids), {});
  });
}

bool redis_backplane::is_store_id(std::string_view id) const {
  return parse_id(id).has_value();
}

int redis_backplane::compare(std::string_view a, std::string_view b) const {
  return compare_ids(a, b);
}

void redis_backplane::read_range(std::string const& after, std::string const& until,
                                 range_done done) {
  if (!connected_) {
    asio::post(ioc_, [done = std::move(done)] { done(range_status::unavailable, {}); });
    return;
  }
  std::string const end = until.empty() ? "+" : until;
  std::string const limit = std::to_string(std::max<std::size_t>(config_.maxlen, 1000) * 4);
  auto range_then = [this, end, limit](range_status status, std::string const& from,
                                       range_done callback) {
    commands_->command(
        {"XRANGE", config_.key, from, end, "COUNT", limit},
        [status, callback = std::move(callback)](redisReply* reply, std::string const&) {
          if (reply == nullptr || reply->type == REDIS_REPLY_ERROR) {
            callback(range_status::unavailable, {});
            return;
          }
          callback(status, entries_of(reply));
        });
  };
  // XINFO tells whether the id can still be served: not older than what was trimmed, and not newer
  // than what the stream ever gave (else it is another stream's, or from before a restart).
  commands_->command(
      {"XINFO", "STREAM", config_.key},
      [after, range_then, done = std::move(done)](redisReply* reply, std::string const&) mutable {
        if (reply == nullptr) {
          done(range_status::unavailable, {});
          return;
        }
        if (reply->type == REDIS_REPLY_ERROR) {
          // No such key: the stream is gone; another error (LOADING): try later.
          bool const gone = text_of(reply).find("no such key") != std::string::npos;
          done(gone ? range_status::unknown : range_status::unavailable, {});
          return;
        }
        redis_stream_info const info = info_of(reply);
        // Older than the oldest entry held: what came between may be gone. (The
        // entry right before the oldest one is such an id too, and loses nothing:
        // its client gets a reset it did not need, never a gap.)
        bool const older = info.first_entry.empty() ? compare_ids(after, info.last_generated) < 0
                                                    : compare_ids(after, info.first_entry) < 0;
        if (compare_ids(after, info.last_generated) > 0) {
          range_then(range_status::unknown, "-", std::move(done));
        } else if (older) {
          range_then(range_status::trimmed, "-", std::move(done));
        } else {
          range_then(range_status::exact, "(" + after, std::move(done));
        }
      });
}

std::string redis_backplane::metrics() const {
  std::string out;
  auto metric = [&out](char const* name, char const* type, char const* help,
                       std::string const& value) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
    out.append(name).append(" ").append(value).append("\n");
  };
  metric("sse_redis_connected", "gauge", "1 while this replica is connected to Redis.",
         connected_ ? "1" : "0");
  metric("sse_redis_reconnects_total", "counter",
         "Times the connection to Redis was made again after a loss.", std::to_string(reconnects_));
  metric("sse_redis_buffered_bytes", "gauge", "Bytes of input held until Redis acknowledges them.",
         std::to_string(buffered_));
  metric("sse_redis_append_errors_total", "counter", "Events Redis refused to append.",
         std::to_string(append_errors_));
  // The last id read is MS-SEQ: its milliseconds tell how far behind this replica reads.
  double last_ms = 0;
  if (auto id = parse_id(last_id_)) last_ms = static_cast<double>(id->first);
  char seconds[64];
  std::snprintf(seconds, sizeof seconds, "%.3f", last_ms / 1000.0);
  metric("sse_redis_last_read_timestamp_seconds", "gauge",
         "Time in the id of the last entry read from Redis (Unix seconds).", seconds);
  return out;
}

}  // namespace sse::serve
