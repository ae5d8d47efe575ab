// Whether to colour output: only on a terminal, and never when NO_COLOR is set (no-color.org).
#ifndef SSE_TOOLS_TERMINAL_HPP
#define SSE_TOOLS_TERMINAL_HPP

namespace sse::tools {

bool use_colour(int fd);

}  // namespace sse::tools

#endif
