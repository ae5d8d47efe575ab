#include "fetch.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstdint>
#include <memory>

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

class fetch_loop {
 public:
  fetch_loop(options const& o, std::optional<std::string> const& body, stream_consumer& consumer,
             std::optional<steady_time> deadline)
      : o_(o),
        consumer_(consumer),
        wait_(deadline),
        policy_(make_config(o)),
        transfer_(o, body, consumer) {
    consumer_.on_retry_field([this](std::uint64_t ms) {
      milliseconds before = policy_.reconnection_time();
      policy_.set_reconnection_time(ms);
      if (o_.verbose > 0 && policy_.reconnection_time() != before) {
        tools::info("retry: " + std::to_string(ms) + " ms; reconnection time is now " +
                    format_delay(policy_.reconnection_time()));
      }
    });
  }

  exit_status run();

 private:
  ending drive();
  void say_connecting(bool first) const;
  exit_status finish(ending how) const;

  struct multi_deleter {
    void operator()(CURLM* m) const { curl_multi_cleanup(m); }
  };

  options const& o_;
  stream_consumer& consumer_;
  waiter wait_;
  reconnect_policy policy_;
  transfer transfer_;
  std::unique_ptr<CURLM, multi_deleter> multi_;
};

exit_status fetch_loop::run() {
  multi_.reset(curl_multi_init());
  if (!multi_ || !transfer_.init()) {
    tools::error("cannot initialise libcurl");
    return exit_status::network;
  }
  for (bool first = true;; first = false) {
    transfer_.prepare();
    if (o_.verbose > 0) say_connecting(first);

    transfer_outcome out = transfer_.outcome(drive());
    bool const streamed = out.response == answer::accepted;
    if (streamed) {
      policy_.connected();
      if (out.how == ending::finished || out.how == ending::idle) {
        out.discarded = consumer_.end_of_stream();
      }
    }
    out.decision =
        policy_.next(streamed ? disconnect_reason::stream_ended : disconnect_reason::network_error);
    next_step step = decide(out);
    report(step, o_.verbose);
    if (!step.reconnect) return step.status;

    wake w = wait_.wait(-1, out.decision.at);
    if (w != wake::due) return finish(stopped_by(w));
  }
}

exit_status fetch_loop::finish(ending how) const {
  transfer_outcome out;
  out.how = how;
  next_step step = decide(out);
  report(step, o_.verbose);
  return step.status;
}

void fetch_loop::say_connecting(bool first) const {
  std::string what = first ? "connecting to " : "reconnecting to ";
  std::string_view id = consumer_.last_event_id();
  std::string method = !o_.method.empty() ? o_.method : o_.data ? "POST" : "GET";
  what += method + " " + o_.url;
  if (!id.empty()) what += " (Last-Event-ID: " + std::string(id) + ")";
  tools::info(what);
  if (!first && method != "GET") {
    tools::info("re-sending the " + method +
                " request, as EventSource does (--no-reconnect makes a one-shot request)");
  }
}

// Runs the transfer until it ends or something stops it.
ending fetch_loop::drive() {
  CURLM* m = multi_.get();
  curl_multi_add_handle(m, transfer_.handle());
  ending how = ending::finished;
  for (;;) {
    int running = 0;
    curl_multi_perform(m, &running);
    if (transfer_.stopped()) {
      how = ending::consumer_stopped;
      break;
    }
    int queued = 0;
    bool finished = false;
    CURLcode result = CURLE_OK;
    while (CURLMsg* msg = curl_multi_info_read(m, &queued)) {
      if (msg->msg == CURLMSG_DONE) {
        finished = true;
        result = msg->data.result;
      }
    }
    if (finished || running == 0) {
      transfer_.done(result);
      how = ending::finished;
      break;
    }
    auto now = std::chrono::steady_clock::now();
    if (auto w = wait_.stopped(now)) {
      how = stopped_by(*w);
      break;
    }
    std::optional<steady_time> idle_limit;
    if (o_.idle_timeout > 0) {
      idle_limit = transfer_.last_activity() +
                   std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                       std::chrono::duration<double>(o_.idle_timeout));
      if (now >= *idle_limit) {
        how = ending::idle;
        break;
      }
    }
    curl_waitfd extra{};
    extra.fd = tools::signal_fd();
    extra.events = CURL_WAIT_POLLIN;
    curl_multi_poll(m, &extra, extra.fd >= 0 ? 1u : 0u, wait_.timeout_ms(now, idle_limit), nullptr);
  }
  curl_multi_remove_handle(m, transfer_.handle());
  return how;
}

}  // namespace

exit_status fetch_stream(options const& o, std::optional<std::string> const& body,
                         stream_consumer& consumer, std::optional<steady_time> deadline) {
  fetch_loop loop(o, body, consumer, deadline);
  return loop.run();
}

}  // namespace sse::listen
