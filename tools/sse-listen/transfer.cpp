#include "transfer.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "common/diagnostics.hpp"
#include "common/header.hpp"

namespace sse::listen {
namespace {

constexpr std::size_t error_body_limit = 4096;  // bytes of an error response shown on stderr

}  // namespace

bool is_event_stream_type(std::string_view content_type) {
  return tools::iequals(tools::trim_header_line(content_type.substr(0, content_type.find(';'))),
                        "text/event-stream");
}

std::optional<milliseconds> parse_retry_after(std::string_view value,
                                              std::chrono::system_clock::time_point now) {
  value = tools::trim_header_line(value);
  if (value.empty()) return std::nullopt;
  // Within what a steady_clock time point holds, whatever the server says.
  constexpr std::int64_t most_seconds = 1'000'000'000;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t seconds = 0;
    for (char c : value) {
      seconds = std::min(most_seconds, seconds * 10 + (c - '0'));
    }
    return milliseconds(seconds * 1000);
  }
  std::string date(value);
  time_t const at = curl_getdate(date.c_str(), nullptr);
  if (at == -1) return std::nullopt;
  auto const delta = std::chrono::system_clock::from_time_t(at) - now;
  if (delta.count() <= 0) return milliseconds(0);
  return std::min(std::chrono::ceil<milliseconds>(delta), milliseconds(most_seconds * 1000));
}

transfer::transfer(options const& o, std::optional<std::string> const& body,
                   stream_consumer& consumer, std::size_t source)
    : o_(o),
      body_(body),
      consumer_(consumer),
      source_(source),
      url_(consumer.source_name(source)) {}

void configure_easy(CURL* e, options const& o, std::optional<std::string> const& body) {
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
  curl_easy_setopt(e, CURLOPT_USERAGENT, o.user_agent.c_str());
  // A proxy's answer to CONNECT is not the server's response: not judged, not --include'd.
  curl_easy_setopt(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  if (o.verbose > 1) curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
  if (o.insecure) {
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!o.cacert.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, o.cacert.c_str());
  if (o.connect_timeout > 0) {
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout * 1000));
  }
  if (body) {
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body->data());
  }
  if (!o.method.empty()) curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, o.method.c_str());
  // Without --proxy, libcurl reads http_proxy, https_proxy, all_proxy and no_proxy itself.
  if (o.proxy) curl_easy_setopt(e, CURLOPT_PROXY, o.proxy->c_str());
  switch (o.http) {
    case http_version::negotiate:
      break;  // libcurl's default: HTTP/2 when TLS's ALPN agrees, HTTP/1.1 on http://
    case http_version::http1_1:
      curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
      break;
    case http_version::http2:
      curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                       static_cast<long>(CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE));
      break;
  }
}

curl_slist* request_headers(options const& o, std::string_view last_event_id) {
  auto user_has = [&o](std::string_view name) {
    return std::any_of(o.headers.begin(), o.headers.end(), [&](std::string const& h) {
      return tools::iequals(tools::header_name(h), name);
    });
  };
  curl_slist* list = nullptr;
  auto add = [&list](std::string const& h) {
    if (auto* l = curl_slist_append(list, h.c_str())) list = l;
  };
  if (!user_has("Accept")) add("Accept: text/event-stream");
  if (!user_has("Cache-Control")) add("Cache-Control: no-cache");
  if (!last_event_id.empty() && !user_has("Last-Event-ID")) {
    add("Last-Event-ID: " + std::string(last_event_id));
  }
  if (!user_has("Expect")) add("Expect:");  // no 100-continue round trip before a body
  for (auto const& h : o.headers) add(h);
  return list;
}

bool transfer::init() {
  easy_.reset(curl_easy_init());
  if (!easy_) return false;
  CURL* e = easy_.get();
  curl_easy_setopt(e, CURLOPT_URL, url_.c_str());
  configure_easy(e, o_, body_);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error_buffer_);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &transfer::on_write);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &transfer::on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, this);
  return true;
}

void transfer::resume() {
  if (!paused_) return;
  paused_ = false;
  last_activity_ = std::chrono::steady_clock::now();  // the wait was ours, not the server's
  // May call on_write at once, with the data held since the pause.
  curl_easy_pause(easy_.get(), CURLPAUSE_CONT);
}

bool transfer::retryable_server_error() const noexcept {
  return o_.retry_on_5xx && response_ == answer::rejected && status_ >= 500 && status_ <= 599;
}

// Headers are rebuilt for each connection: Last-Event-ID changes as events arrive.
void transfer::prepare() {
  curl_slist* list = request_headers(o_, consumer_.last_event_id(source_));
  headers_.reset(list);
  curl_easy_setopt(easy_.get(), CURLOPT_HTTPHEADER, list);

  response_ = answer::none;
  status_ = 0;
  status_line_.clear();
  rejection_.clear();
  rejected_body_.clear();
  rejected_body_cut_ = false;
  consumed_ = consume_state::go_on;
  result_ = CURLE_OK;
  bytes_ = 0;
  error_buffer_[0] = '\0';
  last_activity_ = std::chrono::steady_clock::now();
  paused_ = false;
  head_ = {};
  retry_after_.reset();
}

