// Faults on the server side, end to end: a server killed and restarted mid-stream, a chunked body
// cut mid-chunk, a stream that stalls, and a line that never ends sent as fast as it is read.
#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "scripted_server.hpp"

namespace sse::listen::test {
namespace {

using namespace std::chrono_literals;

const std::string listen_binary = SSE_LISTEN_BINARY;

// ---- 2. A chunked body cut mid-chunk ----------------------------------------------------------

std::string chunk(std::string const& bytes) {
  std::ostringstream s;
  s << std::hex << bytes.size() << "\r\n" << bytes << "\r\n";
  return s.str();
}

// Two complete events in chunks, then a chunk announced as 64 bytes cut after 13 of them.
response cut_chunked_stream() {
  response r = response::head("200 OK", "Content-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n");
  r.send(chunk("retry: 100\nid: 1\ndata: a\n\n"));
  r.send(chunk("id: 2\ndata: b\n\n"));
  r.send("40\r\nid: 3\ndata: c");
  return r;
}

TEST(listen_faults, chunked_body_cut_mid_chunk_without_reconnect_is_a_network_failure) {
  scripted_server server({cut_chunked_stream()});
  auto r = run_program(listen_binary, {"--json", "-v", "--no-reconnect", server.url()}, {}, 60s);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  // Every complete event before the cut, and nothing of the cut one.
  EXPECT_EQ(r.out,
            "{\"event\":\"message\",\"data\":\"a\",\"id\":\"1\"}\n"
            "{\"event\":\"message\",\"data\":\"b\",\"id\":\"2\"}\n");
  EXPECT_NE(r.err.find("sse-listen: error: the stream was cut:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("discarded 13 bytes of an unterminated event"), std::string::npos) << r.err;
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(listen_faults, chunked_body_cut_between_chunks_without_reconnect_is_a_network_failure) {
  // The events are complete, but the body never got its last chunk: the server died.
  response res = response::head("200 OK", "Content-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n");
  res.send(chunk("data: a\n\n"));
  scripted_server server({res});
  auto r = run_program(listen_binary, {"--no-reconnect", server.url()}, {}, 60s);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.out, "a\n");
  EXPECT_NE(r.err.find("sse-listen: error: the stream was cut:"), std::string::npos) << r.err;
}

TEST(listen_faults, chunked_body_that_ends_properly_is_a_clean_end) {
  response res = response::head("200 OK", "Content-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n");
  res.send(chunk("data: a\n\n") + "0\r\n\r\n");
  scripted_server server({res});
  auto r = run_program(listen_binary, {"--no-reconnect", server.url()}, {}, 60s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "a\n");
  EXPECT_EQ(r.err, "");
}

TEST(listen_faults, chunked_body_cut_mid_chunk_then_resumes_with_last_event_id) {
  scripted_server server({cut_chunked_stream(), response::events("id: 3\ndata: c\n\n")});
  auto r = run_program(listen_binary, {"--json", "-n", "3", server.url()}, {}, 60s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"event\":\"message\",\"data\":\"a\",\"id\":\"1\"}\n"
            "{\"event\":\"message\",\"data\":\"b\",\"id\":\"2\"}\n"
            "{\"event\":\"message\",\"data\":\"c\",\"id\":\"3\"}\n");
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_FALSE(requests[0].has_header("Last-Event-ID"));
  EXPECT_EQ(requests[1].header("Last-Event-ID"), "2");
}

// ---- 3. A stream that stalls ------------------------------------------------------------------
// (idle_timeout_drops_a_silent_connection_and_reconnects in listen_e2e_test covers the reconnect.)

TEST(listen_faults, idle_timeout_without_reconnect_is_a_network_failure) {
  scripted_server server({response::events("id: 1\ndata: a\n\ndata: half").hold()});
  auto r = run_program(listen_binary, {"--no-reconnect", "--idle-timeout", "0.3", server.url()}, {}, 60s);
  server.stop();
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.out, "[#1] a\n");
  EXPECT_NE(r.err.find("sse-listen: error: no data for 0.3 s"), std::string::npos) << r.err;
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(listen_faults, idle_timeout_before_the_response_head_without_reconnect_is_a_network_failure) {
  response silent;
  silent.hold();
  scripted_server server({silent});
  auto r = run_program(listen_binary, {"--no-reconnect", "--idle-timeout", "0.3", server.url()}, {}, 60s);
  server.stop();
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("no response within --idle-timeout"), std::string::npos) << r.err;
}

TEST(listen_faults, idle_timeout_with_max_reconnects_ends_as_a_network_failure) {
  scripted_server server({response::events("retry: 100\nid: 1\ndata: a\n\n").hold()});
  auto r = run_program(listen_binary, {"--max-reconnects", "1", "--idle-timeout", "0.3", server.url()}, {}, 60s);
  server.stop();
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.out, "[#1] a\n[#1] a\n");
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].header("Last-Event-ID"), "1");
}

}  // namespace
}  // namespace sse::listen::test
