// sse-listen --check end to end, against real servers each test starts on a loopback port and
// stops by its PID: sse-serve, nginx in front of it (buffering, gzip), nginx + nchan, and scripted
// servers (no ids, silent, the wrong type). The conditions are built far from the doctor's
// thresholds (events 200 ms apart against lumps of dozens), and only deadlines are timed.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "scripted_server.hpp"

namespace sse::listen::test {
namespace {

using namespace std::chrono_literals;

// What one --check --json run said: the verdict of each check, its exit status, the report.
struct checked {
  run_result run;
  nlohmann::json report;
  std::map<std::string, std::string> verdicts;

  std::string const& operator[](std::string const& name) const {
    static std::string const missing = "(missing)";
    auto it = verdicts.find(name);
    return it == verdicts.end() ? missing : it->second;
  }
  std::string detail(std::string const& name) const {
    for (auto const& c : report["checks"]) {
      if (c["name"] == name) return c["detail"].get<std::string>();
    }
    return {};
  }
};

checked check(std::string const& url, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--check", "--json"};
  if (std::find(extra.begin(), extra.end(), "--check-time") == extra.end()) {
    args.insert(args.end(), {"--check-time", "4"});
  }
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(url);
  checked c;
  c.run = run_program(SSE_LISTEN_BINARY, args, {}, 120s);
  EXPECT_FALSE(c.run.timed_out) << c.run.err;
  try {
    c.report = nlohmann::json::parse(c.run.out);
    for (auto const& item : c.report["checks"]) {
      c.verdicts[item["name"].get<std::string>()] = item["verdict"].get<std::string>();
    }
  } catch (nlohmann::json::exception const& e) {
    ADD_FAILURE() << e.what() << "\nstdout: " << c.run.out << "\nstderr: " << c.run.err;
  }
  return c;
}

// sse-serve on a free port; its base URL, http://127.0.0.1:PORT/.
struct serve {
  explicit serve(std::vector<std::string> args) : process(SSE_SERVE_BINARY, with_port(args)) {
    if (!process.wait_for(2, "/\n", 30s)) {
      ADD_FAILURE() << "sse-serve did not start: " << process.err();
      return;
    }
    auto at = process.err().find("listening on http://");
    at += std::string_view("listening on ").size();
    base = process.err().substr(at, process.err().find('\n', at) - at);
  }
  ~serve() {
    process.kill(SIGTERM);
    process.finish(30s);
  }
  static std::vector<std::string> with_port(std::vector<std::string> args) {
    args.insert(args.begin(), {"--port", "0", "--host", "127.0.0.1"});
    return args;
  }
  child_process process;
  std::string base;
};

// A port nothing listens on now (the kernel's pick for a socket closed at once).
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool connects(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// One HTTP/1.0 request on a fresh connection; the whole response.
std::string http_request(int port, std::string const& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

// nginx as this test's own process (not a daemon), with the http block's body given; `user root`
// when the test runs as root, where nginx would otherwise switch its worker to nobody.
struct nginx {
  nginx(std::string const& http_body, bool nchan = false) {
    char tmpl[] = "/tmp/sse-check-nginx-XXXXXX";
    dir = ::mkdtemp(tmpl);
    port = free_port();
    std::ofstream conf(dir + "/nginx.conf");
    if (nchan) conf << "load_module " << NCHAN_MODULE << ";\n";
    if (::geteuid() == 0) conf << "user root;\n";
    conf << "worker_processes 1;\nevents { worker_connections 64; }\nhttp {\n  access_log off;\n";
    for (char const* temp : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
      conf << "  " << temp << "_temp_path " << dir << "/" << temp << ";\n";
    }
    conf << "  server {\n    listen 127.0.0.1:" << port << ";\n" << http_body << "  }\n}\n";
    conf.close();
    process = std::make_unique<child_process>(
        NGINX_PROGRAM,
        std::vector<std::string>{"-p", dir, "-c", dir + "/nginx.conf", "-g",
                                 "daemon off; pid " + dir + "/nginx.pid; error_log stderr;"});
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!connects(port) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    EXPECT_TRUE(connects(port)) << "nginx did not start (is it installed? scripts/setup.sh)";
  }
  ~nginx() {
    process->kill(SIGTERM);
    auto r = process->finish(30s);
    EXPECT_FALSE(r.timed_out);
    std::string rm = "rm -rf '" + dir + "'";
    EXPECT_EQ(std::system(rm.c_str()), 0);
  }
  std::string url(std::string const& path) const {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }
  std::string dir;
  int port = 0;
  std::unique_ptr<child_process> process;
};

// The upstream block of a proxy in front of sse-serve at base ("http://127.0.0.1:PORT/").
std::string proxy_to(std::string const& base, std::string const& directives) {
  return "    location / { proxy_pass " + base + "; " + directives + " }\n";
}

TEST(check_e2e, sse_serve_direct_is_healthy) {
  serve s({"--counter", "--interval", "0.2", "--ping", "1", "--retry", "1000"});
  auto c = check(s.base + "events");
  EXPECT_EQ(c.run.exit_code, 0) << c.run.out << c.run.err;
  for (char const* name : {"status", "content-type", "cache-control", "content-encoding",
                           "buffering", "proxy", "keep-alive", "resume", "retry"}) {
    EXPECT_EQ(c[name], "pass") << name << ": " << c.detail(name);
  }
  // sse-serve speaks HTTP/1.1 on http://, where browsers' six-connection limit applies.
  EXPECT_EQ(c["http-version"], "warn");
  EXPECT_EQ(c["cors"], "n/a");
  EXPECT_NE(c.detail("resume").find("no gap and no duplicate"), std::string::npos);
  EXPECT_EQ(c.report["summary"]["fail"], 0);
}

// The same server over HTTP/2 with prior knowledge (what sse-serve speaks beside HTTP/1.1 on a
// plaintext port): every check that applies passes.
TEST(check_e2e, sse_serve_over_http2_passes_every_check) {
  serve s({"--counter", "--interval", "0.2", "--ping", "1", "--retry", "1000"});
  auto c = check(s.base + "events", {"--http2"});
  EXPECT_EQ(c.run.exit_code, 0) << c.run.out << c.run.err;
  for (char const* name : {"status", "content-type", "cache-control", "content-encoding",
                           "buffering", "proxy", "keep-alive", "resume", "retry", "http-version"}) {
    EXPECT_EQ(c[name], "pass") << name << ": " << c.detail(name);
  }
  EXPECT_EQ(c.report["summary"]["warn"], 0);
  EXPECT_EQ(c.report["summary"]["fail"], 0);
}

// nginx's defaults for a proxied location (buffering on, HTTP/1.0 to the upstream) with small
// buffers: the counter's small events wait in a buffer until it fills, and come in lumps.
TEST(check_e2e, nginx_proxy_buffering_fails_buffering) {
  serve s({"--counter", "--interval", "0.01", "--ping", "1"});
  nginx n(proxy_to(s.base,
                   "proxy_buffering on; proxy_buffer_size 1k; proxy_buffers 4 1k; "
                   "proxy_busy_buffers_size 1k; proxy_ignore_headers X-Accel-Buffering;"));
  auto c = check(n.url("/events"), {"--check-time", "5"});
  EXPECT_EQ(c.run.exit_code, 1) << c.run.out << c.run.err;
  EXPECT_EQ(c["buffering"], "fail") << c.detail("buffering");
  EXPECT_NE(c.detail("buffering").find("Server: nginx"), std::string::npos);
  EXPECT_EQ(c["proxy"], "warn");
}

TEST(check_e2e, nginx_gzip_fails_content_encoding) {
  serve s({"--counter", "--interval", "0.2", "--ping", "1", "--retry", "1000"});
  nginx n(proxy_to(s.base,
                   "proxy_http_version 1.1; proxy_buffering off; gzip on; "
                   "gzip_types text/event-stream; gzip_min_length 1;"));
  auto c = check(n.url("/events"));
  EXPECT_EQ(c.run.exit_code, 1) << c.run.out << c.run.err;
  EXPECT_EQ(c["content-encoding"], "fail") << c.detail("content-encoding");
  EXPECT_EQ(c["status"], "pass");
  EXPECT_EQ(c["content-type"], "pass");
}

// nchan keeps the last messages of a channel and replays after Last-Event-ID; it sends no
// Cache-Control and, by default, no keep-alive comments. Messages are published before the check,
// so its window is quiet after the opening.
TEST(check_e2e, nchan_gets_its_honest_verdicts) {
  nginx n(
      "    location = /sub { nchan_subscriber eventsource; nchan_channel_id check; }\n"
      "    location = /pub { nchan_publisher; nchan_channel_id check; }\n",
      true);
  for (int i = 1; i <= 6; ++i) {
    std::string body = "message " + std::to_string(i);
    std::string reply =
        http_request(n.port, "POST /pub HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: " +
                                 std::to_string(body.size()) + "\r\n\r\n" + body);
    ASSERT_NE(reply.find(" 20"), std::string::npos) << reply;
  }
  auto c = check(n.url("/sub"), {"--origin", "https://app.example"});
  EXPECT_EQ(c.run.exit_code, 0) << c.run.out << c.run.err;
  EXPECT_EQ(c["status"], "pass");
  EXPECT_EQ(c["content-type"], "pass");   // text/event-stream; charset=utf-8
  EXPECT_EQ(c["cache-control"], "warn");  // none sent
  EXPECT_EQ(c["content-encoding"], "pass");
  EXPECT_NE(c["buffering"], "fail") << c.detail("buffering");  // the replay comes at once
  EXPECT_EQ(c["keep-alive"], "warn") << c.detail("keep-alive");
  EXPECT_EQ(c["resume"], "pass") << c.detail("resume");
  EXPECT_EQ(c["retry"], "pass");
  EXPECT_EQ(c["cors"], "pass") << c.detail("cors");
  EXPECT_EQ(c["cors-credentials"], "pass") << c.detail("cors-credentials");
  EXPECT_EQ(c["cors-preflight"], "n/a");
}

response stream_head() {
  return response::head("200 OK",
                        "Content-Type: text/event-stream\r\nCache-Control: no-cache, "
                        "no-transform\r\n");
}

TEST(check_e2e, events_without_ids_leave_resume_not_applicable) {
  response r = stream_head();
  r.send(": open\n\n");
  for (int i = 0; i < 100; ++i) r.pause(100).send("data: tick\n\n");
  r.hold();
  scripted_server server({r});
  auto c = check(server.url());
  EXPECT_EQ(c.run.exit_code, 0) << c.run.out << c.run.err;
  EXPECT_EQ(c["resume"], "n/a") << c.detail("resume");
  EXPECT_NE(c.detail("resume").find("no event carried an id"), std::string::npos);
  EXPECT_EQ(c["keep-alive"], "pass") << c.detail("keep-alive");
  EXPECT_EQ(server.requests().size(), 1u);  // no reconnection without ids
  server.stop();
}

TEST(check_e2e, silent_stream_warns_on_keep_alive) {
  response r = stream_head();
  r.hold();
  scripted_server server({r});
  auto run =
      run_program(SSE_LISTEN_BINARY, {"--check", "--check-time", "3", server.url()}, {}, 120s);
  EXPECT_FALSE(run.timed_out);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  // The window is the time watched after the head: 3.0 s, or a little more on a busy machine.
  EXPECT_NE(run.out.find("\u26a0 keep-alive: nothing arrived in the whole 3."), std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("idle timeouts start at 30 s"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("- buffering: n/a: nothing arrived"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\nsummary: "), std::string::npos) << run.out;
  EXPECT_NE(run.err.find("checking " + server.url()), std::string::npos) << run.err;
  server.stop();
}

TEST(check_e2e, wrong_content_type_fails) {
  response r = response::head("200 OK", "Content-Type: text/plain\r\n");
  r.send("data: 1\n\n").hold();
  scripted_server server({r});
  auto c = check(server.url());
  EXPECT_EQ(c.run.exit_code, 1) << c.run.out << c.run.err;
  EXPECT_EQ(c["content-type"], "fail") << c.detail("content-type");
  EXPECT_EQ(c["buffering"], "n/a");
  server.stop();
}

TEST(check_e2e, usage_errors) {
  auto r = run_program(SSE_LISTEN_BINARY, {"--check-time", "3", "http://127.0.0.1:1/"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("needs --check"), std::string::npos) << r.err;
  r = run_program(SSE_LISTEN_BINARY, {"--check", "--raw", "http://127.0.0.1:1/"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = run_program(SSE_LISTEN_BINARY,
                  {"--check", "--origin", "https://a.example/path", "http://127.0.0.1:1/"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = run_program(SSE_LISTEN_BINARY, {"--check", "--check-time", "0", "http://127.0.0.1:1/"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

}  // namespace
}  // namespace sse::listen::test
