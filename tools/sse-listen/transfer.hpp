// One HTTP connection's worth of libcurl: a single easy handle, set up once and reused for every
// reconnection (so libcurl can keep its connection cache and TLS session). It builds each
// request's headers (Last-Event-ID from the consumer), feeds the body of an accepted response to
// the consumer, and decides from the first body byte whether the response is a stream at all.
// Whoever drives it (fetch.cpp's loop) owns the multi handle and the waiting.
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
  // body, when set, is sent as the request body; it must outlive the transfer.
  transfer(options const& o, std::optional<std::string> const& body, stream_consumer& consumer);

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
  // The last time a header or body byte arrived (or the connection was prepared).
  steady_time last_activity() const noexcept { return last_activity_; }

  // What this connection knows of how it ended (how is the driver's).
  transfer_outcome outcome(ending how) const;

 private:
  static std::size_t on_write(char* data, std::size_t size, std::size_t n, void* self);
  static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* self);
  void judge_response();

  struct easy_deleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
  };
  struct slist_deleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
  };

  options const& o_;
  std::optional<std::string> const& body_;
  stream_consumer& consumer_;
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
};

// True when the media type's essence (before any ';' parameters, case-insensitively) is
// text/event-stream.
bool is_event_stream_type(std::string_view content_type);

}  // namespace sse::listen

#endif
