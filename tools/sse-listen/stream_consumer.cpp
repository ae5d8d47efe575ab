#include "stream_consumer.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sse::listen {
namespace {

filter_config make_filter_config(options const& o) {
  filter_config c;
  c.types = o.event_types;
  c.count = o.count;
  c.until_data = o.until_data;
  c.until_event = o.until_event;
  return c;
}

sse::parser_options make_parser_options(options const& o) {
  sse::parser_options p;
  p.max_event_size = o.max_event_size;
  return p;
}

}  // namespace

stream_consumer::stream_consumer(options const& o, bool colour, int out_fd)
    : format_(o.format),
      max_event_size_(o.max_event_size),
      out_fd_(out_fd),
      filter_(make_filter_config(o)),
      printer_(o.format == output_format::raw ? output_format::text : o.format, colour,
               o.json_data),
      parser_(*this, make_parser_options(o)) {
  out_.reserve(std::size_t{64} << 10);
  bool local = !o.input.empty() || o.url == "-";
  passthrough_ = o.format == output_format::raw && o.count == 0 && !o.until_data &&
                 !o.until_event && (o.no_reconnect || local) && o.verbose == 0;
}

consume_state stream_consumer::feed(std::string_view chunk) {
  if (passthrough_) {
    int err = write_all(out_fd_, chunk);
    if (err == 0) return consume_state::go_on;
    if (err == EPIPE) return consume_state::output_closed;
    error_ = std::string("cannot write to standard output: ") + std::strerror(err);
    return consume_state::output_error;
  }
  std::size_t used = parser_.feed(chunk);
  if (format_ == output_format::raw) out_.append(chunk.data(), used);
  if (stopped_) return flush(consume_state::done);
  if (parser_.error() != parse_error::none) {
    error_ = "an event or line longer than --max-event-size (" + std::to_string(max_event_size_) +
             " bytes) at byte " + std::to_string(parser_.error_offset()) + " of the stream";
    return flush(consume_state::too_large);
  }
  return flush(consume_state::go_on);
}

consume_state stream_consumer::flush(consume_state state) {
  if (out_.empty()) return state;
  int err = write_all(out_fd_, out_);
  out_.clear();
  if (err == EPIPE) return consume_state::output_closed;
  if (err != 0) {
    error_ = std::string("cannot write to standard output: ") + std::strerror(err);
    return consume_state::output_error;
  }
  return state;
}

std::size_t stream_consumer::end_of_stream() {
  std::size_t dropped = parser_.finish();
  parser_.reset();
  return dropped;
}

action stream_consumer::on_event(event_view const& ev) {
  ++events_;
  switch (filter_.judge(ev)) {
    case verdict::skip:
      return action::proceed;
    case verdict::print:
      if (format_ != output_format::raw) printer_.print(ev, out_);
      return action::proceed;
    case verdict::print_then_stop:
      if (format_ != output_format::raw) printer_.print(ev, out_);
      stopped_ = true;
      return action::stop;
    case verdict::stop:
      stopped_ = true;
      return action::stop;
  }
  return action::proceed;
}

void stream_consumer::on_retry(std::uint64_t milliseconds) {
  if (retry_callback_) retry_callback_(milliseconds);
}

}  // namespace sse::listen
