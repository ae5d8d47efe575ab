// Turning stdin bytes into events, per --format: one event per line (lines), one JSON object per
// line (json), or an SSE stream re-sent as it is parsed (sse). No I/O, so every format is tested
// without sockets or processes; stdin_source feeds it what it reads.
#ifndef SSE_SERVE_SOURCES_INPUT_READER_HPP
#define SSE_SERVE_SOURCES_INPUT_READER_HPP

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "hub/event_hub.hpp"

namespace sse::serve {

enum class input_format { lines, json, sse };

struct input_config {
  input_format format = input_format::lines;
  std::string event_type;  // for lines (and json objects without "event"); empty: "message"
  std::string topic;       // of every event (json objects may name another); empty: none
  // The longest line accepted; longer ones are skipped with a warning. With --format sse, an
  // event (its data and type) may be up to 4 times this. 0: no bound.
  std::size_t max_line = std::size_t{1} << 20;
};

struct input_sinks {
  std::function<void(source_event&&)> event;
  std::function<void(std::uint64_t milliseconds)> retry;  // a retry field in --format sse input
  // A problem with the input at `where` ("line 12", "byte 4096"); reading goes on.
  std::function<void(std::string const& where, std::string const& message)> warning;
};

class input_reader {
 public:
  virtual ~input_reader() = default;
  virtual void feed(std::string_view bytes) = 0;
  // The end of the input (a last line without a line break is still a line).
  virtual void finish() = 0;
  // Where the reader is, for a message about the event it just produced ("line 12").
  virtual std::string where() const = 0;
};

std::unique_ptr<input_reader> make_input_reader(input_config const& config, input_sinks sinks);

}  // namespace sse::serve

#endif
