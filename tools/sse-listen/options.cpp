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

std::string lowercase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A proxy as curl takes it: SCHEME://HOST[:PORT], or HOST[:PORT] for http; "" turns the proxy
// variables off. The value is never echoed: it may hold a password.
std::string check_proxy(std::string const& p) {
  auto scheme_end = p.find("://");
  if (scheme_end == std::string::npos) return {};
  std::string scheme = lowercase(p.substr(0, scheme_end));
  if (scheme == "http" || scheme == "https" || scheme == "socks5" || scheme == "socks5h") {
    if (p.size() == scheme_end + 3) return "the proxy URL has no host";
    return {};
  }
  return "unsupported proxy scheme (use http://, https://, socks5:// or socks5h://)";
}

// The rules between the options of issue 15 and the rest, checked once everything is parsed.
// (Not CLI11's needs(): a lone --exec-errors must still parse in the one-value-per-occurrence
// test, which runs without this callback.)
void check_issue15_options(options const& o, CLI::Option const* exec_errors,
                           CLI::Option const* exec_timeout) {
  bool const several = o.urls.size() > 1;
  for (std::size_t i = 0; i < o.urls.size(); ++i) {
    auto const& url = o.urls[i];
    if (several && url == "-") {
      throw CLI::ValidationError("URL", "- reads one stream from stdin: give it alone");
    }
    for (char ch : url) {
      auto const c = static_cast<unsigned char>(ch);
      if (c < 0x20 || c == 0x7F) {
        throw CLI::ValidationError("URL", "a URL cannot hold control characters");
      }
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (o.urls[j] == url) throw CLI::ValidationError("URL", url + " is given twice");
    }
  }
  if (several && o.format == output_format::raw) {
    throw CLI::ValidationError("--raw",
                               "cannot merge several streams (a chunk may end mid-event); use "
                               "--sse or --json");
  }
  if (!o.state_file.empty() && o.local_input()) {
    throw CLI::ValidationError("--state-file", "resumes URLs, not stdin or --input");
  }
  for (CLI::Option const* opt : {exec_errors, exec_timeout}) {
    if (o.exec.empty() && opt->count() > 0) {
      throw CLI::ValidationError(opt->get_name(), "needs --exec");
    }
  }
}

// An origin as browsers send it: SCHEME://HOST[:PORT], no path; or "null".
std::string check_origin(std::string const& origin) {
  if (origin == "null") return {};
  auto scheme_end = origin.find("://");
  if (scheme_end == std::string::npos || scheme_end == 0 || origin.size() == scheme_end + 3) {
    return "an origin is SCHEME://HOST[:PORT], such as https://app.example";
  }
  if (origin.find_first_of("/?# \t\r\n", scheme_end + 3) != std::string::npos) {
    return "an origin has no path, query or spaces: SCHEME://HOST[:PORT]";
  }
  return {};
}

