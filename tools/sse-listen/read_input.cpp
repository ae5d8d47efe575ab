#include "read_input.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/diagnostics.hpp"
#include "common/signals.hpp"
#include "outcome.hpp"
#include "wait.hpp"

namespace sse::listen {

exit_status read_stream(int fd, std::string const& name, options const& o,
                        stream_consumer& consumer, std::optional<steady_time> deadline) {
  waiter const wait(deadline);
  transfer_outcome out;
  out.local = true;
  out.where = name;
  out.sentinel = sentinel_option(o);
  std::vector<char> buffer(std::size_t{256} << 10);
  for (;;) {
    wake const w = wait.wait(fd);
    if (w == wake::interrupted || w == wake::timed_out) {
      out.how = w == wake::interrupted ? ending::interrupted : ending::timeout;
      break;
    }
    if (w == wake::failed) {
      tools::error("cannot read " + name + ": " + std::strerror(errno));
      return exit_status::local_io;
    }
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      tools::error("cannot read " + name + ": " + std::strerror(errno));
      return exit_status::local_io;
    }
    if (n == 0) {
      out.how = ending::finished;
      out.discarded = consumer.end_of_stream();
      break;
    }
    out.consumed = consumer.feed(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    if (out.consumed != consume_state::go_on) {
      out.how = ending::consumer_stopped;
      out.consumer_error = consumer.error_message();
      break;
    }
  }
  next_step step = decide(out);
  report(step, o.verbose);
  return step.status;
}

std::optional<std::string> read_whole_file(std::string const& path) {
  int fd = path == "-" ? 0 : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  std::string name = path == "-" ? "standard input" : path;
  if (fd < 0) {
    tools::error("cannot open " + name + ": " + std::strerror(errno));
    return std::nullopt;
  }
  std::string out;
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR && tools::received_signal() != 0) {
      if (fd != 0) ::close(fd);
      return std::nullopt;  // the caller sees the signal
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      tools::error("cannot read " + name + ": " + std::strerror(errno));
      if (fd != 0) ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  if (fd != 0) ::close(fd);
  return out;
}

}  // namespace sse::listen
