// The path every received chunk takes: libsse parser → event_filter → printer → one write(2) of
// everything the chunk produced. Shared by the HTTP client and the stdin / --input modes.
#ifndef SSE_LISTEN_STREAM_CONSUMER_HPP
#define SSE_LISTEN_STREAM_CONSUMER_HPP

#include <cstddef>
#include <cstdint>
#include <functional>
#include <sse/parser.hpp>
#include <string>
#include <string_view>

#include "common/write_all.hpp"
#include "event_filter.hpp"
#include "options.hpp"
#include "printer.hpp"

namespace sse::listen {

enum class consume_state {
  go_on,          // feed more
  done,           // --count reached or a sentinel seen: exit 0
  too_large,      // the parser's limit was exceeded: exit 1 (error_message() says where)
  output_closed,  // the reader of stdout went away (EPIPE): exit quietly
  output_error,   // write(2) failed otherwise: exit 5
};

using sse::tools::write_all;

class stream_consumer final : public sse::handler {
 public:
  stream_consumer(options const& o, bool colour, int out_fd);

  // Called for each "retry:" field, with its value.
  void on_retry_field(std::function<void(std::uint64_t)> f) { retry_callback_ = std::move(f); }

  // Parses a chunk, prints what it yields, and writes that with one write(2) before returning.
  consume_state feed(std::string_view chunk);

  // The end of one connection's stream: returns the bytes of an unterminated event that were
  // discarded, and readies the parser for the next connection (the last event ID stays).
  std::size_t end_of_stream();

  // The last event ID: what the next request sends as Last-Event-ID, and what --json shows.
  std::string_view last_event_id() const noexcept { return parser_.last_event_id(); }
  // Sets it before the first request (--last-event-id).
  void set_last_event_id(std::string_view id) { parser_.set_last_event_id(id); }

  event_filter const& filter() const noexcept { return filter_; }
  std::string const& error_message() const noexcept { return error_; }
  std::uint64_t events() const noexcept { return events_; }

  action on_event(event_view const& ev) override;
  void on_retry(std::uint64_t milliseconds) override;

 private:
  consume_state flush(consume_state state);

  output_format format_;
  std::size_t max_event_size_;
  int out_fd_;
  event_filter filter_;
  printer printer_;
  sse::parser parser_;
  std::function<void(std::uint64_t)> retry_callback_;
  std::string out_;
  std::string error_;
  std::uint64_t events_ = 0;
  bool stopped_ = false;
  // --raw with nothing that needs the events (no count, sentinel, reconnection or -v): the bytes
  // go straight from the chunk to stdout, unparsed, as cat would move them.
  bool passthrough_ = false;
};

}  // namespace sse::listen

#endif
