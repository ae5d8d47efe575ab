#include "fetch.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/diagnostics.hpp"
#include "common/signals.hpp"
#include "outcome.hpp"
#include "transfer.hpp"
#include "wait.hpp"

namespace sse::listen {
namespace {

reconnect_config make_config(options const& o) {
  reconnect_config c;
  c.initial =
      milliseconds(static_cast<milliseconds::rep>(std::min<std::uint64_t>(o.retry_ms, 1u << 30)));
  c.reconnect = !o.no_reconnect;
  c.max_reconnects = o.max_reconnects;
  return c;
}

ending stopped_by(wake w) {
  return w == wake::interrupted ? ending::interrupted : ending::timeout;
}

// One URL of the run: its transfer, its reconnection policy, and where it stands.
struct stream {
  enum class state { running, waiting, ended };

  stream(options const& o, std::optional<std::string> const& body, stream_consumer& consumer,
         std::size_t source)
      : t(o, body, consumer, source), policy(make_config(o)) {}

  transfer t;
  reconnect_policy policy;
  state now = state::waiting;
  steady_time at{};  // when waiting: the time to connect
  bool first = true;
};

class fetch_loop {
 public:
  fetch_loop(options const& o, std::optional<std::string> const& body, stream_consumer& consumer,
             std::optional<steady_time> deadline)
      : o_(o), consumer_(consumer), wait_(deadline) {
    for (std::size_t i = 0; i < consumer.sources(); ++i) {
      streams_.push_back(std::make_unique<stream>(o, body, consumer, i));
    }
    consumer_.on_retry_field([this](std::size_t source, std::uint64_t ms) {
      reconnect_policy& policy = streams_[source]->policy;
      milliseconds before = policy.reconnection_time();
      policy.set_reconnection_time(ms);
      if (o_.verbose > 0 && policy.reconnection_time() != before) {
        tools::info("retry: " + std::to_string(ms) + " ms; reconnection time is now " +
                    format_delay(policy.reconnection_time()) + where(source));
      }
    });
  }
  ~fetch_loop() {
    for (auto& s : streams_) {
      if (s->now == stream::state::running) curl_multi_remove_handle(multi_.get(), s->t.handle());
    }
  }
  fetch_loop(fetch_loop const&) = delete;
  fetch_loop& operator=(fetch_loop const&) = delete;

  exit_status run();

 private:
  void start(stream& s);
  std::optional<exit_status> end(stream& s, ending how);
  std::optional<exit_status> run_pending();
  bool others_go_on(stream const& s) const;
  exit_status finish(ending how) const;
  std::string where(std::size_t source) const;

  struct multi_deleter {
    void operator()(CURLM* m) const { curl_multi_cleanup(m); }
  };

