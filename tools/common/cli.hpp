// Running a CLI11 parse with our exit conventions: --help/--version exit 0, usage errors exit 2.
#ifndef SSE_TOOLS_CLI_HPP
#define SSE_TOOLS_CLI_HPP

#include <CLI/CLI.hpp>
#include <optional>

#include "common/exit_status.hpp"

namespace sse::tools {

// Makes every named option that takes a value take exactly one value per occurrence. CLI11 2.1
// lets a vector option (-H, -e, --header) swallow every following word, so `-H 'K: V' URL` read
// the URL as a second header. Called last in each add_*_options, so a new option is covered too.
void one_value_per_occurrence(CLI::App& app);

// Parses argv into app. Returns std::nullopt when the program should go on, or the exit status
// when it should stop now (help or version printed: 0; a usage error reported on stderr: 2).
std::optional<int> parse_command_line(CLI::App& app, int argc, char const* const* argv);

}  // namespace sse::tools

#endif
