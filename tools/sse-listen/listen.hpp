// One run of sse-listen: picks the input (URL, stdin, --input) and returns the exit status.
#ifndef SSE_LISTEN_LISTEN_HPP
#define SSE_LISTEN_LISTEN_HPP

#include "exit_status.hpp"
#include "options.hpp"

namespace sse::listen {

exit_status run(options const& o);

}  // namespace sse::listen

#endif
