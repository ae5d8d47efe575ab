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

struct options {
  // Where the stream comes from: a URL, "-" (stdin) or --input FILE.
  std::string url;
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
};

// Adds every option of sse-listen to app, bound to o, with the examples as the help footer.
void add_listen_options(CLI::App& app, options& o);

// The examples and the exit statuses shown at the end of --help.
std::string listen_examples();

}  // namespace sse::listen

#endif
