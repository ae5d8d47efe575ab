#include "read_input.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/diagnostics.hpp"
#include "common/signals.hpp"

namespace sse::listen {

exit_status read_stream(int fd, std::string const& name, options const& o, stream_consumer& consumer,
                        std::optional<steady_time> deadline) {
  std::vector<char> buffer(std::size_t{256} << 10);
  for (;;) {
    if (tools::received_signal() != 0) return exit_status::interrupted;
    int wait = -1;
    if (deadline) {
      auto now = std::chrono::steady_clock::now();
      if (now >= *deadline) return exit_status::timeout;
      wait = static_cast<int>(std::chrono::ceil<milliseconds>(*deadline - now).count());
    }
    pollfd fds[2] = {{fd, POLLIN, 0}, {tools::signal_fd(), POLLIN, 0}};
    int ready = ::poll(fds, tools::signal_fd() >= 0 ? 2 : 1, wait);
    if (ready < 0 && errno != EINTR) {
      tools::error("cannot read " + name + ": " + std::strerror(errno));
      return exit_status::local_io;
    }
    if (ready <= 0 || (fds[0].revents == 0)) continue;
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      tools::error("cannot read " + name + ": " + std::strerror(errno));
      return exit_status::local_io;
    }
    if (n == 0) break;
    switch (consumer.feed(std::string_view(buffer.data(), static_cast<std::size_t>(n)))) {
      case consume_state::go_on:
        continue;
      case consume_state::done:
      case consume_state::output_closed:
        return exit_status::ok;
      case consume_state::too_large:
        tools::error(consumer.error_message() + " (" + name + ")");
        return exit_status::protocol;
      case consume_state::output_error:
        tools::error(consumer.error_message());
        return exit_status::local_io;
    }
  }
  std::size_t dropped = consumer.end_of_stream();
  if (o.verbose > 0) {
    tools::info("end of " + name);
    if (dropped > 0) tools::info("discarded " + std::to_string(dropped) + " bytes of an unterminated event");
  }
  if (consumer.filter().has_sentinel()) {
    tools::error(std::string("the stream ended before its ") +
                 (o.until_event ? "--until-event" : "--until-data") + " sentinel (truncated)");
    return exit_status::truncated;
  }
  return exit_status::ok;
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
