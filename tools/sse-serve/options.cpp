#include "options.hpp"

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdlib>
#include <sse/version.hpp>

#include "backplane/redis_url.hpp"
#include "common/cli.hpp"
#include "common/header.hpp"
#include "hub/event_hub.hpp"

namespace sse::serve {
namespace {

std::string check_path(std::string const& p) {
  if (p.empty() || p[0] != '/') return "the path must start with '/'";
  if (p == "/") return "'/' serves the page; choose another path for the stream";
  // Only characters that need no escaping in a URL, in HTML or in a JavaScript string.
  constexpr std::string_view allowed =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/%!$&()*+,;=:@";
  if (p.find_first_not_of(allowed) != std::string::npos) {
    return "the path may hold only letters, digits and -._~/%!$&()*+,;=:@";
  }
  return {};
}

}  // namespace

// Durations are bounded (a day) so that no value overflows when it becomes a timer's duration.
constexpr double max_seconds = 86400.0;
CLI::Validator seconds(bool zero_allowed) {
  return tools::seconds_up_to(max_seconds, zero_allowed);
}

void add_serve_options(CLI::App& app, options& o) {
  app.set_version_flag("--version", std::string("sse-serve ") + SSE_VERSION_STRING);
  app.get_formatter()->column_width(34);

  app.add_option("--host", o.host, "Address to listen on (IPv4 or IPv6)")->capture_default_str();
  app.add_option("-p,--port", o.port, "Port to listen on; 0 picks a free port")
      ->capture_default_str()
      ->transform(tools::whole_number());
  app.add_option("--path", o.path, "URL path of the event stream")
      ->capture_default_str()
      ->check(CLI::Validator(check_path, ""));

  app.add_flag("--counter", o.counter, "Emit a counter on a timer instead of reading stdin");
  app.add_option("--interval", o.interval, "Seconds between counter events (fractions allowed)")
      ->capture_default_str()
      ->check(seconds(false));
  app.add_option_function<std::string>(
         "--format",
         [&o](std::string const& name) {
           o.format = name == "json"  ? input_format::json
                      : name == "sse" ? input_format::sse
                                      : input_format::lines;
         },
         "stdin format: lines (one event per line), json (one object per line), sse")
      ->check(CLI::IsMember({"lines", "json", "sse"}))
      ->option_text("lines|json|sse (default: lines)");
  app.add_option("--event", o.event_type, "Event type of line and counter events")
      ->check(CLI::Validator(
          [](std::string const& t) {
            return t.find_first_of("\r\n") == std::string::npos ? std::string()
                                                                : "line break in event type";
          },
          ""))
      ->option_text("TYPE");
  app.add_option("--topic", o.topic,
                 "Topic of stdin and counter events (clients may follow topics)")
      ->check(CLI::Validator(
          [](std::string const& t) {
            std::string problem = topic_problem(t);
            return problem.empty() ? problem : problem + ", got '" + t + "'";
          },
          ""))
      ->option_text("NAME");
  auto* no_stdin = app.add_flag("--no-stdin", o.no_stdin,
                                "Do not read standard input (serve HTTP publishers only)");
  app.add_option("--max-line", o.max_line,
                 "Longest stdin line accepted, in bytes (K, M suffixes); longer ones are skipped")
      ->transform(CLI::AsSizeValue(false))
      ->option_text("BYTES (default: 1M)");

  app.add_option("--history", o.history, "Events kept for clients that resume with Last-Event-ID")
      ->capture_default_str()
      ->transform(tools::whole_number());
  app.add_option("--history-bytes", o.history_bytes,
                 "Bytes of events kept in the history (K, M, G)")
      ->transform(CLI::AsSizeValue(false))
      ->option_text("BYTES (default: 16M)");
  app.add_option("--backlog", o.backlog,
                 "Events from the history a new client (without Last-Event-ID) gets first")
      ->capture_default_str()
      ->transform(tools::whole_number());
  app.add_option_function<std::uint64_t>(
         "--retry", [&o](std::uint64_t const& ms) { o.retry = ms; },
         "Send 'retry: MS' (reconnection delay) at the start of each stream")
      ->transform(tools::whole_number())
      ->option_text("MS");
  app.add_option("--ping", o.ping, "Seconds between keep-alive comments; 0 turns them off")
      ->capture_default_str()
      ->check(seconds(true));

  app.add_option_function<std::string>(
      "--cors", [&o](std::string const& origin) { o.cors = origin; },
      "Allow cross-origin requests from ORIGIN (or *); answers preflights");
  app.add_option("--header", o.headers,
                 "Add a response header 'Name: value' (repeatable, one per --header)")
      ->check(CLI::Validator(tools::check_header, ""))
      ->option_text("'NAME: VALUE'");
  app.add_option("--max-clients", o.max_clients,
                 "Most concurrent streams; more are turned away (0: no limit)")
      ->capture_default_str()
      ->transform(tools::whole_number());
  app.add_option("--client-buffer", o.client_buffer,
                 "Bytes a slow client may fall behind before it is disconnected (K, M suffixes)")
      ->transform(CLI::AsSizeValue(false))
      ->option_text("BYTES (default: 4M)");
  app.add_flag("--backpressure", o.backpressure,
               "Read stdin (or count) no faster than the slowest client takes events, instead of "
               "dropping clients that fall --client-buffer behind");
  app.add_option("--stall-timeout", o.stall_timeout,
                 "Seconds a client may take nothing before it is dropped (0: never)")
      ->capture_default_str()
      ->check(seconds(true));
  app.add_option("--request-timeout", o.request_timeout,
                 "Seconds a client gets to send a whole request; slower ones are disconnected")
      ->capture_default_str()
      ->check(seconds(false));

  app.add_flag("--metrics", o.metrics, "Serve Prometheus metrics at GET /metrics");
  app.add_option_function<std::string>(
         "--redis", [&o](std::string const& url) { o.redis = url; },
         "Share one stream and history with other replicas through Redis (SSE_REDIS_PASSWORD)")
      ->check(CLI::Validator(
          [](std::string const& url) {
            std::string why;
            // The message shows the URL with its password masked: usage errors are printed.
            return parse_redis_url(url, why) ? std::string()
                                             : why + " (in " + mask_redis_text(url) + ")";
          },
          ""))
      ->option_text("redis://[USER:PASSWORD@]HOST:PORT[/DB]");
  app.add_option("--redis-key", o.redis_key, "Key of the Redis stream the replicas share")
      ->capture_default_str()
      ->option_text("NAME");
  app.add_option("--redis-buffer", o.redis_buffer,
                 "Input held while Redis is unreachable before reading stops (K, M, G)")
      ->transform(CLI::AsSizeValue(false))
      ->option_text("BYTES (default: 16M)");
  app.add_option_function<std::string>(
         "--publish-token-file", [&o](std::string const& f) { o.publish_token_file = f; },
         "Enable POST /events[/TOPIC] for the tokens in FILE (or set SSE_PUBLISH_TOKEN)")
      ->option_text("FILE");
  app.add_option("--max-publish", o.max_publish, "Largest publish request body (K, M suffixes)")
      ->transform(CLI::AsSizeValue(false))
      ->option_text("BYTES (default: 1M)");
  app.add_option_function<std::string>(
         "--token-file", [&o](std::string const& f) { o.token_file = f; },
         "Subscribers must present one of the tokens in FILE (reloaded on SIGHUP)")
      ->option_text("FILE");
  app.add_option_function<std::string>(
         "--jwt-secret-file", [&o](std::string const& f) { o.jwt_secret_file = f; },
         "Accept HS256 JWTs signed with the secret in FILE (topics and publish claims)")
      ->option_text("FILE");
  app.add_option("--token-cookie", o.token_cookie, "Cookie a subscriber's token may come in")
      ->capture_default_str()
      ->option_text("NAME");
  // Transport: TLS and HTTP/2.
  auto* tls_cert = app.add_option_function<std::string>(
                          "--tls-cert", [&o](std::string const& f) { o.tls_cert = f; },
                          "Serve HTTPS with this PEM certificate (chain); reloaded on SIGHUP")
                       ->option_text("FILE");
  auto* tls_key = app.add_option_function<std::string>(
                         "--tls-key", [&o](std::string const& f) { o.tls_key = f; },
                         "The certificate's PEM private key (unencrypted); reloaded on SIGHUP")
                      ->option_text("FILE");
  // Checked once everything is parsed (as a final callback, so each option still parses alone).
  app.callback([tls_cert, tls_key] {
    if (tls_cert->count() > 0 && tls_key->count() == 0)
      throw CLI::RequiresError("--tls-cert", "--tls-key");
    if (tls_key->count() > 0 && tls_cert->count() == 0)
      throw CLI::RequiresError("--tls-key", "--tls-cert");
  });
  app.add_option(
         "--h2-max-streams", o.h2_max_streams,
         "Concurrent streams one HTTP/2 connection may open (its EventSources and requests)")
      ->capture_default_str()
      ->transform(tools::whole_number())
      ->check(CLI::Range(1u, 100000u));

  app.add_flag("--exit-on-eof", o.exit_on_eof,
               "At the end of stdin, deliver everything, end the streams and exit")
      ->excludes(no_stdin);
  app.add_option("--shutdown-grace", o.shutdown_grace,
                 "Seconds slow clients get to take their last events when the streams end")
      ->capture_default_str()
      ->check(seconds(true));
  auto* quiet = app.add_flag("-q,--quiet", o.quiet, "Print only errors");
  app.add_flag("-v,--verbose", o.verbose, "Print a line per client connect and disconnect")
      ->excludes(quiet);

  app.footer(serve_examples());
  tools::one_value_per_occurrence(app);
}

char const* serve_examples() {
  return R"(Examples:
  tail -f /var/log/syslog | sse-serve        then open http://127.0.0.1:8080/
  sse-serve --counter --interval 0.5         a counter, twice a second
  vmstat 1 | sse-serve --host :: -p 9000     all IPv6 (and usually IPv4) addresses
  producer | sse-serve --format json         {"event":"e","data":"d","id":"7"} per line
  curl -sN https://host/stream | sse-serve --format sse --cors '*'
  seq 3 | sse-serve --exit-on-eof -p 0       serve three events, then end the streams

The stream is GET /events; GET / is a live page that shows it.)";
}

}  // namespace sse::serve
