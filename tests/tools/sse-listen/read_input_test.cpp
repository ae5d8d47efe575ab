// read_stream: a captured stream on a pipe (or a file) parsed and printed like a live one, with
// the same endings as a connection: its end, a sentinel missing, --timeout, an event too large.
#include "read_input.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>

#include "capture_stderr.hpp"
#include "common/diagnostics.hpp"

namespace sse::listen {
namespace {

using namespace std::chrono_literals;

class pipe_input {
 public:
  pipe_input() { EXPECT_EQ(::pipe(fds_), 0); }
  ~pipe_input() {
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }
  int reader() const { return fds_[0]; }
  void write(std::string const& bytes) {
    EXPECT_EQ(::write(fds_[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  void close_writer() {
    ::close(fds_[1]);
    fds_[1] = -1;
  }

 private:
  int fds_[2] = {-1, -1};
};

// What the consumer printed, from a temporary file (a pipe could fill up).
class output_file {
 public:
  output_file() : file_(std::tmpfile()) {}
  ~output_file() { std::fclose(file_); }
  int fd() const { return ::fileno(file_); }
  std::string text() const {
    std::string out;
    std::rewind(file_);
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file_)) > 0;)
      out.append(buffer, n);
    return out;
  }

 private:
  std::FILE* file_;
};

struct result {
  exit_status status;
  std::string out;
  std::string err;
};

result read_all(pipe_input& in, options const& o, std::optional<steady_time> deadline = {}) {
  tools::set_program_name("sse-listen");
  output_file out;
  stream_consumer consumer(o, false, out.fd());
  test::capture_stderr err;
  exit_status s = read_stream(in.reader(), "standard input", o, consumer, deadline);
  return {s, out.text(), err.text()};
}

TEST(read_input, events_are_printed_and_the_end_of_input_is_success) {
  pipe_input in;
  in.write("data: a\n\nevent: e\nid: 1\ndata: b\n\n");
  in.close_writer();
  options o;
  auto r = read_all(in, o);
  EXPECT_EQ(r.status, exit_status::ok);
  EXPECT_EQ(r.out, "a\n[e #1] b\n");
  EXPECT_EQ(r.err, "");
}

TEST(read_input, verbose_reports_the_end_and_an_unterminated_event) {
  pipe_input in;
  in.write("data: a\n\ndata: partial");
  in.close_writer();
  options o;
  o.verbose = 1;
  auto r = read_all(in, o);
  EXPECT_EQ(r.status, exit_status::ok);
  EXPECT_EQ(r.out, "a\n");
  EXPECT_EQ(r.err,
            "sse-listen: end of standard input\n"
            "sse-listen: discarded 13 bytes of an unterminated event\n");
}

TEST(read_input, the_deadline_ends_a_silent_input_with_timeout) {
  pipe_input in;  // never written, never closed
  in.write("data: before\n\n");
  options o;
  auto r = read_all(in, o, std::chrono::steady_clock::now() + 50ms);
  EXPECT_EQ(r.status, exit_status::timeout);
  EXPECT_EQ(r.out, "before\n");
}

TEST(read_input, a_deadline_already_past_reads_nothing) {
  pipe_input in;
  in.write("data: unread\n\n");
  in.close_writer();
  options o;
  auto r = read_all(in, o, std::chrono::steady_clock::now() - 1s);
  EXPECT_EQ(r.status, exit_status::timeout);
  EXPECT_EQ(r.out, "");
}

TEST(read_input, an_input_that_ends_before_its_sentinel_is_truncated) {
  pipe_input in;
  in.write("data: a\n\nevent: other\ndata: b\n\n");
  in.close_writer();
  options o;
  o.until_event = "done";
  auto r = read_all(in, o);
  EXPECT_EQ(r.status, exit_status::truncated);
  EXPECT_EQ(r.out, "a\n[other] b\n");
  EXPECT_EQ(r.err,
            "sse-listen: error: the stream ended before its --until-event sentinel (truncated)\n");
}

TEST(read_input, the_sentinel_stops_the_reading_with_success) {
  pipe_input in;  // left open: the sentinel, not the end of input, ends the run
  in.write("data: a\n\ndata: [DONE]\n\ndata: after\n\n");
  options o;
  o.until_data = "[DONE]";
  auto r = read_all(in, o, std::chrono::steady_clock::now() + 60s);
  EXPECT_EQ(r.status, exit_status::ok);
  EXPECT_EQ(r.out, "a\n");
}

TEST(read_input, an_event_too_large_is_a_protocol_error_that_names_the_input) {
  pipe_input in;
  in.write("data: " + std::string(100, 'x') + "\n\n");
  in.close_writer();
  options o;
  o.max_event_size = 32;
  auto r = read_all(in, o);
  EXPECT_EQ(r.status, exit_status::protocol);
  EXPECT_NE(r.err.find("--max-event-size (32 bytes)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(standard input)\n"), std::string::npos) << r.err;
}

TEST(read_input, a_closed_output_ends_quietly) {
  std::signal(SIGPIPE, SIG_IGN);
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  ::close(out[0]);
  pipe_input in;
  in.write("data: a\n\n");
  options o;
  stream_consumer consumer(o, false, out[1]);
  test::capture_stderr err;
  EXPECT_EQ(read_stream(in.reader(), "standard input", o, consumer, std::nullopt), exit_status::ok);
  EXPECT_EQ(err.text(), "");
  ::close(out[1]);
}

TEST(read_input, an_unreadable_input_is_a_local_io_error) {
  int dir = ::open("/", O_RDONLY | O_DIRECTORY);
  ASSERT_GE(dir, 0);
  options o;
  output_file out;
  stream_consumer consumer(o, false, out.fd());
  tools::set_program_name("sse-listen");
  test::capture_stderr err;
  EXPECT_EQ(read_stream(dir, "/", o, consumer, std::nullopt), exit_status::local_io);
  EXPECT_EQ(err.text(), "sse-listen: error: cannot read /: Is a directory\n");
  ::close(dir);
}

}  // namespace
}  // namespace sse::listen
