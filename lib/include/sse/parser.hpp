// The incremental text/event-stream parser, exactly as the WHATWG HTML standard's "Server-sent
// events" section interprets a stream. No I/O: the caller feeds byte chunks of any size.
#ifndef SSE_PARSER_HPP
#define SSE_PARSER_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <sse/event.hpp>
#include <sse/export.hpp>

namespace sse {

// What the handler wants after an event: keep parsing, or return from feed() right after it.
enum class action { proceed, stop };

// Receives what the parser finds. Views point into the fed chunk or the parser's buffers and are
// valid only during the call.
class SSE_EXPORT handler {
 public:
  virtual ~handler();
  virtual action on_event(event_view const& ev) = 0;
  // A "retry" field whose value is all ASCII digits. Values beyond 2^64-1 saturate.
  virtual void on_retry(std::uint64_t milliseconds);
  // A comment line (":..." without the colon). Only called when parser_options::comments is set.
  virtual void on_comment(std::string_view text);
};

// Errors are sticky: once set, feed() consumes nothing until reset().
enum class parse_error {
  none = 0,
  event_too_large,  // a line, or an event's buffered data and type, exceeded max_event_size
};

SSE_EXPORT char const* to_string(parse_error e) noexcept;

struct parser_options {
  // Bound on the bytes of one line and on the bytes buffered for one event (data + type). Memory
  // held by the parser stays within a small multiple of this. 0 means no bound.
  std::size_t max_event_size = std::size_t{16} << 20;  // 16 MiB
  // Report comment lines to handler::on_comment (they are skipped otherwise).
  bool comments = false;
};

class SSE_EXPORT parser {
 public:
  explicit parser(handler& h, parser_options const& options = {});

  // Parses the next chunk of the stream. Returns the number of bytes consumed: all of them, unless
  // the handler returned action::stop (then the position just after the line that dispatched the
  // event; feed the rest later to continue) or an error occurred.
  std::size_t feed(std::string_view chunk);

  // The end of the stream: an event without its final blank line is discarded, as the standard
  // says. Returns the number of bytes so discarded (a pending partial line and event). The parser
  // is then ready for a new stream (see reset()).
  std::size_t finish();

  // Prepares for a new connection: drops all pending state, keeps the last event ID (EventSource
  // sends it as Last-Event-ID when it reconnects), clears any error.
  void reset();

  // The last event ID buffer: the value of the latest "id" field without a NUL.
  std::string_view last_event_id() const noexcept { return last_event_id_; }
  void set_last_event_id(std::string_view id) { last_event_id_.assign(id); }

  parse_error error() const noexcept { return error_; }
  // Stream offset (bytes since construction or reset()) of the line that caused the error.
  std::uint64_t error_offset() const noexcept { return error_offset_; }
  // Bytes consumed since construction or the last reset() / finish().
  std::uint64_t offset() const noexcept { return offset_; }

 private:
  action process_line(char const* line, std::size_t size, bool maybe_non_ascii);
  action process_field(std::string_view name, std::string_view value, bool maybe_non_ascii);
  action dispatch();
  bool fail(parse_error e);
  void spill_views();
  std::size_t feed_bom(char const*& p, char const* end);

  handler* handler_;
  parser_options options_;

  std::string line_;     // a partial line carried across chunks (raw bytes)
  std::string data_;     // data lines joined, each followed by LF
  std::string type_;     // the event type buffer
  std::string last_event_id_;
  std::string scratch_;  // a line repaired for invalid UTF-8

  // A single data line or type that still lies inside the current chunk is only viewed, not copied;
  // it is copied into data_ / type_ when a second data line arrives or the chunk ends.
  std::string_view data_view_;
  std::string_view type_view_;
  bool data_in_view_ = false;
  bool type_in_view_ = false;
  bool has_data_ = false;   // a data field was seen since the last dispatch

  bool skip_lf_ = false;    // the previous chunk ended with CR: a leading LF finishes that line end
  unsigned char bom_seen_ = 0;   // bytes of a leading BOM matched so far
  bool bom_done_ = false;
  parse_error error_ = parse_error::none;
  std::uint64_t error_offset_ = 0;
  std::uint64_t offset_ = 0;
};

// Parses a whole stream (feed + finish) and returns its events. For tests and simple users.
SSE_EXPORT std::vector<owned_event> parse_all(std::string_view bytes,
                                              parser_options const& options = {});

}  // namespace sse

#endif
