// One Redis connection through hiredis's asynchronous API, driven by the server's own io_context:
// hiredis asks to watch its socket for reading or writing (addRead/addWrite), and Asio's
// async_wait on a descriptor that does not own the socket tells it when. No thread, no second
// event loop, no blocking call: the address is numeric (resolved by the caller with Asio), so
// hiredis's connect does not resolve names.
#ifndef SSE_SERVE_BACKPLANE_HIREDIS_ASIO_HPP
#define SSE_SERVE_BACKPLANE_HIREDIS_ASIO_HPP

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct redisAsyncContext;
struct redisReply;

namespace sse::serve {

// A reply as the callers see it: hiredis's reply (valid only during the callback), or nullptr
// with the reason when the connection failed before it came.
using redis_callback = std::function<void(redisReply* reply, std::string const& error)>;

class redis_connection : public std::enable_shared_from_this<redis_connection> {
 public:
  explicit redis_connection(boost::asio::io_context& ioc);
  ~redis_connection();
  redis_connection(redis_connection const&) = delete;
  redis_connection& operator=(redis_connection const&) = delete;

  // Connects to the numeric address; on_ready("") once connected (and authenticated, and the
  // database selected), or on_ready(reason). on_lost(reason) when an established connection ends.
  // Each call to open() is one attempt: after a failure or a loss, make a new connection.
  void open(std::string const& address, std::uint16_t port, std::vector<std::string> const& hello,
            std::chrono::milliseconds timeout, std::function<void(std::string const&)> on_ready,
            std::function<void(std::string const&)> on_lost);
  // Sends a command (argv-style, binary safe); done runs once with its reply or the failure.
  void command(std::vector<std::string> const& argv, redis_callback done);
  // Ends the connection; pending commands complete with an error. No callback runs afterwards.
  void close();
  bool ready() const noexcept { return ready_; }

 private:
  struct hooks;
  static void on_connect(redisAsyncContext const* ac, int status);
  static void on_disconnect(redisAsyncContext const* ac, int status);
  static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);
  void watch_read();
  void watch_write();
  void failed(std::string const& why);
  void send_hello(std::size_t index);

  boost::asio::io_context& ioc_;
  boost::asio::posix::stream_descriptor socket_;
  boost::asio::steady_timer timer_;
  redisAsyncContext* context_ = nullptr;
  std::vector<std::vector<std::string>> hello_;  // AUTH and SELECT, sent before ready
  std::function<void(std::string const&)> on_ready_;
  std::function<void(std::string const&)> on_lost_;
  std::shared_ptr<bool> open_;  // false once close() was called: replies are then dropped
  bool reading_ = false;        // hiredis wants read events
  bool writing_ = false;        // hiredis wants write events
  bool read_armed_ = false;     // an async_wait for reading is pending
  bool write_armed_ = false;    // an async_wait for writing is pending
  bool ready_ = false;
  bool done_ = false;  // failed, lost or closed: nothing more is reported
};

}  // namespace sse::serve

#endif
