#include "listen.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "check.hpp"
#include "common/diagnostics.hpp"
#include "common/signals.hpp"
#include "common/terminal.hpp"
#include "fetch.hpp"
#include "read_input.hpp"
#include "state_file.hpp"
#include "stream_consumer.hpp"
#include "wait.hpp"

namespace sse::listen {
namespace {

bool want_colour(options const& o) {
  if (o.format != output_format::text) return false;
  if (o.colour == "always") return true;
  if (o.colour == "never") return false;
  return tools::use_colour(STDOUT_FILENO);
}

}  // namespace

exit_status run(options const& o) {
  tools::install_signal_handlers();
  std::optional<steady_time> deadline = deadline_after(o.timeout);
  stream_consumer consumer(o, want_colour(o), STDOUT_FILENO);
  for (std::size_t i = 0; i < consumer.sources(); ++i) {
    if (!o.last_event_id.empty()) consumer.set_last_event_id(o.last_event_id, i);
  }
  // Where the state file has an id for a URL, it wins over --last-event-id, which is then only
  // the starting point of a first run.
  std::optional<state_file> state;
  if (!o.state_file.empty()) {
    std::string error;
    state = state_file::load(o.state_file, error);
    if (!state) {
      tools::error(error);
      return exit_status::local_io;
    }
    consumer.keep_state(&*state);
  }

  if (o.local_input()) {
    if (o.input.empty()) return read_stream(STDIN_FILENO, "standard input", o, consumer, deadline);
    int fd = ::open(o.input.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      tools::error("cannot open " + o.input + ": " + std::strerror(errno));
      return exit_status::local_io;
    }
    exit_status s = read_stream(fd, o.input, o, consumer, deadline);
    ::close(fd);
    return s;
  }

  std::optional<std::string> body;
  if (o.data) {
    if (!o.data->empty() && o.data->front() == '@') {
      body = read_whole_file(o.data->substr(1));
      if (!body)
        return tools::received_signal() != 0 ? exit_status::interrupted : exit_status::local_io;
    } else {
      body = *o.data;
    }
  }
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    tools::error("cannot initialise libcurl");
    return exit_status::network;
  }
  exit_status s = o.check ? run_check(o, body) : fetch_stream(o, body, consumer, deadline);
  curl_global_cleanup();
  return s;
}

}  // namespace sse::listen
