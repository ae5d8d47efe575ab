// Replicas sharing one stream through a real Redis (Debian's redis-server, started by each test on
// a free loopback port without persistence unless a test asks for AOF, stopped by PID): every
// client on every replica gets every event with the same ids; a client moving between replicas
// resumes exactly; Redis restarts are survived (empty: one reset; with its data: nothing lost).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

extern char** environ;

namespace sse::serve::test {
namespace {

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool accepts(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// A redis-server of the test's own: a free port, a scratch directory, no RDB snapshots; AOF only
// when asked (then a restart keeps the data).
class redis_server {
 public:
  explicit redis_server(bool aof = false) : port_(free_port()), aof_(aof) {
    dir_ = std::filesystem::temp_directory_path() /
           ("sse-redis-" + std::to_string(::getpid()) + "-" + std::to_string(port_));
    std::filesystem::create_directories(dir_);
    start();
  }
  ~redis_server() {
    stop(SIGKILL);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  redis_server(redis_server const&) = delete;
  redis_server& operator=(redis_server const&) = delete;

  void start() {
    std::vector<std::string> args{REDIS_SERVER, "--port",       std::to_string(port_),
                                  "--bind",     "127.0.0.1",    "--save",
                                  "",           "--appendonly", aof_ ? "yes" : "no",
                                  "--dir",      dir_.string(),  "--appendfsync",
                                  "always"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    if (::posix_spawn(&pid_, REDIS_SERVER, &actions, nullptr, argv.data(), environ) != 0) {
      throw std::runtime_error("cannot start redis-server");
    }
    posix_spawn_file_actions_destroy(&actions);
    for (auto until = deadline(); !accepts(port_);) {
      if (clock::now() > until) throw std::runtime_error("redis-server did not start");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  // Stops it: SIGKILL loses what was not written; SIGTERM lets AOF finish.
  void stop(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

 private:
  std::uint16_t port_;
  bool aof_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

std::unique_ptr<http_client> open_stream(server_process& s, std::string const& target = "/events",
                                         std::vector<std::string> const& headers = {}) {
  auto c = std::make_unique<http_client>(s.port());
  c->get(target, headers);
  EXPECT_EQ(c->read_head(deadline()).status, 200);
  EXPECT_TRUE(c->wait_open(deadline()));
  return c;
}

std::vector<std::string> data_of(http_client const& c) {
  std::vector<std::string> out;
  for (auto const& e : c.events()) out.push_back(e.data);
  return out;
}

std::string numbered_lines(int from, int to) {
  std::string out;
  for (int i = from; i <= to; ++i) out += "e" + std::to_string(i) + "\n";
  return out;
}

std::vector<std::string> numbered(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i <= to; ++i) out.push_back("e" + std::to_string(i));
  return out;
}

TEST(Redis, ThreeReplicasGiveEveryClientEveryEventWithTheSameIds) {
  redis_server redis;
  server_process a({"--redis", redis.url(), "-v"});
  server_process b({"--redis", redis.url(), "--no-stdin", "-v"});
  server_process c({"--redis", redis.url(), "--no-stdin", "-v"});
  for (auto* s : {&a, &b, &c})
    ASSERT_TRUE(s->wait_stderr("connected; stream key", deadline())) << s->stderr_text();
  auto ca = open_stream(a), cb = open_stream(b), cc = open_stream(c);
  a.write_stdin(numbered_lines(1, 200));
  for (auto* client : {ca.get(), cb.get(), cc.get()}) {
    ASSERT_TRUE(client->read_events(200, deadline()));
    EXPECT_EQ(data_of(*client), numbered(1, 200));
  }
  for (std::size_t i = 0; i < 200; ++i) {
    EXPECT_EQ(ca->events()[i].id, cb->events()[i].id);
    EXPECT_EQ(ca->events()[i].id, cc->events()[i].id);
  }
  EXPECT_NE(ca->events()[0].id.find('-'), std::string::npos);  // a Redis id, MS-SEQ
}

TEST(Redis, AClientMovesToAnotherReplicaAndMissesNothing) {
  redis_server redis;
  auto a = std::make_unique<server_process>(
      std::vector<std::string>{"--redis", redis.url(), "--no-stdin", "-v"});
  ASSERT_TRUE(a->wait_stderr("connected; stream key", deadline()));
  server_process b({"--redis", redis.url(), "--no-stdin", "-v"});
  server_process publisher({"--redis", redis.url(), "-v"});
  for (auto* s : {&b, &publisher}) ASSERT_TRUE(s->wait_stderr("connected; stream key", deadline()));
  auto client = open_stream(*a);
  publisher.write_stdin(numbered_lines(1, 50));
  ASSERT_TRUE(client->read_events(50, deadline()));
  std::string const last_seen = client->events().back().id;
  a->signal(SIGKILL);  // replica A dies mid-stream
  a.reset();
  publisher.write_stdin(numbered_lines(51, 120));  // published while the client is away
  // The client reconnects to B (as a load balancer would send it) with its Last-Event-ID: B's
  // own cache never held those events, so they come from Redis.
  auto moved = open_stream(b, "/events", {"Last-Event-ID: " + last_seen});
  publisher.write_stdin(numbered_lines(121, 150));
  ASSERT_TRUE(moved->read_events(100, deadline()));
  EXPECT_EQ(data_of(*moved), numbered(51, 150));
}

TEST(Redis, RedisRestartedEmptyGivesOneResetAndWithItsDataLosesNothing) {
  {
    redis_server redis;
    server_process a({"--redis", redis.url(), "-v"});
    ASSERT_TRUE(a.wait_stderr("connected; stream key", deadline()));
    auto client = open_stream(a);
    a.write_stdin(numbered_lines(1, 10));
    ASSERT_TRUE(client->read_events(10, deadline()));
    redis.stop(SIGKILL);
    ASSERT_TRUE(a.wait_stderr("retrying (clients stay connected", deadline()));
    a.write_stdin(numbered_lines(11, 12));  // held while Redis is away
    redis.start();                          // empty
    ASSERT_TRUE(a.wait_stderr("clients get a reset event", deadline(std::chrono::seconds(10))))
        << a.stderr_text();
    ASSERT_TRUE(client->read_events(13, deadline())) << a.stderr_text();
    EXPECT_EQ(client->events()[10].type, "sse-reset");
    EXPECT_EQ(client->events()[10].data, R"({"reason":"restarted"})");
    std::vector<std::string> after;
    for (std::size_t i = 11; i < client->events().size(); ++i)
      after.push_back(client->events()[i].data);
    EXPECT_EQ(after, (std::vector<std::string>{"e11", "e12"}));  // the held input, then live
  }
  {
    redis_server redis(true);
    server_process a({"--redis", redis.url(), "-v"});
    ASSERT_TRUE(a.wait_stderr("connected; stream key", deadline()));
    auto client = open_stream(a);
    a.write_stdin(numbered_lines(1, 10));
    ASSERT_TRUE(client->read_events(10, deadline()));
    redis.stop(SIGTERM);
    ASSERT_TRUE(a.wait_stderr("retrying (clients stay connected", deadline()));
    a.write_stdin(numbered_lines(11, 20));
    redis.start();  // with its AOF: the stream is back as it was
    ASSERT_TRUE(a.wait_stderr("connected again", deadline())) << a.stderr_text();
    ASSERT_TRUE(client->read_events(20, deadline()));
    EXPECT_EQ(data_of(*client), numbered(1, 20));  // no reset, no gap, no duplicate
    EXPECT_EQ(a.stderr_text().find("reset"), std::string::npos) << a.stderr_text();
  }
}

TEST(Redis, ResumeWithATopicFilterAndAfterTrimming) {
  redis_server redis;
  server_process a({"--redis", redis.url(), "--format", "json", "--history", "20", "-v"});
  ASSERT_TRUE(a.wait_stderr("connected; stream key", deadline()));
  server_process b({"--redis", redis.url(), "--no-stdin", "--history", "20", "-v"});
  ASSERT_TRUE(b.wait_stderr("connected; stream key", deadline()));
  auto watcher = open_stream(a);
  std::string input;
  for (int i = 1; i <= 10; ++i) {
    input += R"({"data":"e)" + std::to_string(i) + R"(","topic":")" +
             (i % 2 == 0 ? "even" : "odd") + "\"}\n";
  }
  a.write_stdin(input);
  ASSERT_TRUE(watcher->read_events(10, deadline()));
  // Through Redis (B's cache is empty): only even events after e4.
  auto even = open_stream(b, "/events/even", {"Last-Event-ID: " + watcher->events()[3].id});
  ASSERT_TRUE(even->read_events(3, deadline())) << even->events().size() << " " << b.stderr_text();
  EXPECT_EQ(data_of(*even), (std::vector<std::string>{"e6", "e8", "e10"}));

  // Trimmed: with MAXLEN ~ 20 (approximate trimming removes whole nodes, so publish far more),
  // the first ids are gone: a reset, then what Redis holds.
  std::string more;
  for (int i = 11; i <= 2000; ++i) more += R"({"data":"e)" + std::to_string(i) + "\"}\n";
  a.write_stdin(more);
  bool all = watcher->read_events(2000, deadline());
  a.wait_stderr("nothing", clock::now() + std::chrono::milliseconds(100));
  ASSERT_TRUE(all) << watcher->events().size() << " events; " << a.stderr_text();
  server_process c({"--redis", redis.url(), "--no-stdin", "--history", "20", "-v"});
  ASSERT_TRUE(c.wait_stderr("connected; stream key", deadline()));
  auto late = open_stream(c, "/events", {"Last-Event-ID: " + watcher->events()[0].id});
  ASSERT_TRUE(late->read_events(2, deadline()));
  EXPECT_EQ(late->events()[0].type, "sse-reset");
  EXPECT_EQ(late->events()[0].data, R"({"reason":"expired"})");
  EXPECT_EQ(late->events().back().data, "e2000");
}

TEST(Redis, APublisherOnOneReplicaReachesSubscribersOnOthers) {
  redis_server redis;
  std::filesystem::path token =
      std::filesystem::temp_directory_path() / ("sse-redis-token-" + std::to_string(::getpid()));
  { std::ofstream(token) << "pub\n"; }
  server_process a({"--redis", redis.url(), "--no-stdin", "-v"});
  server_process b({"--redis", redis.url(), "--no-stdin", "-v"});
  server_process c(
      {"--redis", redis.url(), "--no-stdin", "--publish-token-file", token.string(), "-v"});
  for (auto* s : {&a, &b, &c}) ASSERT_TRUE(s->wait_stderr("connected; stream key", deadline()));
  auto ca = open_stream(a, "/events/ci"), cb = open_stream(b);
  http_client post(c.port());
  std::string const events = R"([{"data":"a"},{"data":"b"}])";
  post.send(
      "POST /events/ci HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer pub\r\nContent-Type: "
      "application/json\r\n"
      "Content-Length: " +
      std::to_string(events.size()) + "\r\nConnection: close\r\n\r\n" + events);
  response_head h = post.read_head(deadline());
  std::string body = post.read_body(h, deadline());
  EXPECT_EQ(h.status, 201) << body;
  ASSERT_TRUE(ca->read_events(2, deadline()));
  ASSERT_TRUE(cb->read_events(2, deadline()));
  EXPECT_EQ(data_of(*ca), (std::vector<std::string>{"a", "b"}));
  // The ids the publisher was given are the ids every replica's clients see.
  EXPECT_EQ(body, "{\"ids\":[\"" + ca->events()[0].id + "\",\"" + ca->events()[1].id + "\"]}\n");

  // Over HTTP/2 (h2c) the answer also waits for Redis, on the connection's own stream.
  std::string const command = std::string(CURL_PROGRAM) +
                              " -sS --http2-prior-knowledge -H 'Authorization: Bearer pub' "
                              "--data c http://127.0.0.1:" +
                              std::to_string(c.port()) + "/events/ci";
  std::string answer;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    char buf[256];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) answer.append(buf, n);
    EXPECT_EQ(::pclose(p), 0) << command;
  }
  ASSERT_TRUE(ca->read_events(3, deadline()));
  EXPECT_EQ(ca->events()[2].data, "c");
  EXPECT_EQ(answer, "{\"ids\":[\"" + ca->events()[2].id + "\"]}\n");
  std::filesystem::remove(token);
}

}  // namespace
}  // namespace sse::serve::test
