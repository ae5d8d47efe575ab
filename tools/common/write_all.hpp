// Writing a whole buffer to a file descriptor, retrying short writes and EINTR.
#ifndef SSE_TOOLS_WRITE_ALL_HPP
#define SSE_TOOLS_WRITE_ALL_HPP

#include <string_view>

namespace sse::tools {

// Writes all of bytes to fd; waits (poll) when fd is non-blocking and full. Returns 0, or the
// errno of the failed write (EPIPE when a reader such as `| head` went away).
int write_all(int fd, std::string_view bytes);

}  // namespace sse::tools

#endif
