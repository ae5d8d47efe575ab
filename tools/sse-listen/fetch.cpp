#include "fetch.hpp"

#include <curl/curl.h>
#include <poll.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>
#include <string_view>

#include "common/diagnostics.hpp"
#include "common/signals.hpp"

namespace sse::listen {
namespace {

constexpr std::size_t error_body_limit = 4096;  // bytes of an error response shown on stderr

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// The header name of "Name: value", for overriding our defaults with the user's -H.
std::string_view header_name(std::string_view h) { return trim(h.substr(0, h.find(':'))); }

// 0.3 as "0.3", not "0.300000".
std::string format_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

std::string format_ms(milliseconds ms) {
  auto n = ms.count();
  if (n < 1000) return std::to_string(n) + " ms";
  std::string s = std::to_string(n / 1000) + "." + std::to_string((n % 1000) / 100) + " s";
  return s;
}

bool is_permanent(CURLcode code) {
  switch (code) {
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_TOO_MANY_REDIRECTS:
      return true;
    default:
      return false;
  }
}

struct slist_deleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct easy_deleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct multi_deleter {
  void operator()(CURLM* m) const { curl_multi_cleanup(m); }
};

// How one connection ended.
enum class outcome {
  ended,           // the transfer finished (or broke) after the stream was accepted
  network_error,   // it failed before a stream was accepted
  rejected,        // a status other than 200, or a Content-Type other than text/event-stream
  no_content,      // 204: the server says stop
  idle,            // --idle-timeout passed without a byte
  stop,            // the consumer is done (count, sentinel), or its output is gone, or too large
  timeout,         // --timeout passed
  interrupted,     // SIGINT / SIGTERM
};

class client {
 public:
  client(options const& o, std::optional<std::string> const& body, stream_consumer& consumer,
         std::optional<steady_time> deadline)
      : o_(o), body_(body), consumer_(consumer), deadline_(deadline),
        policy_(make_config(o)) {
    consumer_.on_retry_field([this](std::uint64_t ms) {
      milliseconds before = policy_.reconnection_time();
      policy_.set_reconnection_time(ms);
      if (o_.verbose > 0 && policy_.reconnection_time() != before) {
        tools::info("retry: " + std::to_string(ms) + " ms; reconnection time is now " +
                    format_ms(policy_.reconnection_time()));
      }
    });
  }

  exit_status run();

 private:
  static reconnect_config make_config(options const& o) {
    reconnect_config c;
    c.initial = milliseconds(static_cast<milliseconds::rep>(std::min<std::uint64_t>(o.retry_ms, 1u << 30)));
    c.reconnect = !o.no_reconnect;
    c.max_reconnects = o.max_reconnects;
    return c;
  }

  bool setup();
  void prepare_request();
  outcome drive();
  void accept_response();
  exit_status report_rejection();
  bool wait_until(steady_time at, outcome& why);
  std::optional<exit_status> after_stream(outcome why);

  static std::size_t on_write(char* data, std::size_t size, std::size_t n, void* self);
  static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* self);

  enum class phase { response, streaming, rejected };

  options const& o_;
  std::optional<std::string> const& body_;
  stream_consumer& consumer_;
  std::optional<steady_time> deadline_;
  reconnect_policy policy_;

  std::unique_ptr<CURLM, multi_deleter> multi_;
  std::unique_ptr<CURL, easy_deleter> easy_;
  std::unique_ptr<curl_slist, slist_deleter> headers_;
  char error_buffer_[CURL_ERROR_SIZE] = {};

  // Per connection.
  phase phase_ = phase::response;
  long status_ = 0;
  std::string status_line_;
  std::string rejection_;       // why the response was rejected
  std::string rejected_body_;   // its first bytes
  bool rejected_body_cut_ = false;
  consume_state consumed_ = consume_state::go_on;
  CURLcode result_ = CURLE_OK;  // libcurl's result of the last transfer
  steady_time last_activity_{};
  std::uint64_t bytes_ = 0;
};

bool client::setup() {
  multi_.reset(curl_multi_init());
  easy_.reset(curl_easy_init());
  if (!multi_ || !easy_) return false;
  CURL* e = easy_.get();
  curl_easy_setopt(e, CURLOPT_URL, o_.url.c_str());
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(e, CURLOPT_MAXREDIRS, 20L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");  // every encoding libcurl can decode
  // 100 KiB reads, as the curl tool makes: with 256 KiB the reader waited on a fuller socket
  // and --raw took 1.4x curl's wall time on an idle machine for the same CPU time.
  curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 100L * 1024L);
  curl_easy_setopt(e, CURLOPT_USERAGENT, o_.user_agent.c_str());
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error_buffer_);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &client::on_write);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &client::on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, this);
  if (o_.verbose > 1) curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
  if (o_.insecure) {
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!o_.cacert.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, o_.cacert.c_str());
  if (o_.connect_timeout > 0) {
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o_.connect_timeout * 1000));
  }
  if (body_) {
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_->size()));
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body_->data());
  }
  if (!o_.method.empty()) curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, o_.method.c_str());
  return true;
}

