#include "stream_consumer.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <string>
#include <vector>

namespace sse::listen {
namespace {

// A SOCK_SEQPACKET pair keeps message boundaries: each write(2) on one end is one recv() on the
// other, so the tests can count the writes the consumer makes.
class seqpacket {
 public:
  seqpacket() {
    std::signal(SIGPIPE, SIG_IGN);
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds_), 0);
  }
  ~seqpacket() {
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }
  int writer() const { return fds_[0]; }
  void close_reader() {
    ::close(fds_[1]);
    fds_[1] = -1;
  }
  // Every message written so far, one string per write(2).
  std::vector<std::string> messages() {
    std::vector<std::string> out;
    std::string buf(1 << 20, '\0');
    for (;;) {
      ssize_t n = ::recv(fds_[1], buf.data(), buf.size(), MSG_DONTWAIT);
      if (n <= 0) break;
      out.emplace_back(buf.data(), static_cast<std::size_t>(n));
    }
    return out;
  }

 private:
  int fds_[2] = {-1, -1};
};

options with(output_format f) {
  options o;
  o.url = "http://example/";
  o.format = f;
  return o;
}

TEST(stream_consumer, everything_from_one_chunk_is_one_write) {
  seqpacket out;
  stream_consumer c(with(output_format::json), false, out.writer());
  EXPECT_EQ(c.feed("data: 1\n\ndata: 2\n\nevent: e\ndata: 3\n\ndata: par"), consume_state::go_on);
  EXPECT_EQ(c.feed("tial\n\n"), consume_state::go_on);
  EXPECT_EQ(c.feed(": only a comment\n"), consume_state::go_on);  // nothing to print: no write
  auto messages = out.messages();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0],
            "{\"event\":\"message\",\"data\":\"1\",\"id\":\"\"}\n"
            "{\"event\":\"message\",\"data\":\"2\",\"id\":\"\"}\n"
            "{\"event\":\"e\",\"data\":\"3\",\"id\":\"\"}\n");
  EXPECT_EQ(messages[1], "{\"event\":\"message\",\"data\":\"partial\",\"id\":\"\"}\n");
  EXPECT_EQ(c.events(), 4u);
}

TEST(stream_consumer, count_stops_in_the_middle_of_a_chunk) {
  seqpacket out;
  options o = with(output_format::text);
  o.count = 2;
  stream_consumer c(o, false, out.writer());
  EXPECT_EQ(c.feed("data: 1\n\ndata: 2\n\ndata: 3\n\n"), consume_state::done);
  EXPECT_EQ(out.messages(), std::vector<std::string>{"1\n2\n"});
}

TEST(stream_consumer, raw_output_ends_with_the_event_that_stops) {
  seqpacket out;
  options o = with(output_format::raw);
  o.until_event = "end";
  stream_consumer c(o, false, out.writer());
  EXPECT_EQ(c.feed("data: 1\n\nevent: end\ndata:\n\ndata: after\n\n"), consume_state::done);
  EXPECT_EQ(out.messages(), std::vector<std::string>{"data: 1\n\nevent: end\ndata:\n\n"});
}

TEST(stream_consumer, raw_passthrough_writes_each_chunk_as_is) {
  seqpacket out;
  options o = with(output_format::raw);
  o.no_reconnect = true;
  stream_consumer c(o, false, out.writer());
  EXPECT_EQ(c.feed("data: 1\n"), consume_state::go_on);
  EXPECT_EQ(c.feed("\ndata: unterminated"), consume_state::go_on);
  EXPECT_EQ(out.messages(), (std::vector<std::string>{"data: 1\n", "\ndata: unterminated"}));
}

TEST(stream_consumer, the_event_size_limit_is_reported) {
  seqpacket out;
  options o = with(output_format::text);
  o.max_event_size = 100;
  stream_consumer c(o, false, out.writer());
  EXPECT_EQ(c.feed("data: ok\n\ndata: " + std::string(200, 'x')), consume_state::too_large);
  EXPECT_EQ(out.messages(), std::vector<std::string>{"ok\n"});
  EXPECT_NE(c.error_message().find("--max-event-size (100 bytes)"), std::string::npos)
      << c.error_message();
}

TEST(stream_consumer, a_closed_reader_is_output_closed) {
  seqpacket out;
  out.close_reader();
  stream_consumer c(with(output_format::text), false, out.writer());
  EXPECT_EQ(c.feed("data: 1\n\n"), consume_state::output_closed);
}

TEST(stream_consumer, retry_fields_reach_the_callback) {
  seqpacket out;
  stream_consumer c(with(output_format::text), false, out.writer());
  std::vector<std::uint64_t> seen;
  c.on_retry_field([&](std::uint64_t ms) { seen.push_back(ms); });
  c.feed("retry: 1500\nretry: x\nretry: 0\n\n");
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{1500, 0}));
}

TEST(stream_consumer, end_of_stream_discards_the_partial_event_and_keeps_the_last_id) {
  seqpacket out;
  stream_consumer c(with(output_format::text), false, out.writer());
  c.feed("id: 3\ndata: a\n\nid: 4\ndata: cut");
  EXPECT_EQ(c.end_of_stream(), 15u);  // "id: 4\n" and "data: cut"
  EXPECT_EQ(c.last_event_id(), "3");
  c.feed("data: b\n\n");
  EXPECT_EQ(out.messages(), (std::vector<std::string>{"[#3] a\n", "[#3] b\n"}));
}

}  // namespace
}  // namespace sse::listen
