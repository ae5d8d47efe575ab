#include "common/terminal.hpp"

#include <unistd.h>

#include <cstdlib>
#include <string_view>

namespace sse::tools {

bool use_colour(int fd) {
  char const* no_colour = std::getenv("NO_COLOR");
  if (no_colour != nullptr && no_colour[0] != '\0') return false;
  char const* term = std::getenv("TERM");
  if (term != nullptr && std::string_view(term) == "dumb") return false;
  return ::isatty(fd) == 1;
}

}  // namespace sse::tools
