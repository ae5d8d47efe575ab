// Fuzz target: arbitrary HTTP/2 frames after a valid connection preface and SETTINGS, sent to
// sse-serve's real connection handling (start_connection: the preface is detected, then nghttp2
// and h2_connection with its routing) over a loopback connection, as request_fuzz does for
// HTTP/1.x. The first byte picks server options (CORS, a held event, --max-clients 1, an ended
// hub, --h2-max-streams 1); the rest is sent, then the client ends its side. The server must never
// crash, must close within a deadline, and must leave no work behind.
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
#include "net/detect_session.hpp"
#include "net/stream_context.hpp"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

[[noreturn]] void fail(char const* what, std::string const& received) {
  sse::fuzz::fail("h2_fuzz", what, received);
}

// The client's connection preface and an empty SETTINGS frame.
constexpr std::string_view preface =
    std::string_view("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00", 33);

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  if (size < 1) return 0;
  std::string request(preface);
  request.append(reinterpret_cast<char const*>(data + 1), size - 1);

  sse::serve::http_config config;
  if ((data[0] & 1) != 0) config.cors = "*";
  if ((data[0] & 4) != 0) config.h2_max_streams = 1;
  if ((data[0] & 64) != 0) config.max_clients = 1;
  config.request_timeout = 2;
  sse::serve::ring_history hist(1000, 1 << 20);
  asio::io_context* loop = nullptr;
  sse::serve::event_hub hub(hist, {}, [&loop](std::function<void()> f) {
    if (loop != nullptr) asio::post(*loop, std::move(f));
  });
  if ((data[0] & 8) != 0)
    hub.publish(sse::serve::source_event{"held", "", std::nullopt, std::nullopt, ""});
  sse::serve::access_report report;
  sse::serve::access_policy policy = std::move(*sse::serve::access_policy::load({}, report));
  sse::serve::stream_context ctx(hub, config, "<!doctype html><title>page</title>", policy);
  if ((data[0] & 16) != 0) {
    ctx.state = sse::serve::stopping::end_of_input;
    hub.end("fuzz");
  }

  std::string const received = sse::fuzz::loopback_exchange(
      "h2_fuzz", request, loop,
      [&ctx](tcp::socket server) { sse::serve::start_connection(std::move(server), ctx); });
  // Every stream that was opened has ended and left the hub.
  if (hub.clients() != 0) fail("a stream is still attached to the hub", received);
  if (ctx.open_streams != 0) fail("a stream was never counted closed", received);
  if (std::getenv("H2_FUZZ_SHOW") != nullptr)
    std::fwrite(received.data(), 1, received.size(), stderr);
  return 0;
}
