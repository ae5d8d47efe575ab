// sse-serve: streams stdin lines (or a counter) to any number of HTTP clients as Server-Sent
// Events.
#include <CLI/CLI.hpp>

#include "common/cli.hpp"
#include "common/diagnostics.hpp"
#include "exit_status.hpp"
#include "options.hpp"
#include "server.hpp"

int main(int argc, char** argv) {
  sse::tools::set_program_name("sse-serve");
  sse::serve::options opts;
  CLI::App app(
      "Stream standard input (or a counter) to browsers and HTTP clients as Server-Sent Events.",
      "sse-serve");
  sse::serve::add_serve_options(app, opts);
  if (auto status = sse::tools::parse_command_line(app, argc, argv)) return *status;
  try {
    return sse::serve::run(opts);
  } catch (std::exception const& e) {
    sse::tools::error(e.what());
    return static_cast<int>(sse::serve::exit_status::failure);
  }
}
