#include "transfer.hpp"

#include <algorithm>
#include <cctype>

#include "common/diagnostics.hpp"
#include "common/header.hpp"

namespace sse::listen {
namespace {

constexpr std::size_t error_body_limit = 4096;  // bytes of an error response shown on stderr

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

bool is_event_stream_type(std::string_view content_type) {
  return iequals(trim(content_type.substr(0, content_type.find(';'))), "text/event-stream");
}

transfer::transfer(options const& o, std::optional<std::string> const& body,
                   stream_consumer& consumer)
    : o_(o), body_(body), consumer_(consumer) {}

bool transfer::init() {
  easy_.reset(curl_easy_init());
  if (!easy_) return false;
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
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &transfer::on_write);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &transfer::on_header);
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
void transfer::prepare() {
  auto user_has = [this](std::string_view name) {
    return std::any_of(o_.headers.begin(), o_.headers.end(),
                       [&](std::string const& h) { return iequals(tools::header_name(h), name); });
  };
  curl_slist* list = nullptr;
  auto add = [&list](std::string const& h) {
    if (auto* l = curl_slist_append(list, h.c_str())) list = l;
  };
  if (!user_has("Accept")) add("Accept: text/event-stream");
  if (!user_has("Cache-Control")) add("Cache-Control: no-cache");
  std::string_view id = consumer_.last_event_id();
  if (!id.empty() && !user_has("Last-Event-ID")) add("Last-Event-ID: " + std::string(id));
  if (!user_has("Expect")) add("Expect:");  // no 100-continue round trip before a body
  for (auto const& h : o_.headers) add(h);
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
}

std::size_t transfer::on_header(char* data, std::size_t size, std::size_t n, void* self) {
  auto* t = static_cast<transfer*>(self);
  std::string_view line(data, size * n);
  t->last_activity_ = std::chrono::steady_clock::now();
  if (line.substr(0, 5) == "HTTP/") {
    t->status_line_.assign(trim(line));
    if (t->o_.verbose > 0) tools::info(t->status_line_);
  } else if (t->o_.verbose > 0) {
    auto h = trim(line);
    auto name = tools::header_name(h);
    if (iequals(name, "Location") || iequals(name, "Content-Type") ||
        iequals(name, "Content-Encoding")) {
      tools::info("  " + std::string(h));
    }
  }
  return size * n;
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
  std::string where = " (" + o_.url + ")";
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
  t->bytes_ += total;
  t->consumed_ = t->consumer_.feed(std::string_view(data, total));
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
  o.where = o_.url;
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
  return o;
}

}  // namespace sse::listen
