// End to end, issue 15's transport: real proxies from Debian (tinyproxy for HTTP and CONNECT,
// microsocks for SOCKS5), HTTP/2 against nghttpd, --include, --timestamps, --retry-on-5xx. Every
// server is started by the test on 127.0.0.1; a missing program fails the test (scripts/setup.sh
// installs them).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "e2e_support.hpp"
#include "scripted_server.hpp"

namespace sse::listen::test {
namespace {

using namespace std::chrono_literals;

// sse-listen with extra environment variables (and none of the proxy ones of this process).
run_result listen_with_env(std::vector<std::string> env, std::vector<std::string> const& args) {
  std::vector<std::string> words = {"-u", "http_proxy",  "-u", "https_proxy", "-u", "HTTP_PROXY",
                                    "-u", "HTTPS_PROXY", "-u", "ALL_PROXY",   "-u", "all_proxy",
                                    "-u", "no_proxy",    "-u", "NO_PROXY"};
  words.insert(words.end(), env.begin(), env.end());
  words.push_back(binary);
  words.insert(words.end(), args.begin(), args.end());
  return run_program("/usr/bin/env", words, {}, 60s);
}

void write_file(std::string const& path, std::string const& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// A port that was free a moment ago, for servers that cannot be told to take port 0.
std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// True once something accepts connections on 127.0.0.1:port (before the deadline).
bool accepting(std::uint16_t port, std::chrono::milliseconds deadline = 30s) {
  auto const give_up = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < give_up) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

// A self-signed certificate for 127.0.0.1 in dir (cert.pem, key.pem).
void make_certificate(temp_dir const& dir) {
  auto made = run_program(
      "/bin/sh", {"-c", "cd " + dir.path() +
                            " && " OPENSSL_PROGRAM
                            " req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem"
                            " -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
}

// A TCP relay from a port of its own to target that records every byte it passes, both ways: what a
// proxy's upstream connection carries.
class recording_tap {
 public:
  explicit recording_tap(std::uint16_t target) : target_(target) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listen_fd_, 4) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "recording_tap: cannot listen";
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~recording_tap() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }
  recording_tap(recording_tap const&) = delete;
  recording_tap& operator=(recording_tap const&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::string upstream() const {  // client to server
    std::lock_guard<std::mutex> lock(mutex_);
    return up_;
  }
  std::string downstream() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return down_;
  }

 private:
  void run() {
    pollfd p{listen_fd_, POLLIN, 0};
    while (!stop_ && ::poll(&p, 1, 50) == 0) {
    }
    if (stop_) return;
    int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(target_);
    if (client < 0 || ::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(client);
      ::close(server);
      return;
    }
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    char buf[65536];
    while (!stop_) {
      if (::poll(fds, 2, 50) <= 0) continue;
      bool closed = false;
      for (int i = 0; i < 2; ++i) {
        if (fds[i].revents == 0) continue;
        ssize_t n = ::recv(fds[i].fd, buf, sizeof buf, 0);
        if (n <= 0) {
          closed = true;
          break;
        }
        {
          std::lock_guard<std::mutex> lock(mutex_);
          (i == 0 ? up_ : down_).append(buf, static_cast<std::size_t>(n));
        }
        ::send(fds[1 - i].fd, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
      }
      if (closed) break;
    }
    ::close(client);
    ::close(server);
  }

  std::uint16_t target_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::string up_, down_;
  std::thread thread_;
};

// tinyproxy in the foreground on a free port, logging connections to a file.
class tinyproxy {
 public:
  explicit tinyproxy(temp_dir const& dir) : log_(dir.file("tinyproxy.log")) {
    port_ = free_port();
    std::string const conf = dir.file("tinyproxy.conf");
    write_file(conf,
               "Port " + std::to_string(port_) +
                   "\nListen 127.0.0.1\nTimeout 60\nMaxClients 10\nLogLevel Connect\nLogFile \"" +
                   log_ + "\"\n");
    process_ = std::make_unique<child_process>(TINYPROXY_PROGRAM,
                                               std::vector<std::string>{"-d", "-c", conf});
    EXPECT_TRUE(accepting(port_)) << TINYPROXY_PROGRAM
        " did not start (scripts/setup.sh installs it): "
                                  << process_->err();
  }
  ~tinyproxy() {
    process_->kill(SIGTERM);
    process_->finish(30s);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return read_file(log_); }

 private:
  std::string log_;
  std::uint16_t port_ = 0;
  std::unique_ptr<child_process> process_;
};

response stream_of(std::string const& body, std::string const& extra_headers = {}) {
  return response::events(body, extra_headers);
}

// ---- Proxies --------------------------------------------------------------------------------

TEST(listen_transport,
     an_https_stream_through_an_http_proxy_is_tunnelled_and_the_proxy_sees_no_event_bytes) {
  temp_dir dir;
  make_certificate(dir);
  // openssl s_server -HTTP answers GET /FILE with FILE as the whole response, head included.
  std::string const secret = "secret-event-payload-4217";
  write_file(
      dir.file("events"),
      "HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\nid: 1\ndata: " + secret + "\n\n");
  child_process tls("/bin/sh",
                    {"-c", "cd " + dir.path() +
                               " && exec " OPENSSL_PROGRAM
                               " s_server -accept 127.0.0.1:0 -cert cert.pem -key key.pem -HTTP"});
  ASSERT_TRUE(tls.wait_for(1, "ACCEPT 127.0.0.1:", 30s)) << tls.out() << tls.err();
  auto at = tls.out().find("ACCEPT 127.0.0.1:");
  ASSERT_TRUE(tls.wait_for(1, "\n", 30s, at)) << tls.out();
  auto const tls_port = static_cast<std::uint16_t>(std::stoi(tls.out().substr(at + 17)));

  recording_tap tap(tls_port);  // the proxy's upstream connection goes through it
  tinyproxy proxy(dir);
  std::string const url = "https://127.0.0.1:" + std::to_string(tap.port()) + "/events";
  auto r = listen(
      {"--json", "--no-reconnect", "--proxy", proxy.url(), "--cacert", dir.file("cert.pem"), url});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"event\":\"message\",\"data\":\"" + secret + "\",\"id\":\"1\"}\n");

  // The proxy was asked to tunnel, and did...
  EXPECT_NE(proxy.log().find("CONNECT 127.0.0.1:" + std::to_string(tap.port())), std::string::npos)
      << proxy.log();
  std::string const up = tap.upstream(), down = tap.downstream();
  ASSERT_GE(up.size(), 5u);
  ASSERT_GE(down.size(), 5u);
  EXPECT_EQ(up[0], '\x16') << "a TLS handshake record starts the tunnel";
  // ...but what it relayed holds nothing of the request or the events in the clear.
  for (std::string const& clear : {secret, std::string("data:"), std::string("text/event-stream"),
                                   std::string("GET /events"), std::string("Last-Event-ID")}) {
    EXPECT_EQ(up.find(clear), std::string::npos) << clear;
    EXPECT_EQ(down.find(clear), std::string::npos) << clear;
  }
  tls.kill(SIGTERM);
  tls.finish(30s);
}

TEST(listen_transport, an_http_stream_through_an_http_proxy_from_the_option_or_the_environment) {
  temp_dir dir;
  tinyproxy proxy(dir);
  scripted_server server({stream_of("data: a\n\n")});
  auto via_proxy = [&](std::size_t request) {
    auto requests = server.requests();
    EXPECT_GT(requests.size(), request);
    return requests.size() > request &&
           requests[request].header("Via").find("tinyproxy") != std::string::npos;
  };

  auto option = listen_with_env({}, {"--no-reconnect", "--proxy", proxy.url(), server.url()});
  EXPECT_EQ(option.exit_code, 0) << option.err;
  EXPECT_EQ(option.out, "a\n");
  EXPECT_TRUE(via_proxy(0));

  auto env = listen_with_env({"http_proxy=" + proxy.url()}, {"--no-reconnect", server.url()});
  EXPECT_EQ(env.exit_code, 0) << env.err;
  EXPECT_TRUE(via_proxy(1));

  // libcurl's rules: no_proxy applies to --proxy too; "" turns the variables off; HTTP_PROXY in
  // capitals is ignored for http:// (a CGI program could be handed one by a request header).
  auto excluded = listen_with_env({"no_proxy=127.0.0.1"},
                                  {"--no-reconnect", "--proxy", proxy.url(), server.url()});
  EXPECT_EQ(excluded.exit_code, 0) << excluded.err;
  EXPECT_FALSE(via_proxy(2));
  auto disabled = listen_with_env({"http_proxy=" + proxy.url()},
                                  {"--no-reconnect", "--proxy", "", server.url()});
  EXPECT_EQ(disabled.exit_code, 0) << disabled.err;
  EXPECT_FALSE(via_proxy(3));
  auto capitals = listen_with_env({"HTTP_PROXY=" + proxy.url()}, {"--no-reconnect", server.url()});
  EXPECT_EQ(capitals.exit_code, 0) << capitals.err;
  EXPECT_FALSE(via_proxy(4));
  auto all = listen_with_env({"ALL_PROXY=" + proxy.url()}, {"--no-reconnect", server.url()});
  EXPECT_EQ(all.exit_code, 0) << all.err;
  EXPECT_TRUE(via_proxy(5));
}

TEST(listen_transport, socks5_and_socks5h_through_microsocks) {
  std::uint16_t const port = free_port();
  child_process socks(MICROSOCKS_PROGRAM, {"-i", "127.0.0.1", "-p", std::to_string(port)});
  ASSERT_TRUE(accepting(port)) << MICROSOCKS_PROGRAM
      " did not start (scripts/setup.sh installs it): "
                               << socks.err();
  scripted_server server({stream_of("id: 1\ndata: via socks\n\n")});
  std::string const target = std::to_string(server.port());

  auto r = listen(
      {"--no-reconnect", "--proxy", "socks5://127.0.0.1:" + std::to_string(port), server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[#1] via socks\n");
  EXPECT_TRUE(socks.wait_for(2, "connected to 127.0.0.1:" + target, 30s)) << socks.err();
  // socks5h: the proxy resolves the name, which it logs as it was sent.
  auto h = listen({"--no-reconnect", "--proxy", "socks5h://127.0.0.1:" + std::to_string(port),
                   "http://localhost:" + target + "/events"});
  EXPECT_EQ(h.exit_code, 0) << h.err;
  EXPECT_EQ(h.out, "[#1] via socks\n");
  EXPECT_TRUE(socks.wait_for(2, "connected to localhost:" + target, 30s)) << socks.err();
  ASSERT_EQ(server.requests().size(), 2u);
  socks.kill(SIGTERM);
  socks.finish(30s);
}

TEST(listen_transport, a_proxy_that_refuses_is_a_network_failure) {
  std::uint16_t const port = free_port();  // nothing listens there
  scripted_server server({stream_of("data: a\n\n")});
  auto r = listen(
      {"--no-reconnect", "--proxy", "socks5://127.0.0.1:" + std::to_string(port), server.url()});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(server.requests().empty());
}

// ---- HTTP/2 ---------------------------------------------------------------------------------

// nghttpd serves a directory; a mime.types file makes .sse files text/event-stream.
class nghttpd {
 public:
  nghttpd(temp_dir const& dir, bool tls) {
    write_file(dir.file("mime.types"), "text/event-stream sse\n");
    ::mkdir(dir.file("docs").c_str(), 0755);
    write_file(dir.file("docs/events.sse"), "id: 1\ndata: over h2\n\n");
    port_ = free_port();
    std::vector<std::string> args = {"-a", "127.0.0.1", "-d", dir.file("docs"),
                                     "--mime-types-file=" + dir.file("mime.types")};
    if (!tls) args.push_back("--no-tls");
    args.push_back(std::to_string(port_));
    if (tls) {
      args.push_back(dir.file("key.pem"));
      args.push_back(dir.file("cert.pem"));
    }
    process_ = std::make_unique<child_process>(NGHTTPD_PROGRAM, args);
    EXPECT_TRUE(accepting(port_)) << NGHTTPD_PROGRAM
        " did not start (scripts/setup.sh installs nghttp2-server): "
                                  << process_->err();
  }
  ~nghttpd() {
    process_->kill(SIGTERM);
    process_->finish(30s);
  }
  std::string url(std::string const& scheme) const {
    return scheme + "://127.0.0.1:" + std::to_string(port_) + "/events.sse";
  }

 private:
  std::uint16_t port_ = 0;
  std::unique_ptr<child_process> process_;
};

TEST(listen_transport, http2_with_prior_knowledge_on_plain_http) {
  temp_dir dir;
  nghttpd server(dir, false);
  auto r = listen({"--http2", "--no-reconnect", "--include", server.url("http")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[#1] over h2\n");
  EXPECT_EQ(r.err.rfind("HTTP/2 200\n", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("\ncontent-type: text/event-stream\n"), std::string::npos) << r.err;
  // nghttpd speaks nothing but HTTP/2: without --http2, an http:// request is HTTP/1.1 and fails.
  auto h1 = listen({"--no-reconnect", server.url("http")});
  EXPECT_NE(h1.exit_code, 0) << h1.err;
  EXPECT_EQ(h1.out, "");
}

TEST(listen_transport, http2_is_negotiated_over_tls_and_http1_1_forces_the_old_protocol) {
  temp_dir dir;
  make_certificate(dir);
  nghttpd server(dir, true);
  auto r = listen(
      {"--no-reconnect", "--include", "--cacert", dir.file("cert.pem"), server.url("https")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[#1] over h2\n");
  EXPECT_EQ(r.err.rfind("HTTP/2 200\n", 0), 0u) << r.err;
  auto h1 = listen(
      {"--no-reconnect", "--http1.1", "--cacert", dir.file("cert.pem"), server.url("https")});
  EXPECT_NE(h1.exit_code, 0) << h1.err;
  EXPECT_EQ(h1.out, "");
}

TEST(listen_transport, http1_1_and_http2_exclude_each_other) {
  auto r = listen({"--http1.1", "--http2", "http://127.0.0.1:1/"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("excludes"), std::string::npos) << r.err;
}

// ---- --include ------------------------------------------------------------------------------

TEST(listen_transport, include_shows_each_response_head_on_stderr_before_the_events) {
  scripted_server server({response::head("302 Found", "Location: /events\r\nContent-Length: 0\r\n"),
                          stream_of("data: a\n\n")});
  // The first request is redirected: both heads are shown, as curl -i -L shows them.
  auto r = listen({"--no-reconnect", "--include", server.url("/start")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "a\n");
  EXPECT_EQ(r.err,
            "HTTP/1.1 302 Found\nLocation: /events\nContent-Length: 0\nConnection: close\n\n"
            "HTTP/1.1 200 OK\nContent-Type: text/event-stream\nCache-Control: "
            "no-cache\nConnection: close\n\n");
}

TEST(listen_transport, include_with_json_prints_one_head_line_first_on_stdout) {
  scripted_server server(
      {stream_of("id: 1\ndata: a\n\n", "X-Multi: 1\r\nx-multi: 2\r\nX-Quote: \"q\"\r\n")});
  auto r = listen({"--json", "--no-reconnect", "--include", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_EQ(
      r.out.substr(0, r.out.find('\n')),
      "{\"status\":200,\"headers\":{\"content-type\":\"text/event-stream\",\"cache-control\":"
      "\"no-cache\",\"x-multi\":\"1, 2\",\"x-quote\":\"\\\"q\\\"\",\"connection\":\"close\"}}");
  EXPECT_EQ(lines[1]["data"], "a");
}

TEST(listen_transport, include_shows_a_rejected_response_too) {
  scripted_server server({response::head("404 Not Found", "Content-Type: text/plain\r\n")});
  auto r = listen({"--json", "--include", server.url()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(
      r.out,
      "{\"status\":404,\"headers\":{\"content-type\":\"text/plain\",\"connection\":\"close\"}}\n");
}

// ---- --timestamps ---------------------------------------------------------------------------

// "2024-05-01T12:00:00.123Z" as a time point, or nullopt when it is not that format exactly.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339_ms(std::string const& s) {
  if (s.size() != 24) return std::nullopt;
  std::string const shape = "dddd-dd-ddTdd:dd:dd.dddZ";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    bool ok =
        shape[i] == 'd' ? std::isdigit(static_cast<unsigned char>(s[i])) != 0 : s[i] == shape[i];
    if (!ok) return std::nullopt;
  }
  tm t{};
  t.tm_year = std::stoi(s.substr(0, 4)) - 1900;
  t.tm_mon = std::stoi(s.substr(5, 2)) - 1;
  t.tm_mday = std::stoi(s.substr(8, 2));
  t.tm_hour = std::stoi(s.substr(11, 2));
  t.tm_min = std::stoi(s.substr(14, 2));
  t.tm_sec = std::stoi(s.substr(17, 2));
  return std::chrono::system_clock::from_time_t(::timegm(&t)) +
         std::chrono::milliseconds(std::stoi(s.substr(20, 3)));
}

TEST(listen_transport, timestamps_prefix_each_text_line_and_add_time_to_json) {
  scripted_server server({stream_of("data: one\ndata: two\n\nevent: e\ndata: x\n\n")});
  auto const before =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  auto text = listen({"--no-reconnect", "--timestamps", server.url()});
  auto json = listen({"--no-reconnect", "--timestamps", "--json", server.url()});
  auto const after = std::chrono::system_clock::now();
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(json.exit_code, 0) << json.err;

  std::istringstream lines(text.out);
  std::vector<std::string> rest;
  for (std::string line; std::getline(lines, line);) {
    auto t = parse_rfc3339_ms(line.substr(0, 24));
    ASSERT_TRUE(t) << line;
    EXPECT_GE(*t, before);
    EXPECT_LE(*t, after);
    EXPECT_EQ(line[24], ' ') << line;
    rest.push_back(line.substr(25));
  }
  EXPECT_EQ(rest, (std::vector<std::string>{"one", "two", "[e] x"}));

  auto events = json_lines(json.out);
  ASSERT_EQ(events.size(), 2u);
  for (auto const& e : events) {
    auto t = parse_rfc3339_ms(e["time"].get<std::string>());
    ASSERT_TRUE(t) << e.dump();
    EXPECT_GE(*t, before);
    EXPECT_LE(*t, after);
  }
  // "time" comes after the contract's keys.
  EXPECT_EQ(
      json.out.rfind("{\"event\":\"message\",\"data\":\"one\\ntwo\",\"id\":\"\",\"time\":\"", 0),
      0u)
      << json.out;
}

// ---- --retry-on-5xx -------------------------------------------------------------------------

TEST(listen_transport, retry_on_5xx_waits_the_retry_after_seconds) {
  scripted_server server(
      {response::head("503 Service Unavailable", "Retry-After: 1\r\nContent-Type: text/plain\r\n")
           .send("busy\n"),
       stream_of("data: back\n\n")});
  auto r = listen({"--retry-on-5xx", "-n", "1", "--retry", "100", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "back\n");
  EXPECT_NE(r.err.find("sse-listen: warning: server answered HTTP/1.1 503 Service Unavailable (" +
                       server.url() + "); retrying in "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(" (Retry-After 1.0 s + up to 20%)\nbusy\n"), std::string::npos) << r.err;
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_GE(requests[1].at - requests[0].at, 1s) << "came back before the Retry-After";
}

std::string http_date(std::chrono::system_clock::time_point t) {
  time_t secs = std::chrono::system_clock::to_time_t(t);
  tm utc{};
  ::gmtime_r(&secs, &utc);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return buf;
}

TEST(listen_transport, retry_on_5xx_waits_until_a_retry_after_date) {
  scripted_server server([](std::size_t i, recorded_request const&) {
    if (i > 0) return stream_of("data: back\n\n");
    // Two seconds from now, in whole seconds: at least one second's wait.
    return response::head(
        "503 Service Unavailable",
        "Retry-After: " + http_date(std::chrono::system_clock::now() + 2s) + "\r\n");
  });
  auto r = listen({"--retry-on-5xx", "-n", "1", "--retry", "100", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_GE(requests[1].at - requests[0].at, 1s);
}

TEST(listen_transport, retry_on_5xx_without_retry_after_backs_off_from_the_reconnection_time) {
  scripted_server server({response::head("502 Bad Gateway", ""),
                          response::head("502 Bad Gateway", ""), stream_of("data: back\n\n")});
  auto r = listen({"--retry-on-5xx", "-n", "1", "--retry", "100", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find(" (100 ms ± 20%)\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" (200 ms ± 20%)\n"), std::string::npos) << r.err;
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(listen_transport, without_retry_on_5xx_a_503_fails_at_once_and_4xx_are_never_retried) {
  scripted_server busy({response::head("503 Service Unavailable", "Retry-After: 1\r\n")});
  auto r = listen({busy.url()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(busy.requests().size(), 1u);
  scripted_server missing({response::head("404 Not Found", "")});
  auto m = listen({"--retry-on-5xx", missing.url()});
  EXPECT_EQ(m.exit_code, 1) << m.err;
  EXPECT_EQ(missing.requests().size(), 1u);
}

}  // namespace
}  // namespace sse::listen::test
