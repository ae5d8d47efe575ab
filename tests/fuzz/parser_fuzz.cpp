// Fuzz target: the parser on arbitrary bytes under arbitrary chunking. It must never crash, must
// give the same events (own_id included) however the stream is cut, must stop and resume at any
// event without losing or repeating one, and must only ever report valid UTF-8.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sse/encoder.hpp>
#include <sse/parser.hpp>
#include <string>
#include <string_view>

#include "chunking.hpp"

namespace {

struct recorder final : sse::handler {
  std::string log;
  std::size_t events = 0;
  std::size_t stop_at = 0;  // 0: never stop

  sse::action on_event(sse::event_view const& ev) override {
    if (!sse::is_valid_utf8(ev.type) || !sse::is_valid_utf8(ev.data) ||
        !sse::is_valid_utf8(ev.id)) {
      std::fputs("parser_fuzz: an event field is not valid UTF-8\n", stderr);
      std::abort();
    }
    if (ev.type.empty()) {
      std::fputs("parser_fuzz: empty event type dispatched\n", stderr);
      std::abort();
    }
    log.append("E").append(std::to_string(ev.type.size())).append(":").append(ev.type);
    log.append(std::to_string(ev.data.size())).append(":").append(ev.data);
    log.append(std::to_string(ev.id.size())).append(":").append(ev.id);
    log.append(ev.own_id ? "+" : "-");
    ++events;
    return stop_at != 0 && events % stop_at == 0 ? sse::action::stop : sse::action::proceed;
  }
  void on_retry(std::uint64_t ms) override {
    log.append("R").append(std::to_string(ms)).append(";");
  }
  void on_comment(std::string_view text) override {
    log.append("C").append(std::to_string(text.size())).append(":").append(text);
  }
};

// Feeds [data, data+size) in chunks whose sizes come from a small PRNG; re-feeds the rest of a
// chunk whenever the handler stopped. Each chunk is an exactly-sized heap copy.
std::string run(std::string_view input, std::uint32_t seed, std::size_t stop_at,
                sse::parser_options const& options) {
  recorder r;
  r.stop_at = stop_at;
  sse::parser p(r, options);
  sse::fuzz::for_each_chunk(input, seed, 17, [&](std::string_view chunk) {
    std::size_t done = 0;
    while (done < chunk.size()) {  // the rest of a chunk is fed again after a stop
      std::size_t const took = p.feed(chunk.substr(done));
      if (p.error() != sse::parse_error::none) return false;
      done += took;
    }
    return true;
  });
  if (p.error() != sse::parse_error::none) {
    r.log.append("X").append(std::to_string(p.error_offset()));
    return r.log;
  }
  r.log.append("I").append(p.last_event_id());
  r.log.append("D").append(std::to_string(p.finish()));
  return r.log;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  if (size < 2) return 0;
  // The first two bytes choose the options; the rest is the stream.
  sse::parser_options options;
  options.comments = (data[0] & 1) != 0;
  options.max_event_size = (data[0] & 2) != 0 ? 64 : 0;
  std::uint32_t const seed = data[1] + 1u;
  std::string_view const input(reinterpret_cast<char const*>(data + 2), size - 2);

  std::string const whole = run(input, 0, 0, options);
  std::string const chunked = run(input, seed, 0, options);
  std::string const stopping = run(input, seed * 7, 1 + data[1] % 3, options);
  if (whole != chunked || whole != stopping) {
    std::fprintf(
        stderr,
        "parser_fuzz: chunking changed the result\nwhole:    %s\nchunked:  %s\nstopping: %s\n",
        whole.c_str(), chunked.c_str(), stopping.c_str());
    std::abort();
  }
  return 0;
}
