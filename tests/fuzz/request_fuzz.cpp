// Fuzz target: arbitrary bytes as HTTP requests to sse-serve's real http_session (its request
// reader on Beast's parser, with the server's limits, then its routing), over a loopback connection
// so no code path is re-implemented here. The first two bytes pick server options (the second: HTTP
// publishing with the token "pub", subscribers needing the token "sub"); the rest is sent, then
// the client ends its side. The server must never crash, must answer or close within a deadline,
// and every response status must be a documented one.
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "hub/event_hub.hpp"
#include "hub/history.hpp"
#include "loopback_exchange.hpp"
#include "net/http_session.hpp"
#include "net/stream_context.hpp"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

[[noreturn]] void fail(char const* what, std::string const& received) {
  sse::fuzz::fail("request_fuzz", what, received);
}

// The statuses sse-serve(1) documents.
bool documented(std::string_view code) {
  for (std::string_view c : {"100", "200", "201", "204", "400", "401", "403", "404", "405", "413",
                             "415", "431", "503"}) {
    if (code == c) return true;
  }
  return false;
}

// The status of every response the server sent, walked response by response: a body is skipped by
// its Content-Length (an error body may quote the request, "HTTP/1.1 " included), a HEAD's answer
// has none to skip (what follows its head is the next response), and a stream or a body that
// runs to the close ends the walk.
void check_statuses(std::string const& received) {
  std::size_t at = 0;
  while (at < received.size()) {
    if (received.compare(at, 9, "HTTP/1.1 ") != 0)
      fail("a response without a status line", received);
    std::string_view code(received.data() + at + 9,
                          std::min<std::size_t>(3, received.size() - at - 9));
    if (!documented(code)) fail("an undocumented status", received);
    std::size_t const head_end = received.find("\r\n\r\n", at);
    if (head_end == std::string::npos) return;  // cut short when the exchange ended
    std::string_view const head(received.data() + at, head_end + 2 - at);
    at = head_end + 4;
    if (code == "100" || code == "204") continue;             // never a body
    if (received.compare(at, 9, "HTTP/1.1 ") == 0) continue;  // a HEAD's answer
    std::size_t const length_at = head.find("\r\nContent-Length: ");
    if (length_at == std::string_view::npos) return;  // a stream, or a body up to the close
    at += static_cast<std::size_t>(std::strtoull(head.data() + length_at + 18, nullptr, 10));
  }
}

// A file of subscriber tokens ("sub"), written once per process.
std::string const& subscriber_token_file() {
  static std::string const path = [] {
    std::string p = "/tmp/sse-request-fuzz-tokens-" + std::to_string(::getpid());
    if (std::FILE* f = std::fopen(p.c_str(), "w")) {
      std::fputs("sub\n", f);
      std::fclose(f);
    }
    std::atexit([] { std::remove(subscriber_token_file().c_str()); });
    return p;
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  if (size < 2) return 0;
  std::string const request(reinterpret_cast<char const*>(data + 2), size - 2);

  sse::serve::http_config config;
  if ((data[0] & 1) != 0) config.cors = "*";
  if ((data[0] & 2) != 0) config.headers.emplace_back("X-Extra", "yes");
  if ((data[0] & 4) != 0) config.path = "/";
  if ((data[0] & 64) != 0) config.max_clients = 1;
  sse::serve::ring_history hist(1000, 1 << 20);
  asio::io_context* loop = nullptr;
  sse::serve::event_hub hub(hist, {}, [&loop](std::function<void()> f) {
    if (loop != nullptr) asio::post(*loop, std::move(f));
  });
  if ((data[0] & 8) != 0)
    hub.publish(sse::serve::source_event{"held", "", std::nullopt, std::nullopt,
                                         (data[0] & 128) != 0 ? "t" : ""});
  sse::serve::stopping state = (data[0] & 16) != 0   ? sse::serve::stopping::end_of_input
                               : (data[0] & 32) != 0 ? sse::serve::stopping::shutdown
                                                     : sse::serve::stopping::no;
  if (state != sse::serve::stopping::no) hub.end("fuzz");
  sse::serve::access_config access;
  if ((data[1] & 1) != 0) access.publish_token = "pub";
  if ((data[1] & 2) != 0) access.token_file = subscriber_token_file();
  if ((data[1] & 4) != 0) config.max_publish = 64;
  sse::serve::access_report report;
  std::optional<sse::serve::access_policy> loaded = sse::serve::access_policy::load(access, report);
  if (!loaded)
    fail("the fuzz target's tokens were refused", report.errors.empty() ? "" : report.errors[0]);
  sse::serve::access_policy policy = std::move(*loaded);
  sse::serve::stream_context ctx(hub, config, "<!doctype html><title>page</title>", policy);
  ctx.state = state;

  bool ended = hub.ended();
  std::string const received = sse::fuzz::loopback_exchange(
      "request_fuzz", request, loop,
      [&ctx](tcp::socket server) {
        std::make_shared<sse::serve::http_session>(std::move(server), ctx)->start();
      },
      [&](std::string const& so_far) {
        // A stream stays open for events: end it, as the server does at shutdown, so it closes.
        if (!ended && so_far.find("text/event-stream") != std::string::npos &&
            so_far.find("\r\n\r\n") != std::string::npos) {
          ended = true;
          hub.end("fuzz");
        }
      });
  // REQUEST_FUZZ_SHOW=1 prints what the server sent, to see what an input reaches.
  if (std::getenv("REQUEST_FUZZ_SHOW") != nullptr)
    std::fwrite(received.data(), 1, received.size(), stderr);
  check_statuses(received);
  return 0;
}