  options const& o_;
  stream_consumer& consumer_;
  waiter wait_;
  std::unique_ptr<CURLM, multi_deleter> multi_;
  std::vector<std::unique_ptr<stream>> streams_;
};

// " (URL)" in messages, when there are several.
std::string fetch_loop::where(std::size_t source) const {
  return streams_.size() > 1 ? " (" + consumer_.source_name(source) + ")" : std::string();
}

void fetch_loop::start(stream& s) {
  s.t.prepare();
  if (o_.verbose > 0) {
    std::string what = s.first ? "connecting to " : "reconnecting to ";
    std::string_view id = consumer_.last_event_id(s.t.source());
    std::string method = !o_.method.empty() ? o_.method : o_.data ? "POST" : "GET";
    what += method + " " + s.t.url();
    if (!id.empty()) what += " (Last-Event-ID: " + std::string(id) + ")";
    tools::info(what);
    if (!s.first && method != "GET") {
      tools::info("re-sending the " + method +
                  " request, as EventSource does (--no-reconnect makes a one-shot request)");
    }
  }
  s.first = false;
  s.now = stream::state::running;
  curl_multi_add_handle(multi_.get(), s.t.handle());
}

bool fetch_loop::others_go_on(stream const& s) const {
  return std::any_of(streams_.begin(), streams_.end(), [&](auto const& other) {
    return other.get() != &s && other->now != stream::state::ended;
  });
}

// The commands of --exec queued by the last chunks, before anything else is read or decided.
std::optional<exit_status> fetch_loop::run_pending() {
  pending_result r = consumer_.run_pending(wait_);
  for (auto& s : streams_) {
    if (s->now == stream::state::running) s->t.waited();  // not read meanwhile: not idle
  }
  if (r.stopped) return finish(stopped_by(*r.stopped));
  if (r.state == consume_state::go_on) return std::nullopt;
  transfer_outcome out;
  out.how = ending::consumer_stopped;
  out.consumed = r.state;
  out.consumer_error = consumer_.error_message();
  next_step step = decide(out);
  report(step, o_.verbose);
  return step.status;
}

// A stream's connection is over: reconnect it later, let it end, or end the run (a stop, or the
// first failure).
std::optional<exit_status> fetch_loop::end(stream& s, ending how) {
  curl_multi_remove_handle(multi_.get(), s.t.handle());
  s.now = stream::state::waiting;
  transfer_outcome out = s.t.outcome(how);
  bool const streamed = out.response == answer::accepted;
  if (streamed) {
    s.policy.connected();
    if (out.how == ending::finished || out.how == ending::idle) {
      out.discarded = consumer_.end_of_stream(s.t.source());
    }
  }
  // Events received before the end are handled first; a failing command is the run's end.
  if (consumer_.has_pending()) {
    if (auto status = run_pending()) return status;
  }
  out.last_stream = !others_go_on(s);
  disconnect_reason const why = streamed                       ? disconnect_reason::stream_ended
                                : s.t.retryable_server_error() ? disconnect_reason::server_error
                                                               : disconnect_reason::network_error;
  out.decision = s.policy.next(why, s.t.retry_after());
  next_step step = decide(out);
  report(step, o_.verbose);
  if (step.reconnect) {
    s.at = out.decision.at;
    return std::nullopt;
  }
  if (how == ending::consumer_stopped || step.status != exit_status::ok || out.last_stream) {
    return step.status;
  }
  s.now = stream::state::ended;  // this stream is over; the others go on
  return std::nullopt;
}

exit_status fetch_loop::run() {
  multi_.reset(curl_multi_init());
  bool ready = multi_ != nullptr;
  for (auto& s : streams_) ready = ready && s->t.init();
  if (!ready) {
    tools::error("cannot initialise libcurl");
    return exit_status::network;
  }
  for (auto& s : streams_) start(*s);
  CURLM* m = multi_.get();
  for (;;) {
    if (consumer_.has_pending()) {
      if (auto status = run_pending()) return *status;
    }
    // Whoever ran the commands (this loop, or end() before deciding), the transfers they paused
    // go on now. resume() may call the write callback at once, with what libcurl held.
    bool resumed = false;
    for (auto& s : streams_) {
      if (s->now == stream::state::running && s->t.paused()) {
        s->t.resume();
        resumed = true;
      }
    }
    if (resumed) continue;  // a resumed chunk may have queued more
    int running = 0;
    curl_multi_perform(m, &running);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(m, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      for (auto& s : streams_) {
        if (s->now != stream::state::running || s->t.handle() != msg->easy_handle) continue;
        ending how = ending::finished;
        if (s->t.stopped()) {
          how = ending::consumer_stopped;
        } else {
          s->t.done(msg->data.result);
        }
        if (auto status = end(*s, how)) return *status;
      }
    }
    for (auto& s : streams_) {  // stopped in a callback, not yet reported done
      if (s->now == stream::state::running && s->t.stopped()) {
        if (auto status = end(*s, ending::consumer_stopped)) return *status;
      }
    }

    // Commands queued in this turn run now: a paused transfer's socket would not wake the poll.
    if (consumer_.has_pending()) continue;
    auto now = std::chrono::steady_clock::now();
    if (auto w = wait_.stopped(now)) return finish(stopped_by(*w));
    std::optional<steady_time> wake_at;
    auto earliest = [&wake_at](steady_time t) { wake_at = wake_at ? std::min(*wake_at, t) : t; };
    for (auto& s : streams_) {
      if (s->now == stream::state::running && o_.idle_timeout > 0 && !s->t.paused()) {
        steady_time const limit =
            s->t.last_activity() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                       std::chrono::duration<double>(o_.idle_timeout));
        if (now >= limit) {
          if (auto status = end(*s, ending::idle)) return *status;
        } else {
          earliest(limit);
        }
      }
      if (s->now == stream::state::waiting) {
        if (now >= s->at) {
          start(*s);
        } else {
          earliest(s->at);
        }
      }
    }
    curl_waitfd extra{};
    extra.fd = tools::signal_fd();
    extra.events = CURL_WAIT_POLLIN;
    curl_multi_poll(m, &extra, extra.fd >= 0 ? 1u : 0u, wait_.timeout_ms(now, wake_at), nullptr);
  }
}

exit_status fetch_loop::finish(ending how) const {
  transfer_outcome out;
  out.how = how;
  next_step step = decide(out);
  report(step, o_.verbose);
  return step.status;
}

}  // namespace

exit_status fetch_stream(options const& o, std::optional<std::string> const& body,
                         stream_consumer& consumer, std::optional<steady_time> deadline) {
  fetch_loop loop(o, body, consumer, deadline);
  return loop.run();
}

}  // namespace sse::listen
