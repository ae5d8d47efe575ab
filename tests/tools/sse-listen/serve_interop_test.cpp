// sse-listen against the real sse-serve: what a CI script does with the two tools.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>

#include "child_process.hpp"

namespace sse::listen::test {
namespace {

using namespace std::chrono_literals;

TEST(listen_with_serve, json_events_from_stdin_lines) {
  child_process serve(SSE_SERVE_BINARY, {"--port", "0", "--ping", "0"});
  ASSERT_TRUE(serve.wait_for(2, "/\n", 30s)) << serve.err();
  auto at = serve.err().find("listening on http://");
  ASSERT_NE(at, std::string::npos) << serve.err();
  at += std::string_view("listening on ").size();
  std::string base = serve.err().substr(at, serve.err().find('\n', at) - at);  // http://HOST:PORT/

  // A fresh client gets the live stream only, so the lines are written once it is attached: its
  // -v output shows the response head, which sse-serve sends after attaching the stream.
  child_process listen(SSE_LISTEN_BINARY,
                       {"--json", "-n", "2", "-v", "--timeout", "60", base + "events"});
  ASSERT_TRUE(listen.wait_for(2, " 200 ", 30s)) << listen.err();
  serve.write_stdin("a\nb\n");
  auto r = listen.finish(60s);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"event\":\"message\",\"data\":\"a\",\"id\":\"1\"}\n"
            "{\"event\":\"message\",\"data\":\"b\",\"id\":\"2\"}\n");
  serve.kill(SIGTERM);
  auto s = serve.finish(30s);
  EXPECT_FALSE(s.timed_out);
}

// A server at --max-clients turns an event-stream client away with a stream that ends at once and a
// retry: sse-listen takes it as an end, reconnects after that time, and gets in once a slot frees.
TEST(listen_with_serve, turned_away_while_full_it_comes_back) {
  child_process serve(SSE_SERVE_BINARY,
                      {"--port", "0", "--ping", "0", "--max-clients", "1", "--retry", "100", "-v"});
  ASSERT_TRUE(serve.wait_for(2, "/\n", 30s)) << serve.err();
  auto at = serve.err().find("listening on http://") + std::string_view("listening on ").size();
  std::string base = serve.err().substr(at, serve.err().find('\n', at) - at);

  child_process holder(SSE_LISTEN_BINARY, {base + "events"});
  ASSERT_TRUE(serve.wait_for(2, "(1 clients)", 30s)) << serve.err();
  child_process listen(SSE_LISTEN_BINARY, {"-n", "1", "-v", "--timeout", "60", base + "events"});
  ASSERT_TRUE(serve.wait_for(2, "turned away: too many clients", 30s)) << serve.err();
  ASSERT_TRUE(listen.wait_for(2, "reconnecting in", 30s)) << listen.err();
  holder.kill(SIGTERM);
  holder.finish(30s);
  // It is live once it has a slot; events are sent until one reaches it.
  bool got = false;
  for (int i = 0; i < 300 && !got; ++i) {
    serve.write_stdin("tick\n");
    got = listen.wait_for(1, "tick\n", 100ms);
  }
  EXPECT_TRUE(got) << listen.err();
  auto r = listen.finish(60s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("] tick\n"), std::string::npos) << r.out;  // "[#ID] tick"
  serve.kill(SIGTERM);
  EXPECT_FALSE(serve.finish(30s).timed_out);
}

}  // namespace
}  // namespace sse::listen::test
