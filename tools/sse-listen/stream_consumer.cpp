#include "stream_consumer.hpp"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/diagnostics.hpp"
#include "common/json_writer.hpp"

namespace sse::listen {
namespace {

filter_config make_filter_config(options const& o) {
  filter_config c;
  c.types = o.event_types;
  c.count = o.count;
  c.until_data = o.until_data;
  c.until_event = o.until_event;
  return c;
}

sse::parser_options make_parser_options(options const& o) {
  sse::parser_options p;
  p.max_event_size = o.max_event_size;
  return p;
}

std::vector<std::string> source_names(options const& o) {
  if (!o.input.empty()) return {o.input};
  if (o.urls.empty()) return {std::string()};
  return o.urls;
}

}  // namespace

// One source's parser and last event id; its events go to the consumer with its index.
class stream_consumer::source final : public sse::handler {
 public:
  source(stream_consumer& c, std::size_t index, std::string name, options const& o)
      : consumer_(c),
        index_(index),
        name_(std::move(name)),
        parser_(*this, make_parser_options(o)) {}

  action on_event(event_view const& ev) override { return consumer_.on_event(index_, ev); }
  void on_retry(std::uint64_t ms) override { consumer_.on_retry(index_, ms); }

  sse::parser& parser() noexcept { return parser_; }
  std::string const& name() const noexcept { return name_; }

 private:
  stream_consumer& consumer_;
  std::size_t index_;
  std::string name_;
  sse::parser parser_;
};

std::string rfc3339_ms(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto const ms = time_point_cast<milliseconds>(t).time_since_epoch().count();
  auto secs = static_cast<time_t>(ms / 1000);
  auto frac = static_cast<int>(ms % 1000);
  if (frac < 0) {  // before 1970: floor, not truncate
    frac += 1000;
    --secs;
  }
  tm utc{};
  ::gmtime_r(&secs, &utc);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, frac);
  return buf;
}

stream_consumer::stream_consumer(options const& o, bool colour, int out_fd)
    : format_(o.format),
      max_event_size_(o.max_event_size),
      out_fd_(out_fd),
      filter_(make_filter_config(o)),
      printer_(o.format == output_format::raw ? output_format::text : o.format, colour,
               o.json_data) {
  out_.reserve(std::size_t{64} << 10);
  auto names = source_names(o);
  for (std::size_t i = 0; i < names.size(); ++i) {
    sources_.push_back(std::make_unique<source>(*this, i, std::move(names[i]), o));
  }
  passthrough_ = o.format == output_format::raw && o.count == 0 && !o.until_data &&
                 !o.until_event && (o.no_reconnect || o.local_input()) && o.verbose == 0 &&
                 o.state_file.empty() && sources_.size() == 1;
  show_source_ = sources_.size() > 1;
  timestamps_ = o.timestamps;
  if (!o.exec.empty()) {
    exec_config c;
    c.command = o.exec;
    c.timeout = o.exec_timeout;
    exec_.emplace(std::move(c));
    exec_ignore_errors_ = o.exec_errors_ignore;
  }
}

stream_consumer::~stream_consumer() = default;

std::string const& stream_consumer::source_name(std::size_t s) const {
  return sources_.at(s)->name();
}

void stream_consumer::keep_state(state_file* state) {
  state_ = state;
  if (state_ == nullptr) return;
  for (auto& s : sources_) {
    if (auto id = state_->id(s->name())) s->parser().set_last_event_id(*id);
  }
}

std::string_view stream_consumer::last_event_id(std::size_t s) const noexcept {
  return sources_[s]->parser().last_event_id();
}

void stream_consumer::set_last_event_id(std::string_view id, std::size_t s) {
  sources_.at(s)->parser().set_last_event_id(id);
}

consume_state stream_consumer::feed(std::string_view chunk, std::size_t s) {
  // Stopped by another source's chunk in the same turn of libcurl: nothing after the stop.
  if (stopped_) return consume_state::done;
  if (passthrough_) {
    int err = write_all(out_fd_, chunk);
    if (err == 0) return consume_state::go_on;
    if (err == EPIPE) return consume_state::output_closed;
    error_ = std::string("cannot write to standard output: ") + std::strerror(err);
    return consume_state::output_error;
  }
  chunk_time_.reset();
  sse::parser& parser = sources_[s]->parser();
  std::size_t used = parser.feed(chunk);
  if (format_ == output_format::raw) out_.append(chunk.data(), used);
  consume_state state = consume_state::go_on;
  if (stopped_) {
    state = consume_state::done;
  } else if (parser.error() != parse_error::none) {
    error_ = "an event or line longer than --max-event-size (" + std::to_string(max_event_size_) +
             " bytes) at byte " + std::to_string(parser.error_offset()) + " of the stream";
    state = consume_state::too_large;
  }
  state = flush(state);
  if (state_ == nullptr || (state != consume_state::go_on && state != consume_state::done)) {
    return state;
  }
  // The chunk's output is written: its last id is safe to keep. With commands still to run, it is
  // kept once they all succeeded.
  if (!pending_.empty()) {
    pending_.push_back({false, s, {}, {}, std::string(parser.last_event_id())});
    return state;
  }
  consume_state saved = save(s, parser.last_event_id());
  return saved == consume_state::go_on ? state : saved;
}

consume_state stream_consumer::save(std::size_t s, std::string_view id) {
  if (state_ == nullptr) return consume_state::go_on;
  std::string err = state_->save(sources_[s]->name(), id);
  if (err.empty()) return consume_state::go_on;
  error_ = std::move(err);
  return consume_state::output_error;
}