// Headers are rebuilt for each connection: Last-Event-ID changes as events arrive.
void client::prepare_request() {
  auto user_has = [this](std::string_view name) {
    return std::any_of(o_.headers.begin(), o_.headers.end(),
                       [&](std::string const& h) { return iequals(header_name(h), name); });
  };
  curl_slist* list = nullptr;
  auto add = [&list](std::string const& h) {
    if (auto* l = curl_slist_append(list, h.c_str())) list = l;
  };
  if (!user_has("Accept")) add("Accept: text/event-stream");
  if (!user_has("Cache-Control")) add("Cache-Control: no-cache");
  std::string_view id = consumer_.parser().last_event_id();
  if (!id.empty() && !user_has("Last-Event-ID")) add("Last-Event-ID: " + std::string(id));
  if (!user_has("Expect")) add("Expect:");  // no 100-continue round trip before a body
  for (auto const& h : o_.headers) add(h);
  headers_.reset(list);
  curl_easy_setopt(easy_.get(), CURLOPT_HTTPHEADER, list);

  phase_ = phase::response;
  status_ = 0;
  status_line_.clear();
  rejection_.clear();
  rejected_body_.clear();
  rejected_body_cut_ = false;
  consumed_ = consume_state::go_on;
  bytes_ = 0;
  error_buffer_[0] = '\0';
  last_activity_ = std::chrono::steady_clock::now();
}

std::size_t client::on_header(char* data, std::size_t size, std::size_t n, void* self) {
  auto* c = static_cast<client*>(self);
  std::string_view line(data, size * n);
  c->last_activity_ = std::chrono::steady_clock::now();
  if (line.substr(0, 5) == "HTTP/") {
    c->status_line_.assign(trim(line));
    if (c->o_.verbose > 0) tools::info(c->status_line_);
  } else if (c->o_.verbose > 0) {
    auto t = trim(line);
    auto name = header_name(t);
    if (iequals(name, "Location") || iequals(name, "Content-Type") || iequals(name, "Content-Encoding")) {
      tools::info("  " + std::string(t));
    }
  }
  return size * n;
}

// The first body byte (or the end of a bodiless response) of the final response decides.
void client::accept_response() {
  long code = 0;
  char const* type = nullptr;
  curl_easy_getinfo(easy_.get(), CURLINFO_RESPONSE_CODE, &code);
  curl_easy_getinfo(easy_.get(), CURLINFO_CONTENT_TYPE, &type);
  status_ = code;
  std::string where = " (" + o_.url + ")";
  if (code == 200 && type != nullptr && is_event_stream_type(type)) {
    phase_ = phase::streaming;
    policy_.connected();
    return;
  }
  phase_ = phase::rejected;
  if (code != 200) {
    std::string line = status_line_.empty() ? "HTTP " + std::to_string(code) : status_line_;
    rejection_ = "server answered " + line + where;
  } else if (type == nullptr) {
    rejection_ = "the response has no Content-Type; expected text/event-stream" + where;
  } else {
    rejection_ = "the response's Content-Type is '" + std::string(type) +
                 "', not text/event-stream" + where;
  }
}

std::size_t client::on_write(char* data, std::size_t size, std::size_t n, void* self) {
  auto* c = static_cast<client*>(self);
  std::size_t total = size * n;
  c->last_activity_ = std::chrono::steady_clock::now();
  if (c->phase_ == phase::response) c->accept_response();
  if (c->phase_ == phase::rejected) {
    std::size_t room = error_body_limit - c->rejected_body_.size();
    c->rejected_body_.append(data, std::min(room, total));
    if (total >= room) {
      c->rejected_body_cut_ = total > room;
      return 0;  // enough to explain the error: abort the transfer
    }
    return total;
  }
  c->bytes_ += total;
  c->consumed_ = c->consumer_.feed(std::string_view(data, total));
  return c->consumed_ == consume_state::go_on ? total : 0;
}

