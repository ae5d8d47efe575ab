// decide(): every way a connection or a captured stream can end, and what follows, as a table.
#include "outcome.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sse::listen {
namespace {

using namespace std::chrono_literals;
using kind = message::kind;

std::string const url = "http://h/events";

// Builders for the rows' inputs.
transfer_outcome base(ending how) {
  transfer_outcome o;
  o.how = how;
  o.where = url;
  return o;
}
transfer_outcome stopped(consume_state s) {
  auto o = base(ending::consumer_stopped);
  o.response = answer::accepted;
  o.consumed = s;
  o.consumer_error = "consumer says";
  return o;
}
transfer_outcome rejected(long status, std::string body = {}, bool cut = false) {
  auto o = base(ending::finished);
  o.response = answer::rejected;
  o.status = status;
  o.rejection = "server answered HTTP/1.1 " + std::to_string(status) + " (" + url + ")";
  o.rejected_body = std::move(body);
  o.rejected_body_cut = cut;
  return o;
}
reconnect_decision reconnect_after(milliseconds ms) {
  return {true, ms, steady_time{} + ms};
}
reconnect_decision no_reconnect() {
  return {};
}
transfer_outcome streamed(reconnect_decision d, CURLcode result = CURLE_OK,
                          ending how = ending::finished) {
  auto o = base(how);
  o.response = answer::accepted;
  o.result = result;
  o.curl_error = result == CURLE_OK ? "No error" : "transfer closed with outstanding read data";
  o.bytes = 10;
  o.idle_timeout = 0.5;
  o.decision = d;
  return o;
}
transfer_outcome no_stream(reconnect_decision d, CURLcode result, ending how = ending::finished) {
  auto o = base(how);
  o.result = result;
  o.curl_error = "Could not connect to server";
  o.decision = d;
  return o;
}
transfer_outcome local(ending how) {
  auto o = base(how);
  o.local = true;
  o.where = "standard input";
  return o;
}
template <typename F>
transfer_outcome with(transfer_outcome o, F f) {
  f(o);
  return o;
}

struct row {
  char const* name;
  transfer_outcome in;
  bool reconnect;
  exit_status status;
  std::vector<message> messages;
};

std::string describe(bool reconnect, exit_status status, std::vector<message> const& messages) {
  std::string s = reconnect ? "reconnect" : "exit " + std::to_string(static_cast<int>(status));
  for (auto const& m : messages) {
    char const* k = m.what == kind::error     ? "error"
                    : m.what == kind::warning ? "warning"
                    : m.what == kind::verbose ? "verbose"
                                              : "body";
    s += std::string("\n  ") + k + ": " + m.text;
  }
  return s;
}

TEST(outcome, every_ending_and_what_follows) {
  std::string const idle_msg = "no data for 0.5 s: the connection was dropped";
  std::string const cut_msg = "the stream was cut: transfer closed with outstanding read data";
  std::string const refused = "Could not connect to server (" + url + ")";
  std::vector<row> rows = {
      // The consumer stopped the transfer.
      {"count or sentinel reached", stopped(consume_state::done), false, exit_status::ok, {}},
      {"stdout closed by its reader",
       stopped(consume_state::output_closed),
       false,
       exit_status::ok,
       {}},
      {"an event too large",
       stopped(consume_state::too_large),
       false,
       exit_status::protocol,
       {{kind::error, "consumer says (" + url + ")"}}},
      {"stdout cannot be written",
       stopped(consume_state::output_error),
       false,
       exit_status::local_io,
       {{kind::error, "consumer says"}}},
      // Signals and --timeout, whatever the connection was doing.
      {"--timeout",
       base(ending::timeout),
       false,
       exit_status::timeout,
       {{kind::verbose, "--timeout reached"}}},
      {"--timeout during a stream",
       with(streamed(reconnect_after(1s)), [](auto& o) { o.how = ending::timeout; }),
       false,
       exit_status::timeout,
       {{kind::verbose, "--timeout reached"}}},
      {"a signal", base(ending::interrupted), false, exit_status::interrupted, {}},
      // Rejected responses never reconnect, whatever the policy says.
      {"204",
       with(rejected(204), [](auto& o) { o.decision = reconnect_after(1s); }),
       false,
       exit_status::ok,
       {{kind::verbose, "HTTP 204: the server asks not to reconnect"}}},
      {"404 with a body",
       rejected(404, "not here"),
       false,
       exit_status::protocol,
       {{kind::error, "server answered HTTP/1.1 404 (" + url + ")"}, {kind::body, "not here\n"}}},
      {"500 with a body cut at the limit",
       rejected(500, "oops\n", true),
       false,
       exit_status::protocol,
       {{kind::error, "server answered HTTP/1.1 500 (" + url + ")"},
        {kind::body, "oops\n\n[…]\n"}}},
      {"a wrong Content-Type, no body",
       with(rejected(200),
            [](auto& o) { o.rejection = "the response's Content-Type is 'text/html'"; }),
       false,
       exit_status::protocol,
       {{kind::error, "the response's Content-Type is 'text/html'"}}},
      // An accepted stream that ended cleanly.
      {"ended, reconnect",
       streamed(reconnect_after(3s)),
       true,
       exit_status::ok,
       {{kind::verbose, "the stream ended after 10 bytes"},
        {kind::verbose, "reconnecting in 3.0 s"}}},
      {"ended, retry below a second",
       streamed(reconnect_after(250ms)),
       true,
       exit_status::ok,
       {{kind::verbose, "the stream ended after 10 bytes"},
        {kind::verbose, "reconnecting in 250 ms"}}},
      {"ended, no more reconnects",
       streamed(no_reconnect()),
       false,
       exit_status::ok,
       {{kind::verbose, "the stream ended after 10 bytes"}}},
      {"ended with an unterminated event",
       with(streamed(no_reconnect()), [](auto& o) { o.discarded = 5; }),
       false,
       exit_status::ok,
       {{kind::verbose, "the stream ended after 10 bytes"},
        {kind::verbose, "discarded 5 bytes of an unterminated event"}}},
      {"ended before its sentinel",
       with(streamed(no_reconnect()), [](auto& o) { o.sentinel = "--until-event"; }),
       false,
       exit_status::truncated,
       {{kind::verbose, "the stream ended after 10 bytes"},
        {kind::error, "the stream ended before its --until-event sentinel (truncated)"}}},
      {"ended before its sentinel, reconnect",
       with(streamed(reconnect_after(1s)), [](auto& o) { o.sentinel = "--until-data"; }),
       true,
       exit_status::ok,
       {{kind::verbose, "the stream ended after 10 bytes"},
        {kind::verbose, "reconnecting in 1.0 s"}}},
      // An accepted stream cut short or gone silent: a network failure when it is the last.
      {"cut, reconnect",
       streamed(reconnect_after(1s), CURLE_PARTIAL_FILE),
       true,
       exit_status::ok,
       {{kind::verbose, cut_msg + " after 10 bytes"}, {kind::verbose, "reconnecting in 1.0 s"}}},
      {"cut, no more reconnects",
       streamed(no_reconnect(), CURLE_PARTIAL_FILE),
       false,
       exit_status::network,
       {{kind::verbose, cut_msg + " after 10 bytes"}, {kind::error, cut_msg + " (" + url + ")"}}},
      {"cut before its sentinel is a network failure, not truncated",
       with(streamed(no_reconnect(), CURLE_PARTIAL_FILE),
            [](auto& o) { o.sentinel = "--until-data"; }),
       false,
       exit_status::network,
       {{kind::verbose, cut_msg + " after 10 bytes"}, {kind::error, cut_msg + " (" + url + ")"}}},
      {"silent past --idle-timeout, no more reconnects",
       streamed(no_reconnect(), CURLE_OK, ending::idle),
       false,
       exit_status::network,
       {{kind::verbose, "no data for 0.5 s: dropping the connection after 10 bytes"},
        {kind::error, idle_msg + " (" + url + ")"}}},
      {"silent past --idle-timeout, reconnect",
       streamed(reconnect_after(2s), CURLE_OK, ending::idle),
       true,
       exit_status::ok,
       {{kind::verbose, "no data for 0.5 s: dropping the connection after 10 bytes"},
        {kind::verbose, "reconnecting in 2.0 s"}}},
      // No stream at all.
      {"refused, retry",
       no_stream(reconnect_after(3s), CURLE_COULDNT_CONNECT),
       true,
       exit_status::ok,
       {{kind::warning, refused + "; retrying in 3.0 s"}}},
      {"refused, no more reconnects",
       no_stream(no_reconnect(), CURLE_COULDNT_CONNECT),
       false,
       exit_status::network,
       {{kind::error, refused}}},
      {"a malformed URL is a usage error at once",
       no_stream(reconnect_after(3s), CURLE_URL_MALFORMAT),
       false,
       exit_status::usage,
       {{kind::error, refused}}},
      {"a redirect loop is a protocol failure at once",
       no_stream(reconnect_after(3s), CURLE_TOO_MANY_REDIRECTS),
       false,
       exit_status::protocol,
       {{kind::error, refused}}},
      {"a bad CA file fails at once",
       no_stream(reconnect_after(3s), CURLE_SSL_CACERT_BADFILE),
       false,
       exit_status::network,
       {{kind::error, refused}}},
      {"no response within --idle-timeout, retry",
       no_stream(reconnect_after(1s), CURLE_OK, ending::idle),
       true,
       exit_status::ok,
       {{kind::warning, "no response within --idle-timeout (" + url + "); retrying in 1.0 s"}}},
      {"a status line but no body within --idle-timeout",
       with(rejected(404),
            [](auto& o) {
              o.how = ending::idle;
              o.decision = no_reconnect();
            }),
       false,
       exit_status::network,
       {{kind::error, "no response within --idle-timeout (" + url + ")"}}},
      // stdin and --input: never reconnect.
      {"input ended",
       with(local(ending::finished), [](auto& o) { o.decision = reconnect_after(1s); }),
       false,
       exit_status::ok,
       {{kind::verbose, "end of standard input"}}},
      {"input ended mid-event",
       with(local(ending::finished), [](auto& o) { o.discarded = 3; }),
       false,
       exit_status::ok,
       {{kind::verbose, "end of standard input"},
        {kind::verbose, "discarded 3 bytes of an unterminated event"}}},
      {"input ended before its sentinel",
       with(local(ending::finished), [](auto& o) { o.sentinel = "--until-data"; }),
       false,
       exit_status::truncated,
       {{kind::verbose, "end of standard input"},
        {kind::error, "the stream ended before its --until-data sentinel (truncated)"}}},
      {"input with an event too large",
       with(local(ending::consumer_stopped),
            [](auto& o) {
              o.consumed = consume_state::too_large;
              o.consumer_error = "too long";
            }),
       false,
       exit_status::protocol,
       {{kind::error, "too long (standard input)"}}},
      {"input, --timeout",
       local(ending::timeout),
       false,
       exit_status::timeout,
       {{kind::verbose, "--timeout reached"}}},
  };
  for (auto const& r : rows) {
    next_step s = decide(r.in);
    EXPECT_EQ(describe(s.reconnect, s.status, s.messages),
              describe(r.reconnect, r.status, r.messages))
        << r.name;
  }
}

TEST(outcome, format_delay) {
  EXPECT_EQ(format_delay(0ms), "0 ms");
  EXPECT_EQ(format_delay(999ms), "999 ms");
  EXPECT_EQ(format_delay(1000ms), "1.0 s");
  EXPECT_EQ(format_delay(3250ms), "3.2 s");
  EXPECT_EQ(format_delay(60000ms), "60.0 s");
}

TEST(outcome, sentinel_option_names_the_option_given) {
  options o;
  EXPECT_EQ(sentinel_option(o), "");
  o.until_data = "[DONE]";
  EXPECT_EQ(sentinel_option(o), "--until-data");
  o.until_event = "end";
  EXPECT_EQ(sentinel_option(o), "--until-event");
}

}  // namespace
}  // namespace sse::listen
