// The exit statuses every tool gives the same meaning. Each tool's own enum (exit_status.hpp in
// its folder) builds on these and adds its own.
#ifndef SSE_TOOLS_EXIT_STATUS_HPP
#define SSE_TOOLS_EXIT_STATUS_HPP

namespace sse::tools {

inline constexpr int exit_ok = 0;
// Command-line usage errors (as in most Unix tools).
inline constexpr int exit_usage = 2;

// How a shell reports a program ended by signal sig; what a tool returns when it cannot re-raise.
constexpr int exit_signal(int sig) noexcept {
  return 128 + sig;
}

}  // namespace sse::tools

#endif