// Runs the transfer until it ends or something stops it.
outcome client::drive() {
  CURLM* m = multi_.get();
  curl_multi_add_handle(m, easy_.get());
  outcome result = outcome::network_error;
  CURLcode code = CURLE_OK;
  for (;;) {
    int running = 0;
    curl_multi_perform(m, &running);
    if (consumed_ != consume_state::go_on) {
      result = outcome::stop;
      break;
    }
    int queued = 0;
    bool finished = false;
    while (CURLMsg* msg = curl_multi_info_read(m, &queued)) {
      if (msg->msg == CURLMSG_DONE) {
        finished = true;
        code = msg->data.result;
      }
    }
    if (finished || running == 0) {
      if (phase_ == phase::response && code == CURLE_OK) accept_response();
      if (phase_ == phase::rejected) {
        result = status_ == 204 ? outcome::no_content : outcome::rejected;
      } else if (phase_ == phase::streaming) {
        result = outcome::ended;
      } else {
        result = outcome::network_error;
      }
      break;
    }
    if (tools::received_signal() != 0) {
      result = outcome::interrupted;
      break;
    }
    auto now = std::chrono::steady_clock::now();
    auto wait = milliseconds(1000);
    if (deadline_) {
      if (now >= *deadline_) {
        result = outcome::timeout;
        break;
      }
      wait = std::min(wait, std::chrono::ceil<milliseconds>(*deadline_ - now));
    }
    if (o_.idle_timeout > 0) {
      auto limit = last_activity_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                        std::chrono::duration<double>(o_.idle_timeout));
      if (now >= limit) {
        result = outcome::idle;
        break;
      }
      wait = std::min(wait, std::chrono::ceil<milliseconds>(limit - now));
    }
    curl_waitfd extra{};
    extra.fd = tools::signal_fd();
    extra.events = CURL_WAIT_POLLIN;
    curl_multi_poll(m, &extra, extra.fd >= 0 ? 1u : 0u, static_cast<int>(std::max<milliseconds::rep>(wait.count(), 1)),
                    nullptr);
  }
  curl_multi_remove_handle(m, easy_.get());
  result_ = code;
  if (result == outcome::network_error) {
    std::string why = error_buffer_[0] != '\0' ? error_buffer_ : curl_easy_strerror(code);
    rejection_ = why + " (" + o_.url + ")";
  }
  return result;
}

exit_status client::report_rejection() {
  tools::error(rejection_);
  if (!rejected_body_.empty()) {
    std::string body = rejected_body_;
    if (rejected_body_cut_) body.append("\n[…]");
    if (body.back() != '\n') body.push_back('\n');
    write_all(2, body);
  }
  return exit_status::protocol;
}

// Waits for the reconnection time, unless a signal or the deadline comes first.
bool client::wait_until(steady_time at, outcome& why) {
  for (;;) {
    if (tools::received_signal() != 0) {
      why = outcome::interrupted;
      return false;
    }
    auto now = std::chrono::steady_clock::now();
    if (deadline_ && now >= *deadline_) {
      why = outcome::timeout;
      return false;
    }
    if (now >= at) return true;
    auto until = deadline_ ? std::min(at, *deadline_) : at;
    auto ms = std::chrono::ceil<milliseconds>(until - now).count();
    pollfd pfd{tools::signal_fd(), POLLIN, 0};
    ::poll(&pfd, pfd.fd >= 0 ? 1 : 0, static_cast<int>(std::min<milliseconds::rep>(ms, 1000)));
  }
}

