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

// Accepts a number of seconds from 0 (or, without zero_allowed, above 0) to max (finite: it
// becomes a std::chrono duration, which a huge value would overflow). CLI11's NonNegativeNumber
// accepts inf and writes the whole range of a double into its message.
CLI::Validator seconds_up_to(double max, bool zero_allowed = true);

// A transform for unsigned 64-bit options: digits only, at most 2^64-1 (CLI11 2.1 reads "-1" and
// too many digits as 2^64-1, and "010" as octal 8), leading zeros dropped.
CLI::Validator whole_number();

// Parses argv into app. Returns std::nullopt when the program should go on, or the exit status
// when it should stop now (help or version printed: 0; a usage error reported on stderr: 2).
std::optional<int> parse_command_line(CLI::App& app, int argc, char const* const* argv);

}  // namespace sse::tools

#endif
