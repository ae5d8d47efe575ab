#include "options.hpp"

#include <CLI/CLI.hpp>
#include <cctype>
#include <iterator>
#include <sse/version.hpp>
#include <string>

#include "common/cli.hpp"
#include "common/header.hpp"
#include "exit_status.hpp"

namespace sse::listen {
namespace {

std::string check_method(std::string const& m) {
  if (m.empty()) return "empty method";
  for (char c : m) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return "invalid method '" + m + "'";
  }
  return {};
}

std::string check_id(std::string const& id) {
  if (id.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
    return "an event ID cannot hold CR, LF or NUL";
  }
  return {};
}

}  // namespace

void add_listen_options(CLI::App& app, options& o) {
  // Timeouts become std::chrono durations: bounded (about 31 years) so that none overflows.
  CLI::Validator const max_seconds = tools::seconds_up_to(1e9);

  app.set_version_flag("--version", std::string("sse-listen ") + SSE_VERSION_STRING);
  app.get_formatter()->column_width(34);
  o.user_agent = std::string("sse-listen/") + SSE_VERSION_STRING;

  app.add_option("url", o.url, "http(s) URL of the event stream, or - to read a stream from stdin")
      ->option_text("URL");
  auto* input =
      app.add_option("-i,--input", o.input, "Read a captured stream from FILE instead of a URL")
          ->option_text("FILE");

  auto* json = app.add_flag_callback(
      "-j,--json", [&o] { o.format = output_format::json; },
      "One JSON object per event per line: {\"event\":TYPE,\"data\":DATA,\"id\":ID}");
  auto* raw = app.add_flag_callback(
      "-r,--raw", [&o] { o.format = output_format::raw; }, "Print the stream's bytes as received");
  auto* sse = app.add_flag_callback(
      "--sse", [&o] { o.format = output_format::sse; },
      "Print each complete event re-encoded as text/event-stream");
  json->excludes(raw)->excludes(sse);
  raw->excludes(sse);
  app.add_flag("--json-data", o.json_data,
               "With --json: data that is valid JSON goes out as a JSON value, not a string")
      ->needs(json);

  app.add_option("-H,--header", o.headers, "Add a request header 'Name: value' (repeatable)")
      ->check(CLI::Validator(tools::check_header, "'NAME: VALUE'"));
  app.add_option("-X,--request", o.method, "Request method (default GET, or POST with -d)")
      ->check(CLI::Validator(check_method, "METHOD"));
  app.add_option_function<std::string>(
         "-d,--data", [&o](std::string const& d) { o.data = d; },
         "Request body: DATA, @FILE or @- (stdin); makes the request a POST")
      ->option_text("DATA");
  app.add_option("--last-event-id", o.last_event_id, "Last-Event-ID header of the first request")
      ->check(CLI::Validator(check_id, "ID"));
  app.add_flag("-k,--insecure", o.insecure, "Do not verify the server's TLS certificate");
  app.add_option("--cacert", o.cacert, "Verify TLS servers with the CA certificates in FILE")
      ->check(CLI::ExistingFile)
      ->option_text("FILE");
  app.add_option("-A,--user-agent", o.user_agent, "User-Agent header")->capture_default_str();
  app.add_option("--connect-timeout", o.connect_timeout,
                 "Seconds allowed for each connection attempt")
      ->check(max_seconds)
      ->option_text("SECONDS");

  auto* no_reconnect = app.add_flag("--no-reconnect", o.no_reconnect,
                                    "Exit when the stream ends instead of reconnecting");
  app.add_option_function<std::uint64_t>(
         "--max-reconnects", [&o](std::uint64_t const& n) { o.max_reconnects = n; },
         "Give up after N reconnections")
      ->transform(tools::whole_number())
      ->option_text("N")
      ->excludes(no_reconnect);
  app.add_option("--retry", o.retry_ms,
                 "Initial reconnection time in milliseconds (the stream's retry: changes it)")
      ->capture_default_str()
      ->transform(tools::whole_number())
      ->option_text("MS");

  app.add_option("-n,--count", o.count, "Exit 0 after printing N events")
      ->transform(tools::whole_number())
      ->option_text("N");
  app.add_option("-e,--event", o.event_types, "Print (and count) only events of TYPE (repeatable)")
      ->option_text("TYPE");
  app.add_option_function<std::string>(
         "--until-data", [&o](std::string const& d) { o.until_data = d; },
         "Exit 0 at the first event whose data is TEXT (e.g. [DONE])")
      ->option_text("TEXT");
  app.add_option_function<std::string>(
         "--until-event", [&o](std::string const& t) { o.until_event = t; },
         "Exit 0 at the first event of type TYPE")
      ->option_text("TYPE");
  app.add_option("-t,--timeout", o.timeout, "Exit 124 after SECONDS, reconnections included")
      ->check(max_seconds)
      ->option_text("SECONDS");
  app.add_option("--idle-timeout", o.idle_timeout,
                 "Treat SECONDS without a byte from the server as a dropped connection")
      ->check(max_seconds)
      ->option_text("SECONDS");
  app.add_option("--max-event-size", o.max_event_size,
                 "Longest line or event accepted, in bytes (K, M, G suffixes); longer is an error")
      ->transform(CLI::AsSizeValue(false))
      ->default_str("16M");

  app.add_option("--color,--colour", o.colour, "Colour the text output: auto, always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  app.add_flag("-v,--verbose", o.verbose,
               "Report connections, statuses and reconnections on stderr (twice: libcurl's trace)");

  app.callback([&o, input] {
    if (o.url.empty() && input->count() == 0) throw CLI::RequiredError("URL (or --input FILE)");
    if (!o.url.empty() && input->count() > 0) {
      throw CLI::ValidationError("--input", "give either a URL or --input FILE, not both");
    }
    if (auto scheme_end = o.url.find("://"); scheme_end != std::string::npos) {
      std::string scheme = o.url.substr(0, scheme_end);
      for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (scheme != "http" && scheme != "https") {
        throw CLI::ValidationError("URL",
                                   "only http:// and https:// URLs are supported (or - for stdin)");
      }
    }
    if (o.url == "-" && o.data && *o.data == "@-") {
      throw CLI::ValidationError("--data", "-d @- and URL - both want stdin");
    }
  });

  app.footer(listen_examples());
  tools::one_value_per_occurrence(app);
}

