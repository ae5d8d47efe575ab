// sse-listen's tests use the harness both tools share.
#ifndef SSE_LISTEN_TEST_CHILD_PROCESS_HPP
#define SSE_LISTEN_TEST_CHILD_PROCESS_HPP

#include "common/child_process.hpp"

namespace sse::listen::test {

using tools::test::child_process;
using tools::test::run_program;
using tools::test::run_result;

}  // namespace sse::listen::test

#endif
