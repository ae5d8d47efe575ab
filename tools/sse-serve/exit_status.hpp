// Every exit status sse-serve can return, in one place (the man page's EXIT STATUS lists the same;
// tests/tools/sse-serve/options_test.cpp checks that it does).
#ifndef SSE_SERVE_EXIT_STATUS_HPP
#define SSE_SERVE_EXIT_STATUS_HPP

#include "common/exit_status.hpp"

namespace sse::serve {

enum class exit_status : int {
  ok = tools::exit_ok,        // stdin ended with --exit-on-eof and every stream was ended
  failure = 1,                // could not listen, could not read stdin or a token file, ...
  usage = tools::exit_usage,  // a command-line error
  // SIGINT/SIGTERM: streams are ended, then the signal is raised again so the shell sees it
};
inline constexpr exit_status all_exit_statuses[] = {exit_status::ok, exit_status::failure,
                                                    exit_status::usage};

}  // namespace sse::serve

#endif
