// Fuzz target: sse-serve's stdin readers (make_input_reader) for --format lines, json and sse.
// The first byte picks the format and options, the second the chunking; the rest is stdin. They
// must never crash, must give the same events, retries and warnings (at the same places) however
// stdin is cut, and every event must be one the hub can send: lines and sse events always pass
// sse::validate, a json event that does not is refused with a reason.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sse/encoder.hpp>
#include <string>
#include <string_view>

#include "chunking.hpp"
#include "sources/input_reader.hpp"

namespace {

using sse::serve::input_format;

[[noreturn]] void fail(char const* what, std::string const& detail) {
  std::fprintf(stderr, "stdin_fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

void field(std::string& log, char tag, std::string_view s) {
  log.push_back(tag);
  log.append(std::to_string(s.size())).push_back(':');
  log.append(s);
}

std::string run(input_format format, std::string const& type, std::size_t max_line,
                std::string_view input, std::uint32_t seed) {
  std::string log;
  auto on_event = [&](sse::serve::source_event&& ev) {
    sse::event e;
    e.data = ev.data;
    e.type = ev.type;
    if (ev.id) e.id = *ev.id;
    e.retry = ev.retry;
    sse::encode_error const err = sse::validate(e);
    if (err != sse::encode_error::none) {
      char const* reason = sse::to_string(err);
      if (format != input_format::json) fail("an event the hub cannot send", reason);
      if (reason == nullptr || *reason == '\0') fail("a refused event without a reason", "");
      field(log, 'X', reason);
      return;
    }
    field(log, 'T', ev.type);
    field(log, 'D', ev.data);
    if (ev.id) field(log, 'I', *ev.id);
    if (ev.retry) field(log, 'R', std::to_string(*ev.retry));
  };
  sse::serve::input_sinks sinks;
  sinks.event = on_event;
  sinks.retry = [&](std::uint64_t ms) { field(log, 'r', std::to_string(ms)); };
  sinks.warning = [&](std::string const& where, std::string const& message) {
    if (message.empty()) fail("a warning without a message", "");
    if (where.empty()) fail("a warning without a place", message);
    field(log, 'W', where + " " + message);
  };
  sse::serve::input_config config;
  config.format = format;
  config.event_type = type;
  config.max_line = max_line;
  auto reader = sse::serve::make_input_reader(config, sinks);

  sse::fuzz::for_each_chunk(input, seed, 23, [&](std::string_view chunk) {
    reader->feed(chunk);
    return true;
  });
  reader->finish();
  log.append("L").append(reader->where());
  return log;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  if (size < 2) return 0;
  input_format const format = (data[0] & 3) == 1   ? input_format::json
                              : (data[0] & 3) == 2 ? input_format::sse
                                                   : input_format::lines;
  std::size_t const max_line = (data[0] & 4) != 0 ? 16 : std::size_t{1} << 20;
  std::string const type = (data[0] & 8) != 0 ? "tick" : "";
  std::uint32_t const seed = data[1] + 1u;
  std::string_view const input(reinterpret_cast<char const*>(data + 2), size - 2);

  std::string const whole = run(format, type, max_line, input, 0);
  std::string const chunked = run(format, type, max_line, input, seed);
  if (whole != chunked)
    fail("chunking changed the result", "whole:   " + whole + "\nchunked: " + chunked);
  return 0;
}