std::string exit_status_help() {
  std::string text = "Exit status:";
  for (exit_status s : all_exit_statuses) {
    text += ' ' + std::to_string(static_cast<int>(s)) + ' ' + meaning(s);
    text += s == all_exit_statuses[std::size(all_exit_statuses) - 1] ? "." : ",";
  }
  // Greedy word wrap, as wide as the examples above it.
  constexpr std::size_t width = 90;
  std::string wrapped;
  std::size_t line = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    std::size_t const word = end - start;
    if (line > 0 && line + 1 + word > width) {
      wrapped += '\n';
      line = 0;
    } else if (line > 0) {
      wrapped += ' ';
      ++line;
    }
    wrapped.append(text, start, word);
    line += word;
    start = end + 1;
  }
  return wrapped;
}

std::string listen_examples() {
  return R"(Examples:
  sse-listen https://host/events                  print each event's data as it arrives
  sse-listen --json -n 10 URL | jq .data          the first ten events as JSON lines
  sse-listen --event update --until-event done URL
  sse-listen --no-reconnect -X POST -H 'Content-Type: application/json' \
      -d @request.json --until-data '[DONE]' --json URL     an LLM-style streaming POST
  sse-listen --sse URL | sse-serve --format sse   relay a stream, with history and resume
  sse-listen --json --input capture.txt           convert a recorded stream to JSON lines

)" + exit_status_help();
}

}  // namespace sse::listen
