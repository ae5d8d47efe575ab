// The path every received chunk takes: libsse parser → event_filter → printer → one write(2) of
// everything the chunk produced (or, with --exec, a queue of commands the caller runs before it
// reads on). Then, with --state-file, the source's last event id is saved. Shared by the HTTP
// client and the stdin / --input modes. Several sources (URLs) each have their own parser and last
// event id; the filter (--count, the sentinels), the printer and the output are the run's, shared.
#ifndef SSE_LISTEN_STREAM_CONSUMER_HPP
#define SSE_LISTEN_STREAM_CONSUMER_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <sse/parser.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/write_all.hpp"
#include "event_filter.hpp"
#include "exec_runner.hpp"
#include "options.hpp"
#include "printer.hpp"
#include "state_file.hpp"
#include "wait.hpp"

namespace sse::listen {

enum class consume_state {
  go_on,          // feed more
  done,           // --count reached or a sentinel seen: exit 0
  too_large,      // the parser's limit was exceeded: exit 1 (error_message() says where)
  output_closed,  // the reader of stdout went away (EPIPE): exit quietly
  output_error,   // write(2) to stdout or the state file failed: exit 5
  exec_failed,    // an --exec command failed (with --exec-errors stop): exit 6
};

using sse::tools::write_all;

// A response's status line and header fields, for --include.
struct response_head {
  std::string status_line;  // "HTTP/1.1 200 OK", without its line end
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // as received
};

// What running the queued --exec commands came to.
struct pending_result {
  consume_state state = consume_state::go_on;  // go_on, exec_failed or output_error
  std::optional<wake> stopped;  // interrupted or timed_out: the run must end (commands dropped)
};

// t as RFC 3339 UTC with milliseconds: "2024-05-01T12:00:00.123Z".
std::string rfc3339_ms(std::chrono::system_clock::time_point t);

class stream_consumer final {
 public:
  // One source per URL of o, or one for stdin or --input.
  stream_consumer(options const& o, bool colour, int out_fd);
  ~stream_consumer();

  std::size_t sources() const noexcept { return sources_.size(); }
  // The source as given: its URL, "-" or the --input file.
  std::string const& source_name(std::size_t source) const;

  // Called for each "retry:" field, with its source and value.
  void on_retry_field(std::function<void(std::size_t, std::uint64_t)> f) {
    retry_callback_ = std::move(f);
  }

  // With --state-file: the ids are saved there (and a source starts from its saved id).
  void keep_state(state_file* state);

  // Parses a chunk of source's stream, prints what it yields, and writes that with one write(2)
  // before returning; then saves source's last event id. With --exec, the selected events are
  // queued instead (run_pending runs them) and ids are saved as their commands succeed.
  consume_state feed(std::string_view chunk, std::size_t source = 0);

  // --exec: commands queued by feed() wait to be run. The caller does not feed more until they ran.
  bool has_pending() const noexcept { return !pending_.empty(); }
  // Runs the queued commands one at a time, in order, waiting with w.
  pending_result run_pending(waiter const& w);

  // --include: prints a response head (stderr, or a JSON line on stdout with --json).
  consume_state print_head(std::size_t source, response_head const& head);

  // The end of one connection's stream: returns the bytes of an unterminated event that were
  // discarded, and readies the parser for the next connection (the last event ID stays).
  std::size_t end_of_stream(std::size_t source = 0);

  // The last event ID: what the next request sends as Last-Event-ID, and what --json shows.
  std::string_view last_event_id(std::size_t source = 0) const noexcept;
  // Sets it before the first request (--last-event-id, --state-file).
  void set_last_event_id(std::string_view id, std::size_t source = 0);

  event_filter const& filter() const noexcept { return filter_; }
  std::string const& error_message() const noexcept { return error_; }
  std::uint64_t events() const noexcept { return events_; }

 private:
  class source;
  friend class source;
  struct pending {
    bool run;  // true: run the command for this event; false: save id (the end of a chunk)
    std::size_t source;
    std::string type, data, id;
  };

  action on_event(std::size_t source, event_view const& ev);
  void on_retry(std::size_t source, std::uint64_t ms);
  void decorate(std::size_t source, std::size_t from);
  std::string const& chunk_time();
  consume_state flush(consume_state state);
  consume_state save(std::size_t source, std::string_view id);

  output_format format_;
  std::size_t max_event_size_;
  int out_fd_;
  event_filter filter_;
  printer printer_;
  std::vector<std::unique_ptr<source>> sources_;
  std::function<void(std::size_t, std::uint64_t)> retry_callback_;
  std::string out_;
  std::string error_;
  std::uint64_t events_ = 0;
  bool stopped_ = false;
  // --raw with nothing that needs the events (no count, sentinel, reconnection, -v or state): the
  // bytes go straight from the chunk to stdout, unparsed, as cat would move them.
  bool passthrough_ = false;

  // Issue 15: several sources, timestamps, --state-file, --exec.
  bool show_source_ = false;  // more than one URL: each event names its source
  bool timestamps_ = false;
  std::optional<std::string> chunk_time_;  // the receive time of the chunk being fed
  state_file* state_ = nullptr;
  std::optional<exec_runner> exec_;
  bool exec_ignore_errors_ = false;
  std::deque<pending> pending_;
};

}  // namespace sse::listen

#endif
