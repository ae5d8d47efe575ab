#include "stream_consumer.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
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
  o.urls = {"http://example/"};
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
  c.on_retry_field([&](std::size_t, std::uint64_t ms) { seen.push_back(ms); });
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

// ---- Issue 15: several sources, timestamps, --state-file, --exec ----------------------------

TEST(stream_consumer, rfc3339_with_milliseconds_in_utc) {
  using std::chrono::milliseconds;
  using clock = std::chrono::system_clock;
  EXPECT_EQ(rfc3339_ms(clock::time_point{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(rfc3339_ms(clock::time_point(milliseconds(1714564800123))), "2024-05-01T12:00:00.123Z");
  EXPECT_EQ(rfc3339_ms(clock::time_point(milliseconds(-1))), "1969-12-31T23:59:59.999Z");
}

TEST(stream_consumer, each_source_has_its_own_parser_and_last_event_id) {
  seqpacket out;
  options o = with(output_format::json);
  o.urls = {"http://a/", "http://b/"};
  stream_consumer c(o, false, out.writer());
  ASSERT_EQ(c.sources(), 2u);
  EXPECT_EQ(c.source_name(1), "http://b/");
  c.feed("id: 1\ndata: half", 0);
  c.feed("id: 9\ndata: b\n\n", 1);
  c.feed(" of a\n\n", 0);
  EXPECT_EQ(c.last_event_id(0), "1");
  EXPECT_EQ(c.last_event_id(1), "9");
  EXPECT_EQ(
      out.messages(),
      (std::vector<std::string>{
          "{\"event\":\"message\",\"data\":\"b\",\"id\":\"9\",\"url\":\"http://b/\"}\n",
          "{\"event\":\"message\",\"data\":\"half of a\",\"id\":\"1\",\"url\":\"http://a/\"}\n"}));
}

TEST(stream_consumer, text_from_several_sources_prefixes_every_line) {
  seqpacket out;
  options o = with(output_format::text);
  o.urls = {"http://a/", "http://b/"};
  stream_consumer c(o, false, out.writer());
  c.feed("data: 1\ndata: 2\n\nevent: t\ndata: x\n\n", 1);
  EXPECT_EQ(out.messages(),
            std::vector<std::string>{"http://b/ 1\nhttp://b/ 2\nhttp://b/ [t] x\n"});
}

TEST(stream_consumer, timestamps_are_the_chunks_receive_time) {
  seqpacket out;
  options o = with(output_format::json);
  o.timestamps = true;
  stream_consumer c(o, false, out.writer());
  c.feed("data: 1\n\ndata: 2\n\n");
  auto m = out.messages();
  ASSERT_EQ(m.size(), 1u);
  // One time for the whole chunk, after the contract's keys.
  auto first = m[0].find(",\"time\":\"");
  ASSERT_NE(first, std::string::npos) << m[0];
  std::string const time = m[0].substr(first + 9, 24);
  EXPECT_EQ(time.size(), 24u);
  EXPECT_EQ(time.back(), 'Z');
  EXPECT_EQ(m[0], "{\"event\":\"message\",\"data\":\"1\",\"id\":\"\",\"time\":\"" + time +
                      "\"}\n{\"event\":\"message\",\"data\":\"2\",\"id\":\"\",\"time\":\"" + time +
                      "\"}\n");
}

class state_path {
 public:
  state_path() {
    char name[] = "/tmp/sse-consumer-state-XXXXXX";
    int fd = ::mkstemp(name);
    ::close(fd);
    path_ = name;
    std::remove(name);
  }
  ~state_path() { std::remove(path_.c_str()); }
  std::string const& path() const { return path_; }
  std::string text() const {
    std::ifstream in(path_);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  std::string path_;
};

std::string kept(std::string const& url, std::string const& id) {
  return format_state({{url, id}});
}

TEST(stream_consumer, the_state_file_is_written_after_the_chunks_output) {
  seqpacket out;
  state_path path;
  std::string error;
  auto state = state_file::load(path.path(), error);
  ASSERT_TRUE(state) << error;
  stream_consumer c(with(output_format::text), false, out.writer());
  c.keep_state(&*state);
  EXPECT_EQ(c.feed("id: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\ndata: cut"), consume_state::go_on);
  EXPECT_EQ(out.messages(), std::vector<std::string>{"[#1] a\n[#2] b\n"});
  EXPECT_EQ(path.text(), kept("http://example/", "2"));
  // A chunk whose output cannot be delivered does not move the id.
  out.close_reader();
  EXPECT_EQ(c.feed("\n\n"), consume_state::output_closed);
  EXPECT_EQ(path.text(), kept("http://example/", "2"));
}

TEST(stream_consumer, a_saved_id_is_where_a_source_starts) {
  seqpacket out;
  state_path path;
  std::ofstream(path.path()) << kept("http://example/", "41");
  std::string error;
  auto state = state_file::load(path.path(), error);
  ASSERT_TRUE(state) << error;
  stream_consumer c(with(output_format::text), false, out.writer());
  c.keep_state(&*state);
  EXPECT_EQ(c.last_event_id(), "41");
}

TEST(stream_consumer, with_exec_events_are_queued_and_ids_saved_as_commands_succeed) {
  seqpacket out;
  state_path path;
  std::string error;
  auto state = state_file::load(path.path(), error);
  ASSERT_TRUE(state) << error;
  options o = with(output_format::text);
  o.exec = "[ \"$SSE_ID\" != 3 ]";
  o.event_types = {"job"};
  stream_consumer c(o, false, out.writer());
  c.keep_state(&*state);
  EXPECT_EQ(c.feed("event: job\nid: 1\ndata: a\n\nid: 2\ndata: skipped\n\n"
                   "event: job\nid: 3\ndata: fails\n\nid: 4\ndata: after\n\n"),
            consume_state::go_on);
  EXPECT_TRUE(c.has_pending());
  EXPECT_EQ(path.text(), "") << "nothing is kept before its command ran";
  pending_result r = c.run_pending(waiter(std::nullopt));
  EXPECT_EQ(r.state, consume_state::exec_failed);
  EXPECT_FALSE(r.stopped);
  EXPECT_FALSE(c.has_pending());
  // Event 1's command succeeded (and event 2 was not selected); event 3's failed.
  EXPECT_EQ(path.text(), kept("http://example/", "1"));
  EXPECT_EQ(c.error_message(),
            "the --exec command exited with status 1 (event 'job', id 3, http://example/)");
  EXPECT_TRUE(out.messages().empty()) << "with --exec, sse-listen prints nothing itself";
}

TEST(stream_consumer, with_exec_and_ignored_errors_the_chunks_last_id_is_kept) {
  seqpacket out;
  state_path path;
  std::string error;
  auto state = state_file::load(path.path(), error);
  ASSERT_TRUE(state) << error;
  options o = with(output_format::text);
  o.exec = "exit 1";
  o.exec_errors_ignore = true;
  stream_consumer c(o, false, out.writer());
  c.keep_state(&*state);
  c.feed("id: 1\ndata: a\n\nid: 2\n\n");
  pending_result r = c.run_pending(waiter(std::nullopt));
  EXPECT_EQ(r.state, consume_state::go_on);
  EXPECT_EQ(path.text(), kept("http://example/", "2"));
}

}  // namespace
}  // namespace sse::listen