pending_result stream_consumer::run_pending(waiter const& w) {
  pending_result r;
  while (!pending_.empty()) {
    pending p = std::move(pending_.front());
    pending_.pop_front();
    if (p.run) {
      exec_result x = exec_->run({p.type, p.data, p.id, sources_[p.source]->name()}, w);
      if (x.what == exec_result::kind::stopped) {
        pending_.clear();
        r.stopped = x.reason;
        return r;
      }
      if (x.what == exec_result::kind::failed) {
        std::string what = "the --exec command " + x.message + " (event '" + p.type + "'";
        if (!p.id.empty()) what += ", id " + p.id;
        what += ", " + sources_[p.source]->name() + ")";
        if (!exec_ignore_errors_) {
          pending_.clear();
          error_ = std::move(what);
          r.state = consume_state::exec_failed;
          return r;
        }
        tools::warning(what + "; going on (--exec-errors ignore)");
      }
    }
    if (consume_state saved = save(p.source, p.id); saved != consume_state::go_on) {
      pending_.clear();
      r.state = saved;
      return r;
    }
  }
  return r;
}

consume_state stream_consumer::flush(consume_state state) {
  if (out_.empty()) return state;
  int err = write_all(out_fd_, out_);
  out_.clear();
  if (err == EPIPE) return consume_state::output_closed;
  if (err != 0) {
    error_ = std::string("cannot write to standard output: ") + std::strerror(err);
    return consume_state::output_error;
  }
  return state;
}

std::size_t stream_consumer::end_of_stream(std::size_t s) {
  sse::parser& parser = sources_[s]->parser();
  std::size_t dropped = parser.finish();
  parser.reset();
  return dropped;
}

std::string const& stream_consumer::chunk_time() {
  if (!chunk_time_) chunk_time_ = rfc3339_ms(std::chrono::system_clock::now());
  return *chunk_time_;
}

// Adds the source and the receive time to what the printer wrote from `from` on: keys after the
// contract's in --json, a "TIME SOURCE " prefix on every line of the text output.
void stream_consumer::decorate(std::size_t s, std::size_t from) {
  if (format_ == output_format::json) {
    if (out_.size() < from + 2 || out_.compare(out_.size() - 2, 2, "}\n") != 0) return;
    out_.resize(out_.size() - 2);
    if (show_source_) {
      out_.append(",\"url\":");
      tools::append_json_string(out_, sources_[s]->name());
    }
    if (timestamps_) out_.append(",\"time\":\"").append(chunk_time()).push_back('"');
    out_.append("}\n");
    return;
  }
  if (format_ != output_format::text) return;
  std::string prefix;
  if (timestamps_) prefix.append(chunk_time()).push_back(' ');
  if (show_source_) prefix.append(sources_[s]->name()).push_back(' ');
  std::string const lines = out_.substr(from);
  out_.resize(from);
  std::size_t start = 0;
  while (start < lines.size()) {
    std::size_t nl = lines.find('\n', start);
    std::size_t end = nl == std::string::npos ? lines.size() : nl + 1;
    out_.append(prefix).append(lines, start, end - start);
    start = end;
  }
}

action stream_consumer::on_event(std::size_t s, event_view const& ev) {
  ++events_;
  verdict const v = filter_.judge(ev);
  if (v == verdict::print || v == verdict::print_then_stop) {
    if (exec_) {
      pending_.push_back({true, s, std::string(ev.type), std::string(ev.data), std::string(ev.id)});
    } else if (format_ != output_format::raw) {
      std::size_t const from = out_.size();
      printer_.print(ev, out_);
      if (show_source_ || timestamps_) decorate(s, from);
    }
  }
  if (v == verdict::print_then_stop || v == verdict::stop) {
    stopped_ = true;
    return action::stop;
  }
  return action::proceed;
}

void stream_consumer::on_retry(std::size_t s, std::uint64_t ms) {
  if (retry_callback_) retry_callback_(s, ms);
}

consume_state stream_consumer::print_head(std::size_t s, response_head const& head) {
  std::string text;
  if (format_ == output_format::json) {
    text.append("{\"status\":").append(std::to_string(head.status)).append(",\"headers\":{");
    // Names in lower case (as HTTP/2 sends them); a repeated field's values joined with ", ",
    // as RFC 9110 combines them.
    std::vector<std::pair<std::string, std::string>> fields;
    for (auto const& [name, value] : head.headers) {
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto same = std::find_if(fields.begin(), fields.end(),
                               [&](auto const& f) { return f.first == lower; });
      if (same != fields.end()) {
        same->second.append(", ").append(value);
      } else {
        fields.emplace_back(std::move(lower), value);
      }
    }
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) text.push_back(',');
      tools::append_json_string(text, fields[i].first);
      text.push_back(':');
      tools::append_json_string(text, fields[i].second);
    }
    text.append("}");
    if (show_source_) {
      text.append(",\"url\":");
      tools::append_json_string(text, sources_[s]->name());
    }
    if (timestamps_) {
      text.append(",\"time\":\"")
          .append(rfc3339_ms(std::chrono::system_clock::now()))
          .push_back('"');
    }
    text.append("}\n");
    int err = write_all(out_fd_, text);
    if (err == EPIPE) return consume_state::output_closed;
    if (err != 0) {
      error_ = std::string("cannot write to standard output: ") + std::strerror(err);
      return consume_state::output_error;
    }
    return consume_state::go_on;
  }
  std::string const prefix = show_source_ ? sources_[s]->name() + " " : std::string();
  text.append(prefix).append(head.status_line).push_back('\n');
  for (auto const& [name, value] : head.headers) {
    text.append(prefix).append(name).append(": ").append(value).push_back('\n');
  }
  text.push_back('\n');
  write_all(STDERR_FILENO, text);  // stderr, as every diagnostic: a failure there is not fatal
  return consume_state::go_on;
}

}  // namespace sse::listen
