#include <sse/version.hpp>

namespace sse {
char const* version() noexcept {
  return SSE_VERSION_STRING;
}
}  // namespace sse
