// sse-listen: consumes a Server-Sent Events stream (an http(s) URL, stdin or a file) and prints its
// events as text, JSON lines, raw bytes or re-encoded SSE.
#include <CLI/CLI.hpp>
#include <exception>

#include "common/cli.hpp"
#include "common/diagnostics.hpp"
#include "common/signals.hpp"
#include "exit_status.hpp"
#include "listen.hpp"
#include "options.hpp"

int main(int argc, char** argv) {
  sse::tools::set_program_name("sse-listen");
  sse::listen::options opts;
  CLI::App app(
      "Print the events of a Server-Sent Events stream (text/event-stream) as they arrive.",
      "sse-listen");
  sse::listen::add_listen_options(app, opts);
  if (auto status = sse::tools::parse_command_line(app, argc, argv)) return *status;
  sse::listen::exit_status status;
  try {
    status = sse::listen::run(opts);
  } catch (std::exception const& e) {
    sse::tools::error(e.what());
    return static_cast<int>(sse::listen::exit_status::local_io);
  }
  if (status == sse::listen::exit_status::interrupted) {
    sse::tools::reraise(sse::tools::received_signal());
  }
  return static_cast<int>(status);
}
