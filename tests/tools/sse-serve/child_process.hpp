// sse-serve's tests run other programs (curl, nghttp, openssl, sse-listen) with the harness both
// tools share.
#ifndef SSE_SERVE_TEST_CHILD_PROCESS_HPP
#define SSE_SERVE_TEST_CHILD_PROCESS_HPP

#include <string>
#include <vector>

#include "common/child_process.hpp"
#include "test_support.hpp"

namespace sse::serve::test {

using tools::test::child_process;
using command_result = tools::test::run_result;

// Runs a command to its end with no input; kills it at the deadline (exit_code -1 then).
inline command_result run_command(std::vector<std::string> const& argv,
                                  clock::time_point until = deadline()) {
  child_process c(argv);
  c.close_stdin();
  return c.finish(until);
}

}  // namespace sse::serve::test

#endif
