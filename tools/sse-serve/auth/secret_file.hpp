// Reading a file that holds secrets (a token list, a JWT key). Every error names the file and
// says what is wrong with it, never what it holds.
#ifndef SSE_SERVE_AUTH_SECRET_FILE_HPP
#define SSE_SERVE_AUTH_SECRET_FILE_HPP

#include <cstddef>
#include <optional>
#include <string>

namespace sse::serve {

// The whole content of path, or nullopt with error set to "cannot read PATH: REASON" or "PATH is
// larger than N bytes". The bound keeps a mistaken path (/dev/zero, a log) from eating memory.
std::optional<std::string> read_secret_file(std::string const& path, std::size_t max_bytes,
                                            std::string& error);

}  // namespace sse::serve

#endif
