// Wires one server together (io_context, hub, history, listener, source, signals) and runs it.
#ifndef SSE_SERVE_SERVER_HPP
#define SSE_SERVE_SERVER_HPP

#include "options.hpp"

namespace sse::serve {

// Runs until stdin ends with --exit-on-eof (returns 0) or a signal arrives (re-raises it).
// Returns exit_status::failure when the server cannot start.
int run(options const& opts);

}  // namespace sse::serve

#endif
