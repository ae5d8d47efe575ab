// The loopback harness of the sse/beast.hpp tests: a server io_context on its own thread, the
// test thread as the client (blocking reads that give up at a deadline), and the outcome of an
// asynchronous operation waited for from the test thread.
#ifndef SSE_TESTS_LIB_BEAST_LOOPBACK_HPP
#define SSE_TESTS_LIB_BEAST_LOOPBACK_HPP

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <sse/beast.hpp>
#include <string>
#include <string_view>
#include <thread>

namespace sse_test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using namespace std::chrono_literals;

// Every wait in these tests ends here: a hang fails the test instead of the suite's timeout.
inline constexpr auto deadline = 20s;

inline constexpr std::string_view plain_head =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: "
    "no-cache, no-transform\r\nX-Accel-Buffering: no\r\nConnection: keep-alive\r\n"
    "Transfer-Encoding: chunked\r\n\r\n";

// Stream options with no ping, so that exact bytes cannot meet one even on a slow machine.
inline sse::beast::stream_options quiet() {
  sse::beast::stream_options o;
  o.ping_interval = 0s;
  return o;
}

// The outcome of one asynchronous operation, waited for from the test thread.
class outcome {
 public:
  auto handler() {
    return [p = promise_](error_code ec) { p->set_value(ec); };
  }
  error_code get() {
    if (future_.wait_for(deadline) != std::future_status::ready) {
      ADD_FAILURE() << "the operation did not complete";
      return asio::error::timed_out;
    }
    return future_.get();
  }
  bool ready() const { return future_.wait_for(0s) == std::future_status::ready; }

 private:
  std::shared_ptr<std::promise<error_code>> promise_ = std::make_shared<std::promise<error_code>>();
  std::future<error_code> future_ = promise_->get_future();
};

// The client's end of a loopback connection, read with poll() + recv() up to the deadline.
class client_socket {
 public:
  explicit client_socket(asio::io_context& ioc) : socket_(ioc) {}

  tcp::socket& socket() { return socket_; }

  // Reads until `needle` has arrived (anywhere in what was received); false at end of file.
  bool read_until(std::string_view needle) {
    while (received.find(needle) == std::string::npos) {
      if (!read_some()) return false;
    }
    return true;
  }
  // Reads until the server ends the connection.
  void read_to_eof() {
    while (read_some()) {
    }
  }
  std::size_t count(std::string_view needle) const {
    std::size_t n = 0;
    for (auto at = received.find(needle); at != std::string::npos;
         at = received.find(needle, at + needle.size())) {
      ++n;
    }
    return n;
  }

  std::string received;
  bool eof = false;

 private:
  bool read_some() {
    auto const give_up = std::chrono::steady_clock::now() + deadline;
    pollfd p{socket_.native_handle(), POLLIN, 0};
    for (;;) {
      auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(
          give_up - std::chrono::steady_clock::now());
      if (left <= 0ms) {
        ADD_FAILURE() << "nothing more arrived; received so far:\n" << received;
        return false;
      }
      if (::poll(&p, 1, static_cast<int>(left.count())) > 0) break;
    }
    char buffer[65536];
    ssize_t const n = ::recv(socket_.native_handle(), buffer, sizeof buffer, 0);
    if (n <= 0) {
      eof = true;
      return false;
    }
    received.append(buffer, static_cast<std::size_t>(n));
    return true;
  }

  tcp::socket socket_;
};

// A server io_context on its own thread, and the client in the test thread.
class loopback {
 public:
  loopback() : client(client_ioc_) {
    thread_ = std::thread([this] {
      ioc_.run();
      done_.set_value();
    });
  }

  ~loopback() {
    error_code ignored;
    client.socket().close(ignored);
    work_.reset();
    if (done_.get_future().wait_for(deadline) != std::future_status::ready) {
      ADD_FAILURE() << "the server still had work at the end of the test";
      ioc_.stop();
    }
    thread_.join();
  }

  asio::io_context& ioc() { return ioc_; }

  // Connects the client, sends `request`, reads it on the server side and starts a stream. With
  // small_buffers, the socket buffers are a few KiB, so that a large event cannot leave the
  // server while the client reads nothing.
  std::shared_ptr<sse::beast::event_stream<beast::tcp_stream>> open(
      std::string_view request, sse::beast::stream_options options = quiet(),
      bool small_buffers = false) {
    tcp::acceptor acceptor(ioc_, {asio::ip::make_address("127.0.0.1"), 0});
    client.socket().open(tcp::v4());
    if (small_buffers) client.socket().set_option(asio::socket_base::receive_buffer_size(4096));
    client.socket().connect(acceptor.local_endpoint());
    tcp::socket server(ioc_);
    acceptor.accept(server);
    if (small_buffers) server.set_option(asio::socket_base::send_buffer_size(4096));
    asio::write(client.socket(), asio::buffer(request));
    beast::tcp_stream stream(std::move(server));
    beast::flat_buffer buffer;
    http::request<http::empty_body> req;
    http::read(stream, buffer, req);
    return sse::beast::start_event_stream(std::move(stream), req, std::move(options));
  }

  // Returns once the server thread has run everything posted to it before this call.
  void settle() {
    std::promise<void> p;
    asio::post(ioc_, [&p] { p.set_value(); });
    p.get_future().wait();
  }

 private:
  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(ioc_);
  asio::io_context client_ioc_;
  std::promise<void> done_;
  std::thread thread_;

 public:
  client_socket client;
};

}  // namespace sse_test

#endif
