// The incremental text/event-stream parser, exactly as the WHATWG HTML standard's "Server-sent
// events" section interprets a stream. No I/O: the caller feeds byte chunks of any size.
#ifndef SSE_PARSER_HPP
#define SSE_PARSER_HPP

#include <cstddef>
#include <cstdint>
#include <memory>
#include <sse/event.hpp>
#include <sse/export.hpp>
#include <string>
#include <string_view>
#include <vector>

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

// Not copyable (it stands for one position in one stream); movable. A moved-from parser may only be
// destroyed or assigned to. Its state lives behind a pointer (struct impl, in parser.cpp), so the
// fields can change without changing this class's size or layout: see the ABI policy in README.md.
class SSE_EXPORT parser {
 public:
  explicit parser(handler& h, parser_options const& options = {});
  ~parser();
  parser(parser&& other) noexcept;
  parser& operator=(parser&& other) noexcept;
  parser(parser const&) = delete;
  parser& operator=(parser const&) = delete;

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
  std::string_view last_event_id() const noexcept;
  // Replaces the last event ID (and the pending ID buffer), e.g. with the Last-Event-ID a client
  // resumes from. The next event's own_id is false unless the stream gives it an "id" field.
  void set_last_event_id(std::string_view id);

  parse_error error() const noexcept;
  // Stream offset (bytes since construction or reset()) of the line that caused the error.
  std::uint64_t error_offset() const noexcept;
  // Bytes consumed since construction or the last reset() / finish().
  std::uint64_t offset() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// Parses a whole stream (feed + finish) and returns its events. For tests and simple users.
SSE_EXPORT std::vector<owned_event> parse_all(std::string_view bytes,
                                              parser_options const& options = {});

}  // namespace sse

#endif
