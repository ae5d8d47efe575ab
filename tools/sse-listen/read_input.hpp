// The stdin and --input FILE modes: a captured stream is parsed and printed like a live one.
#ifndef SSE_LISTEN_READ_INPUT_HPP
#define SSE_LISTEN_READ_INPUT_HPP

#include <optional>
#include <string>

#include "exit_status.hpp"
#include "options.hpp"
#include "reconnect_policy.hpp"
#include "stream_consumer.hpp"

namespace sse::listen {

// Reads fd to its end (or to a stop) through consumer. name is used in messages.
exit_status read_stream(int fd, std::string const& name, options const& o,
                        stream_consumer& consumer, std::optional<steady_time> deadline);

// Reads a whole file (or stdin for "-") for -d @FILE. Returns nullopt and reports the error.
std::optional<std::string> read_whole_file(std::string const& path);

}  // namespace sse::listen

#endif
