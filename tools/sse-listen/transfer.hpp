// One HTTP connection's worth of libcurl: a single easy handle, set up once and reused for every
// reconnection (so libcurl can keep its connection cache and TLS session). It builds each
// request's headers (Last-Event-ID from the consumer), feeds the body of an accepted response to
// the consumer, and decides from the first body byte whether the response is a stream at all.
// Whoever drives it (fetch.cpp's loop) owns the multi handle and the waiting. With --exec, a chunk
// that arrives while commands are queued is left with libcurl (CURL_WRITEFUNC_PAUSE) until the
// driver has run them and calls resume(): the stream waits, nothing is buffered here.
#ifndef SSE_LISTEN_TRANSFER_HPP
#define SSE_LISTEN_TRANSFER_HPP

#include <curl/curl.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "options.hpp"
#include "outcome.hpp"
#include "reconnect_policy.hpp"
#include "stream_consumer.hpp"

namespace sse::listen {

class transfer {
 public:
  // Follows the consumer's source (its URL). body, when set, is sent as the request body; it
  // must outlive the transfer.
  transfer(options const& o, std::optional<std::string> const& body, stream_consumer& consumer,
           std::size_t source = 0);

  // Creates and configures the easy handle. False when libcurl cannot.
  bool init();
  CURL* handle() const noexcept { return easy_.get(); }

  // Readies the next connection: its request headers (with the consumer's last event ID) and a
  // fresh per-connection state.
  void prepare();

  // libcurl reports the transfer over, with result.
  void done(CURLcode result);

  // The consumer asked to stop (count, sentinel, stdout gone, too large): the transfer was aborted.
  bool stopped() const noexcept { return consumed_ != consume_state::go_on; }
  answer response() const noexcept { return response_; }
  // The last time a header or body byte arrived (or the connection was prepared or resumed).
  steady_time last_activity() const noexcept { return last_activity_; }
  std::string const& url() const noexcept { return url_; }
  std::size_t source() const noexcept { return source_; }

  // The write callback paused the transfer (commands were queued); resume() once they ran.
  bool paused() const noexcept { return paused_; }
  void resume();
  // Commands ran: whatever this transfer did not read meanwhile is no silence of the server's.
  void waited() noexcept { last_activity_ = std::chrono::steady_clock::now(); }

  // A response with a 5xx status that --retry-on-5xx retries.
  bool retryable_server_error() const noexcept;
  // The Retry-After of the last response, when it had one that parses.
  std::optional<milliseconds> retry_after() const noexcept { return retry_after_; }

  // What this connection knows of how it ended (how is the driver's).
  transfer_outcome outcome(ending how) const;

 private:
  static std::size_t on_write(char* data, std::size_t size, std::size_t n, void* self);
  static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* self);
  void judge_response();
  bool header_line(std::string_view line);

  struct easy_deleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
  };
  struct slist_deleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
  };

  options const& o_;
  std::optional<std::string> const& body_;
  stream_consumer& consumer_;
  std::size_t source_;
  std::string url_;
  std::unique_ptr<CURL, easy_deleter> easy_;
  std::unique_ptr<curl_slist, slist_deleter> headers_;
  char error_buffer_[CURL_ERROR_SIZE] = {};

  // Per connection.
  answer response_ = answer::none;
  long status_ = 0;
  std::string status_line_;
  std::string rejection_;      // why the response was rejected
  std::string rejected_body_;  // its first bytes
  bool rejected_body_cut_ = false;
  consume_state consumed_ = consume_state::go_on;
  CURLcode result_ = CURLE_OK;
  steady_time last_activity_{};
  std::uint64_t bytes_ = 0;
  bool paused_ = false;
  response_head head_;  // the response head being read
  std::optional<milliseconds> retry_after_;
};

// The libcurl setup every request of sse-listen shares (the stream's and --check's): protocols,
// redirects, TLS, proxy, HTTP version, method and body (which must outlive the handle).
void configure_easy(CURL* e, options const& o, std::optional<std::string> const& body);

// A request's header list: Accept and Cache-Control unless -H gives them, Last-Event-ID when not
// empty, then -H's. The caller frees it (curl_slist_free_all).
curl_slist* request_headers(options const& o, std::string_view last_event_id);

// True when the media type's essence (before any ';' parameters, case-insensitively) is
// text/event-stream.
bool is_event_stream_type(std::string_view content_type);

// A Retry-After value: delay-seconds or an HTTP-date (any of the three forms RFC 9110 has
// recipients accept), as a delay from now; nullopt when it is neither. A date in the past is 0.
std::optional<milliseconds> parse_retry_after(std::string_view value,
                                              std::chrono::system_clock::time_point now);

}  // namespace sse::listen

#endif