std::size_t transfer::on_header(char* data, std::size_t size, std::size_t n, void* self) {
  auto* t = static_cast<transfer*>(self);
  t->last_activity_ = std::chrono::steady_clock::now();
  return t->header_line(std::string_view(data, size * n)) ? size * n : 0;
}

// Each line of each response head (a redirect's, the final one's). False aborts the transfer.
bool transfer::header_line(std::string_view line) {
  if (line.substr(0, 5) == "HTTP/") {
    status_line_.assign(tools::trim_header_line(line));
    if (o_.verbose > 0) tools::info(status_line_);
    head_ = {};
    head_.status_line = status_line_;
    auto sp = status_line_.find(' ');
    if (sp != std::string::npos)
      head_.status = std::strtol(status_line_.c_str() + sp + 1, nullptr, 10);
    retry_after_.reset();
    return true;
  }
  auto const h = tools::trim_header_line(line);
  if (h.empty()) {  // the end of a head
    if (!o_.include || head_.status_line.empty()) return true;
    consume_state s = consumer_.print_head(source_, head_);
    head_ = {};
    if (s == consume_state::go_on) return true;
    consumed_ = s;
    return false;
  }
  auto const name = tools::header_name(h);
  auto const colon = h.find(':');
  std::string_view const value = colon == std::string_view::npos
                                     ? std::string_view()
                                     : tools::trim_header_line(h.substr(colon + 1));
  if (o_.verbose > 0 &&
      (tools::iequals(name, "Location") || tools::iequals(name, "Content-Type") ||
       tools::iequals(name, "Content-Encoding") || tools::iequals(name, "Retry-After"))) {
    tools::info("  " + std::string(h));
  }
  if (tools::iequals(name, "Retry-After")) {
    retry_after_ = parse_retry_after(value, std::chrono::system_clock::now());
  }
  if (o_.include && colon != std::string_view::npos) head_.headers.emplace_back(name, value);
  return true;
}

// The first body byte (or the end of a bodiless response) of the final response decides.
void transfer::judge_response() {
  long code = 0;
  char const* type = nullptr;
  curl_easy_getinfo(easy_.get(), CURLINFO_RESPONSE_CODE, &code);
  curl_easy_getinfo(easy_.get(), CURLINFO_CONTENT_TYPE, &type);
  status_ = code;
  if (code == 200 && type != nullptr && is_event_stream_type(type)) {
    response_ = answer::accepted;
    return;
  }
  response_ = answer::rejected;
  std::string where = " (" + url_ + ")";
  if (code != 200) {
    std::string line = status_line_.empty() ? "HTTP " + std::to_string(code) : status_line_;
    rejection_ = "server answered " + line + where;
  } else if (type == nullptr) {
    rejection_ = "the response has no Content-Type; expected text/event-stream" + where;
  } else {
    rejection_ =
        "the response's Content-Type is '" + std::string(type) + "', not text/event-stream" + where;
  }
}

std::size_t transfer::on_write(char* data, std::size_t size, std::size_t n, void* self) {
  auto* t = static_cast<transfer*>(self);
  std::size_t total = size * n;
  t->last_activity_ = std::chrono::steady_clock::now();
  if (t->response_ == answer::none) t->judge_response();
  if (t->response_ == answer::rejected) {
    std::size_t room = error_body_limit - t->rejected_body_.size();
    t->rejected_body_.append(data, std::min(room, total));
    if (total >= room) {
      t->rejected_body_cut_ = total > room;
      return 0;  // enough to explain the error: abort the transfer
    }
    return total;
  }
  // Commands of --exec are queued (this stream's or another's): the chunk waits in libcurl.
  if (t->consumer_.has_pending()) {
    t->paused_ = true;
    return CURL_WRITEFUNC_PAUSE;
  }
  t->bytes_ += total;
  t->consumed_ = t->consumer_.feed(std::string_view(data, total), t->source_);
  return t->consumed_ == consume_state::go_on ? total : 0;
}

void transfer::done(CURLcode result) {
  result_ = result;
  // A bodiless final response (204, a 200 with an empty body) is judged at its end.
  if (response_ == answer::none && result == CURLE_OK) judge_response();
}

transfer_outcome transfer::outcome(ending how) const {
  transfer_outcome o;
  o.how = how;
  o.where = url_;
  o.response = response_;
  o.status = status_;
  o.rejection = rejection_;
  o.rejected_body = rejected_body_;
  o.rejected_body_cut = rejected_body_cut_;
  o.result = how == ending::finished ? result_ : CURLE_OK;
  o.curl_error = error_buffer_[0] != '\0' ? error_buffer_ : curl_easy_strerror(o.result);
  o.consumed = consumed_;
  o.consumer_error = consumer_.error_message();
  o.bytes = bytes_;
  o.sentinel = sentinel_option(o_);
  o.idle_timeout = o_.idle_timeout;
  o.retry_server_error = retryable_server_error();
  return o;
}

}  // namespace sse::listen