exit_status client::run() {
  if (!setup()) {
    tools::error("cannot initialise libcurl");
    return exit_status::network;
  }
  bool first = true;
  for (;;) {
    prepare_request();
    if (o_.verbose > 0) {
      std::string what = first ? "connecting to " : "reconnecting to ";
      std::string_view id = consumer_.parser().last_event_id();
      std::string method = !o_.method.empty() ? o_.method : body_ ? "POST" : "GET";
      what += method + " " + o_.url;
      if (!id.empty()) what += " (Last-Event-ID: " + std::string(id) + ")";
      tools::info(what);
      if (!first && method != "GET") {
        tools::info("re-sending the " + method +
                    " request, as EventSource does (--no-reconnect makes a one-shot request)");
      }
    }
    first = false;

    outcome why = drive();
    switch (why) {
      case outcome::stop:
        switch (consumed_) {
          case consume_state::too_large:
            tools::error(consumer_.error_message() + " (" + o_.url + ")");
            return exit_status::protocol;
          case consume_state::output_error:
            tools::error(consumer_.error_message());
            return exit_status::local_io;
          default:
            return exit_status::ok;
        }
      case outcome::timeout:
        if (o_.verbose > 0) tools::info("--timeout reached");
        return exit_status::timeout;
      case outcome::interrupted:
        return exit_status::interrupted;
      case outcome::no_content:
        if (o_.verbose > 0) tools::info("HTTP 204: the server asks not to reconnect");
        return exit_status::ok;
      case outcome::rejected:
        return report_rejection();
      case outcome::ended:
      case outcome::idle:
      case outcome::network_error:
        break;
    }

    bool streamed = phase_ == phase::streaming;
    // Only a clean end of the body (a close-delimited body's close, a chunked body's last chunk)
    // ends a stream. A body cut short (a chunk or Content-Length left unfinished: the server died)
    // or a silence past --idle-timeout is a dropped connection, a network failure when no
    // reconnection follows.
    std::string cut;
    if (streamed && why == outcome::idle) {
      cut = "no data for " + format_seconds(o_.idle_timeout) + " s: the connection was dropped";
    } else if (streamed && result_ != CURLE_OK) {
      cut = std::string("the stream was cut: ") +
            (error_buffer_[0] != '\0' ? error_buffer_ : curl_easy_strerror(result_));
    }
    if (streamed) {
      std::size_t dropped = consumer_.end_of_stream();
      if (o_.verbose > 0) {
        std::string what = why == outcome::idle ? "no data for " + format_seconds(o_.idle_timeout) +
                                                      " s: dropping the connection"
                                                : !cut.empty() ? cut : "the stream ended";
        tools::info(what + " after " + std::to_string(bytes_) + " bytes");
        if (dropped > 0) {
          tools::info("discarded " + std::to_string(dropped) + " bytes of an unterminated event");
        }
      }
    } else if (why == outcome::idle) {
      rejection_ = "no response within --idle-timeout (" + o_.url + ")";
    }

    if (!streamed && is_permanent(result_)) {
      // Retrying cannot help: the URL, the protocol or the local TLS files are wrong.
      tools::error(rejection_);
      if (result_ == CURLE_URL_MALFORMAT) return exit_status::usage;
      if (result_ == CURLE_TOO_MANY_REDIRECTS) return exit_status::protocol;
      return exit_status::network;
    }
    auto decision = policy_.next(streamed ? disconnect_reason::stream_ended : disconnect_reason::network_error);
    if (!decision.reconnect) {
      if (!streamed) {
        tools::error(rejection_);
        return exit_status::network;
      }
      if (!cut.empty()) {
        tools::error(cut + " (" + o_.url + ")");
        return exit_status::network;
      }
      if (consumer_.filter().has_sentinel()) {
        tools::error(std::string("the stream ended before its ") +
                     (o_.until_event ? "--until-event" : "--until-data") + " sentinel (truncated)");
        return exit_status::truncated;
      }
      return exit_status::ok;
    }
    if (!streamed) {
      tools::warning(rejection_ + "; retrying in " + format_ms(decision.delay));
    } else if (o_.verbose > 0) {
      tools::info("reconnecting in " + format_ms(decision.delay));
    }
    outcome stopped = outcome::ended;
    if (!wait_until(decision.at, stopped)) {
      if (stopped == outcome::timeout) return exit_status::timeout;
      return exit_status::interrupted;
    }
  }
}

}  // namespace

bool is_event_stream_type(std::string_view content_type) {
  return iequals(trim(content_type.substr(0, content_type.find(';'))), "text/event-stream");
}

exit_status fetch_stream(options const& o, std::optional<std::string> const& body,
                         stream_consumer& consumer, std::optional<steady_time> deadline) {
  client c(o, body, consumer, deadline);
  return c.run();
}

}  // namespace sse::listen
