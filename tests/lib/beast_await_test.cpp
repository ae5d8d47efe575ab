// sse/beast.hpp with C++20 coroutines: the whole server side is one coroutine that co_awaits its
// sends and the close (asio::use_awaitable). Compiled as C++20 only (see tests/lib/CMakeLists.txt).
// clang-format off
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange without including it
// clang-format on

#include <gtest/gtest.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <future>
#include <sse/beast.hpp>
#include <string>

#include "beast_loopback.hpp"

namespace {

using namespace sse_test;

static_assert(__cplusplus >= 202002L, "this test is the C++20 build of the adapter");

asio::awaitable<void> serve(tcp::acceptor& acceptor) {
  beast::tcp_stream stream(co_await acceptor.async_accept(asio::use_awaitable));
  beast::flat_buffer buffer;
  http::request<http::empty_body> request;
  co_await http::async_read(stream, buffer, request, asio::use_awaitable);
  auto es = sse::beast::start_event_stream(std::move(stream), request, quiet());
  for (int i = 0; i < 3; ++i) {
    co_await es->async_send("foo " + std::to_string(i), asio::use_awaitable);
  }
  co_await es->async_close(asio::use_awaitable);
}

TEST(BeastAwait, ACoroutineSendsAndCloses) {
  loopback t;
  tcp::acceptor acceptor(t.ioc(), {asio::ip::make_address("127.0.0.1"), 0});
  auto const endpoint = acceptor.local_endpoint();
  std::promise<std::exception_ptr> served;
  asio::co_spawn(t.ioc(), serve(acceptor),
                 [&served](std::exception_ptr e) { served.set_value(e); });
  t.client.socket().connect(endpoint);
  asio::write(t.client.socket(), asio::buffer(std::string_view("GET / HTTP/1.1\r\n\r\n")));
  t.client.read_to_eof();
  t.client.socket().close();  // the server's teardown waits for this
  auto done = served.get_future();
  ASSERT_EQ(done.wait_for(deadline), std::future_status::ready);
  EXPECT_EQ(done.get(), nullptr);
  EXPECT_EQ(t.client.received, std::string(plain_head) +
                                   "d\r\ndata: foo 0\n\n\r\nd\r\ndata: foo 1\n\n\r\n"
                                   "d\r\ndata: foo 2\n\n\r\n0\r\n\r\n");
}

}  // namespace