// --check watches one URL and prints a report: the options that shape events or the output, or
// read another input, mean nothing there. --check-time and --origin mean nothing without it.
void check_doctor_options(options const& o, CLI::App const& app) {
  if (!o.check) {
    for (char const* name : {"--check-time", "--origin"}) {
      if (app.count(name) > 0) throw CLI::ValidationError(name, "needs --check");
    }
    return;
  }
  if (o.urls.size() != 1 || o.local_input()) {
    throw CLI::ValidationError("--check", "checks one http(s) URL");
  }
  for (char const* name :
       {"--raw", "--sse", "--json-data", "--input", "--count", "--event", "--until-data",
        "--until-event", "--state-file", "--exec", "--timestamps", "--include", "--no-reconnect",
        "--max-reconnects", "--timeout", "--idle-timeout", "--last-event-id"}) {
    if (app.count(name) > 0) {
      throw CLI::ValidationError(name,
                                 "does not go with --check (it watches the stream for "
                                 "--check-time and reports; --json makes the report JSON)");
    }
  }
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

  app.add_option("url", o.urls,
                 "http(s) URLs of event streams (followed together), or - to read a stream from "
                 "stdin")
      ->option_text("URL...");
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

  // Issue 15: resume across runs, a command per event, transport. (Cross-option rules are in
  // check_issue15_options, called from the callback below.)
  app.add_option("--state-file", o.state_file,
                 "Resume from the last event id kept in FILE, and keep it there (one per URL)")
      ->option_text("FILE");
  auto* exec = app.add_option("--exec", o.exec,
                              "Run CMD (/bin/sh -c) for each event: data on stdin, SSE_EVENT, "
                              "SSE_ID, SSE_URL in its environment")
                   ->option_text("CMD");
  auto* exec_errors =
      app.add_option_function<std::string>(
             "--exec-errors", [&o](std::string const& v) { o.exec_errors_ignore = v == "ignore"; },
             "When an --exec command fails: stop (the default, exit 6) or ignore")
          ->check(CLI::IsMember({"stop", "ignore"}))
          ->option_text("stop|ignore");
  auto* exec_timeout =
      app.add_option("--exec-timeout", o.exec_timeout,
                     "End an --exec command (its process group) after SECONDS; a failure")
          ->check(max_seconds)
          ->option_text("SECONDS");
  app.add_option("--proxy", o.proxy,
                 "Use the proxy at URL (http, https, socks5, socks5h); \"\" ignores *_proxy")
      ->check(CLI::Validator(check_proxy, "URL"))
      ->option_text("URL");
  auto* http2 = app.add_flag_callback(
      "--http2", [&o] { o.http = http_version::http2; },
      "HTTP/2 also on http:// (prior knowledge); over TLS it is negotiated anyway");
  auto* http11 = app.add_flag_callback(
      "--http1.1", [&o] { o.http = http_version::http1_1; }, "Use HTTP/1.1 only");
  http2->excludes(http11);
  app.add_flag(
      "--include", o.include,
      "Show each response's status line and headers: on stderr, or a JSON line with --json");
  auto* timestamps = app.add_flag(
      "--timestamps", o.timestamps,
      "Prefix each event with its receive time (UTC, RFC 3339, ms); --json adds \"time\"");
  app.add_flag("--retry-on-5xx", o.retry_on_5xx,
               "Retry 5xx responses, after Retry-After when the server sends one");
  exec->excludes(json)->excludes(raw)->excludes(sse)->excludes(timestamps);
  timestamps->excludes(raw)->excludes(sse);

  // The SSE doctor. Which options it cannot take is checked in check_doctor_options.
  app.add_flag("--check", o.check,
               "Diagnose the endpoint (status, headers, buffering, keep-alive, resume, CORS) "
               "instead of printing events; exit 1 on a failed check");
  app.add_option("--check-time", o.check_time,
                 "How long --check watches the stream, in seconds (default 30)")
      ->check(tools::seconds_up_to(1e6, false))
      ->option_text("SECONDS");
  app.add_option("--origin", o.origin,
                 "With --check: check CORS for a page at ORIGIN (e.g. https://app.example)")
      ->check(CLI::Validator(check_origin, "ORIGIN"))
      ->option_text("ORIGIN");

  app.callback([&o, &app, input, exec_errors, exec_timeout] {
    if (o.urls.empty() && input->count() == 0) throw CLI::RequiredError("URL (or --input FILE)");
    if (!o.urls.empty() && input->count() > 0) {
      throw CLI::ValidationError("--input", "give either a URL or --input FILE, not both");
    }
    for (auto const& url : o.urls) {
      if (auto scheme_end = url.find("://"); scheme_end != std::string::npos) {
        if (lowercase(url.substr(0, scheme_end)) != "http" &&
            lowercase(url.substr(0, scheme_end)) != "https") {
          throw CLI::ValidationError(
              "URL", "only http:// and https:// URLs are supported (or - for stdin)");
        }
      }
    }
    if (o.local_input() && o.data && *o.data == "@-") {
      throw CLI::ValidationError("--data", "-d @- and URL - both want stdin");
    }
    check_issue15_options(o, exec_errors, exec_timeout);
    check_doctor_options(o, app);
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
  sse-listen --state-file ~/.deploy.id --exec ./deploy.sh --event release URL
                                                  a deploy hook that resumes after a crash
  sse-listen --json URL1 URL2                     two streams merged, "url" on each line
  sse-listen --check --origin https://app.example URL
                                                  diagnose an endpoint: headers, buffering,
                                                  keep-alive, resume, CORS (exit 1 on a failure)

)" + exit_status_help();
}

}  // namespace sse::listen
