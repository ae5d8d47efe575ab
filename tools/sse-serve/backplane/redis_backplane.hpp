// --redis: replicas share one stream and one history through a Redis stream. Every event a source
// (stdin, the counter, HTTP publish) produces is appended with XADD; one XREAD BLOCK connection per
// replica reads the stream and publishes each entry to the local hub with its Redis id as its SSE
// id; a resume older than the hub's cache is served with XRANGE. While Redis is unreachable,
// clients stay connected, input is held (up to --redis-buffer, then reading stops) and HTTP
// publishers get 503; the replica reconnects with backoff and reads on from the last id it
// delivered.
#ifndef SSE_SERVE_BACKPLANE_REDIS_BACKPLANE_HPP
#define SSE_SERVE_BACKPLANE_REDIS_BACKPLANE_HPP

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backplane/backplane.hpp"
#include "backplane/hiredis_asio.hpp"
#include "backplane/redis_url.hpp"
#include "hub/event_hub.hpp"
#include "hub/event_sink.hpp"

namespace sse::serve {

struct redis_config {
  redis_url url;
  std::string key = "sse";                     // --redis-key
  std::size_t maxlen = 1000;                   // XADD MAXLEN ~ (the --history)
  std::size_t buffer = std::size_t{16} << 20;  // --redis-buffer: input held while Redis is away
  bool verbose = false;
  bool quiet = false;
};

// What XINFO STREAM says that matters here.
struct redis_stream_info {
  bool exists = false;
  std::string last_generated = "0-0";  // the newest id the stream ever gave
  std::string first_entry;             // the oldest id it holds ("" when empty)
  std::uint64_t entries_added = 0;     // entries ever appended (never decreases in one stream)
  std::uint64_t length = 0;            // entries held
};

class redis_backplane final : public event_sink, public backplane {
 public:
  redis_backplane(boost::asio::io_context& ioc, event_hub& hub, redis_config config);
  ~redis_backplane() override;
  redis_backplane(redis_backplane const&) = delete;
  redis_backplane& operator=(redis_backplane const&) = delete;

  // Connects (and keeps reconnecting), then reads the stream from its end.
  void start();
  void stop();

  // event_sink: what sources publish goes to Redis first.
  sse::encode_error publish(source_event const& ev, event_source_kind source) override;
  void publish_retry(std::uint64_t milliseconds) override;
  void flush() override;
  bool throttled() const override;
  void when_unthrottled(std::function<void()> f) override;
  void publish_batch(std::vector<source_event> events, event_source_kind source,
                     batch_done done) override;

  // backplane
  bool is_store_id(std::string_view id) const override;
  int compare(std::string_view a, std::string_view b) const override;
  void read_range(std::string const& after, std::string const& until, range_done done) override;

  // Calls f once everything appended so far is acknowledged and read back (--exit-on-eof).
  void when_drained(std::function<void()> f);

  // For --metrics.
  std::string metrics() const;
  bool connected() const noexcept { return connected_; }

 private:
  struct queued {
    std::vector<std::string> argv;
    std::size_t bytes;
    event_source_kind source;
  };

  void connect();
  void on_ready(std::uint64_t generation, std::string const& why);
  void on_connected();
  void lost(std::uint64_t generation, std::string const& why);
  void read_tail();
  void on_tail(redisReply* reply);
  void send_queue();
  void acknowledged(queued const& q);
  void release_waiters();
  void check_drained();
  void check_trimmed(redis_stream_info const& info);
  std::vector<std::string> xadd(source_event const& ev, bool retry_only) const;
  std::vector<std::string> hello() const;

  boost::asio::io_context& ioc_;
  event_hub& hub_;
  redis_config config_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer retry_timer_;
  std::shared_ptr<redis_connection> commands_;  // XADD, XRANGE, XINFO
  std::shared_ptr<redis_connection> tail_;      // XREAD BLOCK only
  std::uint64_t generation_ = 0;                // bumped for every connection attempt
  std::size_t ready_count_ = 0;                 // of the two connections of this generation
  bool connected_ = false;
  bool started_ = false;
  bool stopped_ = false;
  bool ever_connected_ = false;
  bool tail_waiting_ = false;  // XREAD paused while the hub throttles (--backpressure)
  std::string last_id_;        // the latest entry delivered to the hub ("0-0" before the first)
  // Entries read, or there before this replica started: the stream's trimmed count must stay
  // within.
  std::uint64_t accounted_ = 0;

  std::deque<queued> queue_;  // appends not yet acknowledged, oldest first
  std::size_t sent_ = 0;      // how many at the front of queue_ were sent on this connection
  std::size_t buffered_ = 0;  // bytes in queue_
  std::vector<std::function<void()>> unthrottled_;
  std::string last_acked_id_;            // the id Redis gave the latest append acknowledged
  std::deque<std::string> unread_acks_;  // ids of appends acknowledged but not yet read back
  std::vector<std::function<void()>> drained_;

  std::chrono::milliseconds backoff_{100};
  std::chrono::steady_clock::time_point down_since_{};
  std::uint64_t reconnects_ = 0;
  std::uint64_t append_errors_ = 0;
  std::minstd_rand jitter_;
};

}  // namespace sse::serve

#endif
