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
  // A comment line: the text after its colon, verbatim. Only called when parser_options::comments.
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

  // The event source's last event ID: the latest "id" field without a NUL, taken over at each blank
  // line (even one that dispatches nothing). An "id" in an event cut off by the end of the stream
  // does not count, as in browsers: it is what EventSource sends as Last-Event-ID on reconnect.
  std::string_view last_event_id() const noexcept { return last_event_id_; }
  void set_last_event_id(std::string_view id) {
    last_event_id_.assign(id);
    id_buffer_.assign(id);
  }

  parse_error error() const noexcept { return error_; }
  // Stream offset (bytes since construction or reset()) of the line that caused the error.
  std::uint64_t error_offset() const noexcept { return error_offset_; }
  // Bytes consumed since construction or the last reset() / finish().
  std::uint64_t offset() const noexcept { return offset_; }

 private:
  enum class storage : unsigned char { chunk, held, transient };

  // A non-empty line; false on error.
  bool process_line(char const* line, std::size_t size, bool non_ascii, storage where);
  char const* after_line_end(char const* eol, char const* end) noexcept;
  action dispatch();
  action emit(std::string_view data);
  bool add_data(std::string_view value, storage where);  // false: the event would be too large
  std::string_view decode(std::string_view value, bool non_ascii, storage& where);
  bool buffer_partial(char const* p, std::size_t n, bool non_ascii, std::uint64_t at);
  void fail(parse_error e, std::uint64_t at);
  void spill_chunk_views();

  handler* handler_;
  parser_options options_;

  std::string line_;      // a partial line carried across chunks (raw bytes)
  std::string held_;      // a completed partial line whose data value is still viewed (see data_)
  std::string data_;      // storage for the data buffer once it is copied (see data_view_)
  std::string type_;      // storage for the event type buffer once it is copied
  std::string id_buffer_;      // the last event ID buffer
  std::string last_event_id_;  // the event source's last event ID string
  std::string scratch_;   // a value repaired for invalid UTF-8

  // The data buffer (lines joined with LF, no trailing LF) and the event type buffer. The first data
  // line of an event is only viewed where it lies (the caller's chunk or held_) and copied into
  // data_ when a second data line comes or the chunk ends; so is a type inside the current chunk.
  std::string_view data_view_;
  std::string_view type_view_;
  storage data_where_ = storage::transient;  // where data_view_ points: chunk, held_, or data_
  bool type_in_chunk_ = false;
  bool has_data_ = false;    // a data field was seen since the last blank line
  bool id_changed_ = false;  // id_buffer_ differs from last_event_id_
  bool line_non_ascii_ = false;  // line_ holds a byte >= 0x80

  bool skip_lf_ = false;     // the previous chunk ended with CR: a leading LF completes that line end
  unsigned char bom_seen_ = 0;   // bytes of a leading BOM matched so far
  bool bom_done_ = false;
  parse_error error_ = parse_error::none;
  std::uint64_t error_offset_ = 0;
  std::uint64_t offset_ = 0;       // stream bytes consumed before the current feed() call
  char const* chunk_begin_ = nullptr;  // the chunk feed() is working on
  std::uint64_t line_start_ = 0;   // stream offset where line_ began
  std::uint64_t block_start_ = 0;  // stream offset just after the latest blank line
};

// Parses a whole stream (feed + finish) and returns its events. For tests and simple users.
SSE_EXPORT std::vector<owned_event> parse_all(std::string_view bytes,
                                              parser_options const& options = {});

}  // namespace sse

#endif
