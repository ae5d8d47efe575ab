#include "sources/sse_reader.hpp"

#include <utility>

namespace sse::serve {
namespace {

sse::parser_options options_for(std::size_t max_line) {
  sse::parser_options o;
  o.max_event_size = max_line * 4;  // 0 stays 0: no bound
  return o;
}

}  // namespace

sse_reader::sse_reader(std::size_t max_line, std::string topic, input_sinks sinks)
    : topic_(std::move(topic)), sinks_(std::move(sinks)), parser_(*this, options_for(max_line)) {}

std::string sse_reader::where() const {
  return "byte " + std::to_string(base_ + parser_.offset());
}

void sse_reader::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    if (skipping_) {
      skip(bytes);
      if (bytes.empty()) return;
    }
    std::size_t const used = parser_.feed(bytes);
    if (parser_.error() == sse::parse_error::none) return;
    sinks_.warning("byte " + std::to_string(base_ + parser_.error_offset()),
                   std::string("SSE input: ") + sse::to_string(parser_.error()) +
                       " (4 x --max-line); the event is skipped");
    base_ += parser_.offset() + used;
    parser_.reset();  // keeps the last event ID
    bytes.remove_prefix(used);
    skipping_ = true;
    line_start_ = false;
    after_cr_ = false;
  }
}

void sse_reader::skip(std::string_view& bytes) {
  std::size_t i = 0;
  for (; i < bytes.size(); ++i) {
    char const c = bytes[i];
    if (c != '\n' && c != '\r') {
      line_start_ = false;
      after_cr_ = false;
      continue;
    }
    if (c == '\n' && after_cr_) {  // the LF of a CRLF: the same line end
      after_cr_ = false;
      continue;
    }
    if (line_start_) {  // a line end right after a line end: the blank line ends the event
      skipping_ = false;
      ++i;
      break;
    }
    line_start_ = true;
    after_cr_ = c == '\r';
  }
  base_ += i;
  bytes.remove_prefix(i);
}

void sse_reader::finish() {
  std::uint64_t const end = base_ + parser_.offset();
  bool const cut = !skipping_ && parser_.finish() > 0;
  base_ = end;  // the parser counts from 0 again after finish()
  if (cut)
    sinks_.warning("byte " + std::to_string(end), "SSE input ended inside an event; it is dropped");
}

sse::action sse_reader::on_event(sse::event_view const& ev) {
  source_event out;
  out.data.assign(ev.data);
  if (ev.type != "message") out.type.assign(ev.type);
  out.topic = topic_;
  // The parser's id persists across events; only an id given for this event is re-sent as its own
  // (an empty one resets the client's id, which the hub's own sequence id does better).
  if (ev.own_id && !ev.id.empty()) out.id.emplace(ev.id);
  sinks_.event(std::move(out));
  return sse::action::proceed;
}

void sse_reader::on_retry(std::uint64_t milliseconds) {
  sinks_.retry(milliseconds);
}

}  // namespace sse::serve
