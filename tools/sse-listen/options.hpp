// The options of sse-listen and the CLI11 wiring that fills them (main and the tests share it).
#ifndef SSE_LISTEN_OPTIONS_HPP
#define SSE_LISTEN_OPTIONS_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace sse::listen {

enum class output_format { text, json, raw, sse };

// --http2 / --http1.1; by default HTTP/2 is negotiated over TLS and HTTP/1.1 is used on http://.
enum class http_version { negotiate, http1_1, http2 };

struct options {
  // Where the streams come from: URLs (followed together), "-" (stdin) or --input FILE.
  std::vector<std::string> urls;
  std::string input;

  output_format format = output_format::text;
  bool json_data = false;  // --json-data: data that is valid JSON goes out as a JSON value

  // The request.
  std::vector<std::string> headers;  // "Name: value"
  std::string method;                // empty: GET, or POST with -d
  std::optional<std::string> data;   // -d as given (DATA, @file or @-)
  std::string last_event_id;         // Last-Event-ID of the first request
  bool insecure = false;
  std::string cacert;
  std::string user_agent;
  double connect_timeout = 0;  // seconds, 0: libcurl's default

  // Reconnection.
  bool no_reconnect = false;
  std::optional<std::uint64_t> max_reconnects;
  std::uint64_t retry_ms = 3000;

  // When to stop.
  double timeout = 0;       // seconds, 0: none
  double idle_timeout = 0;  // seconds, 0: none
  std::uint64_t count = 0;  // 0: no limit
  std::vector<std::string> event_types;
  std::optional<std::string> until_data;
  std::optional<std::string> until_event;

  std::size_t max_event_size = std::size_t{16} << 20;
  int verbose = 0;
  std::string colour = "auto";  // auto, always, never

  // Resume, a command per event, transport (issue 15).
  std::string state_file;            // --state-file: the last event id of each URL, across runs
  std::string exec;                  // --exec CMD, run for each event; empty: none
  bool exec_errors_ignore = false;   // --exec-errors ignore (default: stop)
  double exec_timeout = 0;           // seconds, 0: none
  std::optional<std::string> proxy;  // --proxy; "" disables the proxy variables, as in curl
  http_version http = http_version::negotiate;
  bool include = false;     // --include: the response heads
  bool timestamps = false;  // --timestamps: the receive time of each event
  bool retry_on_5xx = false;

  // --check: the SSE doctor (check.hpp) instead of printing events.
  bool check = false;
  double check_time = 30;  // seconds the stream is watched
  std::string origin;      // --origin: CORS is checked for this origin; empty: not checked

  // True when the stream comes from stdin or --input rather than URLs.
  bool local_input() const { return !input.empty() || (urls.size() == 1 && urls[0] == "-"); }
};

// Adds every option of sse-listen to app, bound to o, with the examples as the help footer.
void add_listen_options(CLI::App& app, options& o);

// The examples and the exit statuses shown at the end of --help.
std::string listen_examples();

}  // namespace sse::listen

#endif
