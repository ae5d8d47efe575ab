// A tiny HTTP/1.1 server for end-to-end tests: on 127.0.0.1, port 0, one thread per connection.
// Each connection gets the response a script returns for it (raw bytes in steps, with pauses, or
// held open until the server stops), and every request is recorded with its headers and body.
#ifndef SSE_LISTEN_TEST_SCRIPTED_SERVER_HPP
#define SSE_LISTEN_TEST_SCRIPTED_SERVER_HPP

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace sse::listen::test {

struct recorded_request {
  std::chrono::steady_clock::time_point at;  // when its head was read
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The value of the first header of that name (case-insensitive), or "" when absent.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

struct response {
  struct step {
    enum class kind { send, pause, hold, gate } what;
    std::string bytes;
    int ms = 0;
  };
  std::vector<step> steps;

  response& send(std::string bytes) {
    steps.push_back({step::kind::send, std::move(bytes), 0});
    return *this;
  }
  response& pause(int ms) {
    steps.push_back({step::kind::pause, {}, ms});
    return *this;
  }
  // Keeps the connection open and silent until the server stops (or the client goes away).
  response& hold() {
    steps.push_back({step::kind::hold, {}, 0});
    return *this;
  }
  // Waits until the test opens gate n (scripted_server::open_gate) or the server stops: the test
  // sends the next bytes only once it has seen what the client made of the last ones.
  response& gate(int n) {
    steps.push_back({step::kind::gate, {}, n});
    return *this;
  }

  // A 200 text/event-stream head followed by body, then the connection closes.
  static response events(std::string const& body, std::string const& extra_headers = {});
  // A head only: "HTTP/1.1 STATUS", the given headers, Connection: close.
  static response head(std::string const& status, std::string const& headers);
};

class scripted_server {
 public:
  using script = std::function<response(std::size_t index, recorded_request const& request)>;

  explicit scripted_server(script s);
  // Connection i gets responses[i]; later ones get the last.
  explicit scripted_server(std::vector<response> responses);
  ~scripted_server();
  scripted_server(scripted_server const&) = delete;
  scripted_server& operator=(scripted_server const&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::string url(std::string const& path = "/events") const;

  std::vector<recorded_request> requests() const;
  // Opens every gate up to n.
  void open_gate(int n);
  // Bytes sent so far, over all connections (as the kernel took them).
  std::uint64_t bytes_sent() const noexcept { return bytes_sent_; }
  // Stops accepting, releases held connections and joins every thread.
  void stop();

 private:
  void accept_loop();
  void serve(int fd, std::size_t index);
  bool wait_stop(int ms);  // true when stopped

  script script_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> bytes_sent_{0};
  mutable std::mutex mutex_;
  std::vector<recorded_request> requests_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
  std::size_t next_index_ = 0;
  std::mutex gate_mutex_;
  std::condition_variable gate_changed_;
  int gates_open_ = 0;
};

}  // namespace sse::listen::test

#endif
