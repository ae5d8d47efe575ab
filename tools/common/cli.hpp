// Running a CLI11 parse with our exit conventions: --help/--version exit 0, usage errors exit 2.
#ifndef SSE_TOOLS_CLI_HPP
#define SSE_TOOLS_CLI_HPP

#include <CLI/CLI.hpp>
#include <optional>

namespace sse::tools {

// Exit status for command-line usage errors, shared by every tool (as in most Unix tools).
inline constexpr int exit_usage = 2;

// Parses argv into app. Returns std::nullopt when the program should go on, or the exit status
// when it should stop now (help or version printed: 0; a usage error reported on stderr: 2).
std::optional<int> parse_command_line(CLI::App& app, int argc, char const* const* argv);

}  // namespace sse::tools

#endif
