// Messages for people, on stderr, as "PROG: error: what (where)". Data never goes through here.
#ifndef SSE_TOOLS_DIAGNOSTICS_HPP
#define SSE_TOOLS_DIAGNOSTICS_HPP

#include <string_view>

namespace sse::tools {

void set_program_name(std::string_view name);
std::string_view program_name();

void error(std::string_view message);    // "PROG: error: message"
void warning(std::string_view message);  // "PROG: warning: message"
void info(std::string_view message);     // "PROG: message"

}  // namespace sse::tools

#endif
