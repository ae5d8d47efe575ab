// sse-serve's options: one struct, filled by CLI11 through add_serve_options (tests use the same).
#ifndef SSE_SERVE_OPTIONS_HPP
#define SSE_SERVE_OPTIONS_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sources/input_reader.hpp"

namespace CLI {
class App;
}

namespace sse::serve {

struct options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::string path = "/events";

  bool counter = false;
  double interval = 1.0;  // seconds between counter events
  input_format format = input_format::lines;
  std::string event_type;  // empty: the default type ("message")
  std::string topic;       // of stdin and counter events; empty: none
  bool no_stdin = false;   // serve HTTP publishers only
  std::size_t max_line = std::size_t{1} << 20;

  std::size_t history = 1000;
  std::size_t history_bytes = std::size_t{16} << 20;
  std::size_t backlog = 0;  // held events a client without Last-Event-ID gets first
  std::optional<std::uint64_t> retry;
  double ping = 15.0;  // seconds; 0 = off

  std::optional<std::string> cors;
  std::vector<std::string> headers;  // "Name: value"
  std::size_t max_clients = 0;       // 0 = no limit
  std::size_t client_buffer = std::size_t{4} << 20;
  bool backpressure = false;    // hold the sources back instead of dropping slow clients
  double stall_timeout = 10.0;  // seconds a client may take nothing before it is dropped; 0: never
  double request_timeout = 10.0;  // seconds a client has to send a whole request head

  bool metrics = false;  // GET /metrics

  // Publishing over HTTP and tokens (see auth/access.hpp).
  std::optional<std::string> publish_token_file;
  std::size_t max_publish = std::size_t{1} << 20;
  std::optional<std::string> token_file;
  std::optional<std::string> jwt_secret_file;
  std::string token_cookie = "sse_token";
  // Transport: TLS (--tls-cert with --tls-key; SIGHUP reloads them) and HTTP/2.
  std::optional<std::string> tls_cert;
  std::optional<std::string> tls_key;
  std::uint32_t h2_max_streams = 100;  // concurrent streams per HTTP/2 connection

  // Replicas sharing one stream through Redis (backplane/redis_backplane.hpp).
  std::optional<std::string> redis;  // redis://[user:password@]HOST:PORT[/DB]
  std::string redis_key = "sse";
  std::size_t redis_buffer = std::size_t{16} << 20;
  bool exit_on_eof = false;
  double shutdown_grace = 3.0;  // seconds slow clients get to take their last bytes at the end
  bool quiet = false;
  bool verbose = false;
};

// Registers every option (and --version) on app, bound to o.
void add_serve_options(CLI::App& app, options& o);

// The examples shown at the end of --help.
char const* serve_examples();

}  // namespace sse::serve

#endif
