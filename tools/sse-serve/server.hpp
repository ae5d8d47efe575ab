// One server's life: it wires the hub, the history, the access policy, the listener and the source
// together, and owns what happens over time: signals (SIGHUP reloads tokens and the TLS pair), the
// keep-alive and stall timer, the end of input, and shutdown (end every stream, wait for them to
// flush or for the grace period, stop).
#ifndef SSE_SERVE_SERVER_HPP
#define SSE_SERVE_SERVER_HPP

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>

#include "auth/access.hpp"
#include "backplane/redis_backplane.hpp"
#include "hub/event_hub.hpp"
#include "hub/history.hpp"
#include "net/http_config.hpp"
#include "net/listener.hpp"
#include "net/stream_context.hpp"
#include "options.hpp"
#include "sources/event_source.hpp"

namespace sse::serve {

class server {
 public:
  explicit server(options const& opts);
  ~server();
  server(server const&) = delete;
  server& operator=(server const&) = delete;

  // Runs until stdin ends with --exit-on-eof (returns 0) or a signal arrives (returns 128 + its
  // number; the caller re-raises it). Returns exit_status::failure when it cannot start.
  int run();

 private:
  void raise_open_file_limit();
  void wait_signal();
  void on_signal(boost::system::error_code ec, int signal_number);
  void wait_hangup();
  void on_hangup();
  // --tls-cert and --tls-key: loads them into ctx_.tls; false (and said why) when they are
  // unusable.
  bool load_tls(bool reloading);
  void schedule_tick();
  void on_tick(boost::system::error_code ec);
  void on_input_end();
  event_sink& sink() { return redis_ ? static_cast<event_sink&>(*redis_) : hub_; }
  // Ends every stream with the end event, then stops once they are flushed (or the grace ends).
  void shutdown(stopping why);

  options const& opts_;
  boost::asio::io_context ioc_{1};
  http_config http_;
  ring_history history_;
  event_hub hub_;
  access_report access_report_;  // what loading the token files said, reported by run()
  bool access_ok_ = false;
  access_policy access_;
  stream_context ctx_;
  listener listener_;
  std::unique_ptr<redis_backplane> redis_;  // --redis: the sink of every source, and the history
  std::unique_ptr<event_source> source_;
  boost::asio::signal_set signals_;
  boost::asio::signal_set hangup_;  // SIGHUP: reload the token files
  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer grace_timer_;
  std::chrono::steady_clock::duration tick_period_{};
  int caught_signal_ = 0;
  bool stopping_ = false;
};

// Runs a server with these options and returns the exit status (re-raising a caught signal).
int run(options const& opts);

}  // namespace sse::serve

#endif
