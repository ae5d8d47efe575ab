// End-to-end: the real sse-listen binary against a scripted HTTP server on 127.0.0.1 (port 0).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>
#include <zlib.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "e2e_support.hpp"
#include "scripted_server.hpp"

namespace sse::listen::test {
namespace {

using namespace std::chrono_literals;

nlohmann::json ev(std::string const& type, std::string const& data, std::string const& id) {
  return {{"event", type}, {"data", data}, {"id", id}};
}

std::string gzip(std::string const& in) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, static_cast<uLong>(in.size())) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string temp_file(std::string const& content) {
  char name[] = "/tmp/sse-listen-test-XXXXXX";
  int fd = ::mkstemp(name);
  EXPECT_GE(fd, 0);
  ::close(fd);
  std::ofstream(name, std::ios::binary) << content;
  return name;
}

// ---- Output formats -------------------------------------------------------------------------

TEST(listen_e2e, text_output_prints_default_events_as_their_data) {
  scripted_server server({response::events(
      "data: hello\n\ndata: two\ndata: lines\n\nevent: tick\nid: 3\ndata: t\n\n")});
  auto r = listen({"--no-reconnect", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello\ntwo\nlines\n[tick #3] t\n");
}

TEST(listen_e2e, json_output_is_one_contract_object_per_line) {
  scripted_server server(
      {response::events("data: a\n\nevent: e\nid: 1\ndata: \"q\"\n\ndata: b\n\n")});
  auto r = listen({"--json", "--no-reconnect", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"event\":\"message\",\"data\":\"a\",\"id\":\"\"}\n"
            "{\"event\":\"e\",\"data\":\"\\\"q\\\"\",\"id\":\"1\"}\n"
            "{\"event\":\"message\",\"data\":\"b\",\"id\":\"1\"}\n");
}

TEST(listen_e2e, raw_output_is_the_bytes_as_received) {
  std::string body = ": comment\nretry: 5000\ndata: x\r\n\r\nid: 9\ndata:y\n\n";
  scripted_server server({response::events(body)});
  auto r = listen({"--raw", "--no-reconnect", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, body);
}

TEST(listen_e2e, raw_output_with_count_stops_after_the_nth_event) {
  scripted_server server({response::events("data: 1\n\n: c\ndata: 2\n\ndata: 3\n\n").hold()});
  auto r = listen({"--raw", "-n", "2", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "data: 1\n\n: c\ndata: 2\n\n");
}

TEST(listen_e2e, sse_output_re_encodes_complete_events) {
  scripted_server server(
      {response::events(": c\nevent: e\ndata: a\ndata: b\nid: 4\n\ndata: partial")});
  auto r = listen({"--sse", "--no-reconnect", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto back = run_program(binary, {"--json", "-"}, r.out);
  EXPECT_EQ(json_lines(back.out), (std::vector<nlohmann::json>{ev("e", "a\nb", "4")}));
  EXPECT_EQ(r.out.find("partial"), std::string::npos);
}

// ---- Parser edges over the wire -------------------------------------------------------------

struct wire_case {
  char const* name;
  std::vector<std::string> chunks;  // each sent by itself, with a pause in between
  std::vector<nlohmann::json> expected;
};

TEST(listen_e2e, parser_edges_over_the_wire) {
  std::vector<wire_case> cases = {
      {"crlf, lone cr and lf line ends",
       {"data: a\r\n\r\ndata: b\r\rdata: c\n\n"},
       {ev("message", "a", ""), ev("message", "b", ""), ev("message", "c", "")}},
      {"crlf split between chunks",
       {"data: a\r", "\n\r", "\ndata: b\n\n"},
       {ev("message", "a", ""), ev("message", "b", "")}},
      {"a line split mid-field", {"da", "ta: hel", "lo\n", "\n"}, {ev("message", "hello", "")}},
      {"leading BOM, split",
       {"\xEF\xBB",
        "\xBF"
        "data: x\n\n"},
       {ev("message", "x", "")}},
      {"one space stripped, no colon field, empty data",
       {"data:  two spaces\n\ndata\n\ndata:\n\n"},
       {ev("message", " two spaces", ""), ev("message", "", ""), ev("message", "", "")}},
      {"comments and unknown fields ignored",
       {": hi\nfoo: bar\ndata: d\n\n"},
       {ev("message", "d", "")}},
      {"blank event is not dispatched, type resets",
       {"event: x\n\ndata: d\n\n"},
       {ev("message", "d", "")}},
      {"multi-line data keeps inner newlines",
       {"data: a\ndata:\ndata: b\n\n"},
       {ev("message", "a\n\nb", "")}},
      {"id persists, an id with NUL is ignored, empty id resets",
       {"id: 1\ndata: a\n\ndata: b\n\nid: 2\0x\ndata: c\n\nid\ndata: d\n\n"},
       {ev("message", "a", "1"), ev("message", "b", "1"), ev("message", "c", "1"),
        ev("message", "d", "")}},
      {"invalid utf-8 is repaired",
       {"data: \xFF\xC3\n\n"},
       {ev("message", "\xEF\xBF\xBD\xEF\xBF\xBD", "")}},
      {"utf-8 split between chunks",
       {"data: \xE2\x82", "\xAC\n\n"},
       {ev("message", "\xE2\x82\xAC", "")}},
      {"retry fields are not events",
       {"retry: 1000\nretry: x\ndata: r\n\n"},
       {ev("message", "r", "")}},
      {"an unterminated final event is discarded",
       {"data: kept\n\ndata: lost\n"},
       {ev("message", "kept", "")}},
  };
  // The NUL in the id case needs an explicit length.
  static constexpr char with_nul[] =
      "id: 1\ndata: a\n\ndata: b\n\nid: 2\0x\ndata: c\n\nid\ndata: d\n\n";
  cases[8].chunks[0] = std::string(with_nul, sizeof with_nul - 1);
  for (auto const& c : cases) {
    response res = response::head("200 OK", "Content-Type: text/event-stream\r\n");
    for (auto const& chunk : c.chunks) res.pause(20).send(chunk);
    scripted_server server({res});
    auto r = listen({"--json", "--no-reconnect", server.url()});
    EXPECT_EQ(r.exit_code, 0) << c.name << ": " << r.err;
    EXPECT_EQ(json_lines(r.out), c.expected) << c.name;
  }
}

TEST(listen_e2e, a_stream_delivered_one_byte_at_a_time) {
  std::string body =
      "\xEF\xBB\xBFid: 7\r\nevent: e\r\ndata: x\r\ndata: \xC3\xA9\r\n\r\n: c\rdata: y\r\r";
  response res = response::head("200 OK", "Content-Type: text/event-stream\r\n");
  for (char c : body) res.pause(1).send(std::string(1, c));
  scripted_server server({res});
  auto r = listen({"--json", "--no-reconnect", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_lines(r.out),
            (std::vector<nlohmann::json>{ev("e", "x\n\xC3\xA9", "7"), ev("message", "y", "7")}));
}

TEST(listen_e2e, verbose_reports_the_discarded_bytes_of_an_unterminated_event) {
  scripted_server server({response::events("data: a\n\ndata: cut")});
  auto r = listen({"-v", "--no-reconnect", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "a\n");
  EXPECT_NE(r.err.find("discarded 9 bytes of an unterminated event"), std::string::npos) << r.err;
}

// ---- Reconnection ---------------------------------------------------------------------------

TEST(listen_e2e, reconnects_with_last_event_id_and_honours_retry) {
  scripted_server server({response::events("retry: 250\nid: 5\ndata: a\n\n"),
                          response::events("retry: 0\ndata: b\n\n"),
                          response::events("id: 6\ndata: c\n\n")});
  auto r = listen({"--json", "-v", "-n", "3", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_lines(r.out),
            (std::vector<nlohmann::json>{ev("message", "a", "5"), ev("message", "b", "5"),
                                         ev("message", "c", "6")}));
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_FALSE(requests[0].has_header("Last-Event-ID"));
  EXPECT_EQ(requests[1].header("Last-Event-ID"), "5");
  EXPECT_EQ(requests[2].header("Last-Event-ID"), "5");
  for (auto const& q : requests) {
    EXPECT_EQ(q.header("Accept"), "text/event-stream");
    EXPECT_EQ(q.header("Cache-Control"), "no-cache");
    EXPECT_EQ(q.method, "GET");
  }
  // retry: 250 is used as is; retry: 0 is raised to the floor (each with its ±20% jitter).
  EXPECT_NE(r.err.find(" (250 ms ± 20%)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" (100 ms ± 20%)"), std::string::npos) << r.err;
}

TEST(listen_e2e, last_event_id_option_is_sent_on_the_first_request) {
  scripted_server server({response::events("data: a\n\n")});
  auto r = listen({"--no-reconnect", "--last-event-id", "41", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].header("Last-Event-ID"), "41");
}

TEST(listen_e2e, status_204_stops_with_success) {
  scripted_server server(
      {response::events("retry: 100\ndata: a\n\n"), response::head("204 No Content", "")});
  auto r = listen({server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "a\n");
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(listen_e2e, max_reconnects_limits_the_reconnections) {
  scripted_server server({response::events("retry: 100\ndata: x\n\n")});
  auto r = listen({"--max-reconnects", "2", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "x\nx\nx\n");
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(listen_e2e, idle_timeout_drops_a_silent_connection_and_reconnects) {
  scripted_server server({response::events("retry: 100\nid: 1\ndata: a\n\n").hold(),
                          response::events("data: b\n\n").hold()});
  auto r = listen({"-n", "2", "--idle-timeout", "0.3", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[#1] a\n[#1] b\n");
  ASSERT_EQ(server.requests().size(), 2u);
  EXPECT_EQ(server.requests()[1].header("Last-Event-ID"), "1");
}

TEST(listen_e2e, a_post_is_re_sent_on_reconnect_and_verbose_says_so) {
  scripted_server server({response::events("retry: 100\ndata: a\n\n")});
  auto r = listen({"-v", "-n", "2", "-d", "{\"q\":1}", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  for (auto const& q : requests) {
    EXPECT_EQ(q.method, "POST");
    EXPECT_EQ(q.body, "{\"q\":1}");
  }
  EXPECT_NE(r.err.find("re-sending the POST request"), std::string::npos) << r.err;
}

TEST(listen_e2e, redirects_are_followed) {
  scripted_server server([](std::size_t, recorded_request const& q) {
    if (q.target == "/old")
      return response::head("302 Found", "Location: /new\r\nContent-Length: 0\r\n");
    return response::events("data: moved\n\n");
  });
  auto r = listen({"--no-reconnect", server.url("/old")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "moved\n");
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].target, "/new");
}

TEST(listen_e2e, a_redirect_loop_fails_with_status_1_at_once) {
  scripted_server server(
      {response::head("302 Found", "Location: /events\r\nContent-Length: 0\r\n")});
  auto r = listen({server.url()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("redirect"), std::string::npos) << r.err;
}

// ---- Failures -------------------------------------------------------------------------------

TEST(listen_e2e, status_404_fails_with_status_1_and_shows_the_body) {
  scripted_server server(
      {response::head("404 Not Found", "Content-Type: text/plain\r\nContent-Length: 14\r\n")
           .send("no such stream")});
  auto r = listen({server.url()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("sse-listen: error: server answered HTTP/1.1 404 Not Found"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("no such stream"), std::string::npos) << r.err;
  EXPECT_EQ(server.requests().size(), 1u) << "a failed connection is not retried";
}

TEST(listen_e2e, status_500_fails_with_status_1_and_only_the_first_kib_of_the_body) {
  std::string body = "{\"error\":\"overloaded\"}" + std::string(100000, ' ');
  scripted_server server({response::head("500 Internal Server Error",
                                         "Content-Type: application/json\r\nContent-Length: " +
                                             std::to_string(body.size()) + "\r\n")
                              .send(body)});
  auto r = listen({server.url()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("500 Internal Server Error"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("{\"error\":\"overloaded\"}"), std::string::npos) << r.err;
  EXPECT_LT(r.err.size(), 6000u);
}

TEST(listen_e2e, wrong_content_type_fails_with_status_1) {
  scripted_server server({response::head("200 OK", "Content-Type: text/html\r\n").send("<html>")});
  auto r = listen({server.url()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Content-Type is 'text/html', not text/event-stream"), std::string::npos)
      << r.err;
}

TEST(listen_e2e, missing_content_type_fails_with_status_1) {
  scripted_server server({response::head("200 OK", "").send("data: a\n\n")});
  auto r = listen({server.url()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no Content-Type"), std::string::npos) << r.err;
}

TEST(listen_e2e, content_type_parameters_and_case_are_accepted) {
  scripted_server server(
      {response::head("200 OK", "Content-Type: Text/Event-Stream ; charset=utf-8\r\n")
           .send("data: ok\n\n")});
  auto r = listen({"--no-reconnect", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ok\n");
}

TEST(listen_e2e, connection_refused_without_reconnect_is_a_network_failure) {
  std::string url;
  {
    scripted_server server({response::events("")});
    url = server.url();
  }  // closed: nothing listens on that port now
  auto r = listen({"--no-reconnect", url});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("sse-listen: error:"), std::string::npos) << r.err;
}

TEST(listen_e2e, network_errors_are_retried_until_max_reconnects) {
  std::string url;
  {
    scripted_server server({response::events("")});
    url = server.url();
  }
  auto r = listen({"--retry", "100", "--max-reconnects", "2", url});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  // Two warnings (retrying in 100 ms, then 200 ms: backoff), then the error.
  EXPECT_NE(r.err.find(" (100 ms ± 20%)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" (200 ms ± 20%)"), std::string::npos) << r.err;
}

TEST(listen_e2e, a_line_that_never_ends_fails_at_the_limit) {
  response res = response::head("200 OK", "Content-Type: text/event-stream\r\n");
  res.send("data: ok\n\ndata: ");
  std::string block(64 * 1024, 'x');
  for (int i = 0; i < 64; ++i) res.send(block);  // 4 MiB and never a line end
  res.hold();
  scripted_server server({res});
  auto r = listen({"--max-event-size", "1M", server.url()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "ok\n");
  EXPECT_NE(r.err.find("longer than --max-event-size (1048576 bytes)"), std::string::npos) << r.err;
}

TEST(listen_e2e, tls_certificates_are_verified_unless_insecure) {
  // openssl s_server -WWW serves files as text/plain: once TLS succeeds, the content type is what
  // fails (status 1); a failed verification is a network failure (status 3).
  char dir_template[] = "/tmp/sse-listen-tls-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  std::string dir = dir_template;
  auto made = run_program(
      "/bin/sh", {"-c", "cd " + dir +
                            " && " OPENSSL_PROGRAM
                            " req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem"
                            " -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1"
                            " && echo 'data: x' > e.txt"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  child_process tls("/bin/sh",
                    {"-c", "cd " + dir +
                               " && exec " OPENSSL_PROGRAM
                               " s_server -accept 127.0.0.1:0 -cert cert.pem -key key.pem -WWW"});
  ASSERT_TRUE(tls.wait_for(1, "ACCEPT 127.0.0.1:", 30s)) << tls.out() << tls.err();
  auto at = tls.out().find("ACCEPT 127.0.0.1:");
  // The port is complete once its line ends.
  ASSERT_TRUE(tls.wait_for(1, "\n", 30s, at)) << tls.out();
  std::string port = tls.out().substr(at + 17, tls.out().find('\n', at) - at - 17);
  std::string url = "https://127.0.0.1:" + port + "/e.txt";

  auto verified = listen({"--no-reconnect", url});
  EXPECT_EQ(verified.exit_code, 3) << verified.err;
  EXPECT_NE(verified.err.find("certificate"), std::string::npos) << verified.err;
  auto insecure = listen({"--no-reconnect", "-k", url});
  EXPECT_EQ(insecure.exit_code, 1) << insecure.err;
  EXPECT_NE(insecure.err.find("'text/plain'"), std::string::npos) << insecure.err;
  auto cacert = listen({"--no-reconnect", "--cacert", dir + "/cert.pem", url});
  EXPECT_EQ(cacert.exit_code, 1) << cacert.err;
  EXPECT_NE(cacert.err.find("'text/plain'"), std::string::npos) << cacert.err;

  tls.kill(SIGTERM);
  tls.finish(30s);
  run_program("/bin/rm", {"-rf", dir});
}

// ---- Requests -------------------------------------------------------------------------------

TEST(listen_e2e, headers_method_and_body_reach_the_server) {
  scripted_server server({response::events("data: a\n\n")});
  auto r =
      listen({"--no-reconnect", "-H", "X-Token: secret", "-H", "Accept: text/event-stream, */*",
              "-X", "PUT", "-d", "payload", "-A", "tester/1", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[0].body, "payload");
  EXPECT_EQ(requests[0].header("X-Token"), "secret");
  EXPECT_EQ(requests[0].header("Accept"), "text/event-stream, */*");
  EXPECT_EQ(requests[0].header("User-Agent"), "tester/1");
}

// Issue 10: a repeatable option right before the URL took the URL as a second value.
TEST(listen_e2e, a_repeatable_option_right_before_the_url_takes_one_value) {
  scripted_server server({response::events("event: update\ndata: u\n\ndata: m\n\n")});
  auto r = listen({"--no-reconnect", "-H", "Authorization: Bearer x", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[update] u\nm\n");
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].header("Authorization"), "Bearer x");

  for (std::string option : {"-e", "--event"}) {
    auto filtered = listen({"--no-reconnect", option, "update", server.url()});
    EXPECT_EQ(filtered.exit_code, 0) << option << ": " << filtered.err;
    EXPECT_EQ(filtered.out, "[update] u\n") << option;
  }
}

TEST(listen_e2e, default_user_agent_names_the_tool_and_version) {
  scripted_server server({response::events("data: a\n\n")});
  auto r = listen({"--no-reconnect", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(server.requests().at(0).header("User-Agent"), std::string("sse-listen/") + SSE_VERSION);
}

TEST(listen_e2e, data_from_a_file_and_from_stdin) {
  std::string file = temp_file("{\"from\":\"file\"}");
  scripted_server server({response::events("data: a\n\n")});
  auto r1 = listen({"--no-reconnect", "-d", "@" + file, server.url()});
  auto r2 = listen({"--no-reconnect", "-d", "@-", server.url()}, "from stdin");
  ::unlink(file.c_str());
  EXPECT_EQ(r1.exit_code, 0) << r1.err;
  EXPECT_EQ(r2.exit_code, 0) << r2.err;
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].body, "{\"from\":\"file\"}");
  EXPECT_EQ(requests[1].body, "from stdin");
}

TEST(listen_e2e, unreadable_data_file_is_a_local_io_error) {
  auto r = listen({"-d", "@/nonexistent/body.json", "http://127.0.0.1:9/"});
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_NE(r.err.find("/nonexistent/body.json"), std::string::npos) << r.err;
}

// ---- Stopping -------------------------------------------------------------------------------

TEST(listen_e2e, count_stops_after_n_events_even_mid_chunk) {
  scripted_server server({response::events("data: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n").hold()});
  auto r = listen({"-n", "3", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1\n2\n3\n");
}

TEST(listen_e2e, timeout_exits_124) {
  scripted_server server({response::events("data: a\n\n").hold()});
  auto r = listen({"--timeout", "1.5", server.url()});
  EXPECT_EQ(r.exit_code, 124) << r.err;
  EXPECT_EQ(r.out, "a\n");
}

TEST(listen_e2e, timeout_spans_reconnection_waits) {
  scripted_server server({response::events("retry: 60000\ndata: a\n\n")});
  auto r = listen({"--timeout", "0.5", server.url()});
  EXPECT_EQ(r.exit_code, 124) << r.err;
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(listen_e2e, event_filter_and_until_event) {
  scripted_server server(
      {response::events("event: message_start\ndata: s\n\nevent: content_block_delta\ndata: "
                        "d1\n\nevent: ping\ndata: p\n\n"
                        "event: content_block_delta\ndata: d2\n\nevent: message_stop\ndata: "
                        "e\n\nevent: content_block_delta\ndata: late\n\n")
           .hold()});
  auto r = listen(
      {"--event", "content_block_delta", "--until-event", "message_stop", "--json", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_lines(r.out), (std::vector<nlohmann::json>{ev("content_block_delta", "d1", ""),
                                                            ev("content_block_delta", "d2", "")}));
}

TEST(listen_e2e, until_data_stops_at_the_sentinel_of_an_llm_post) {
  scripted_server server(
      {response::events("data: {\"t\":\"Hel\"}\n\ndata: {\"t\":\"lo\"}\n\ndata: [DONE]\n\n")
           .hold()});
  auto r = listen({"--no-reconnect", "-d", "{}", "--until-data", "[DONE]", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"t\":\"Hel\"}\n{\"t\":\"lo\"}\n");
}

TEST(listen_e2e, a_stream_that_ends_before_its_sentinel_is_truncated) {
  scripted_server server({response::events("data: a\n\n")});
  auto r = listen({"--no-reconnect", "--until-data", "[DONE]", server.url()});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_EQ(r.out, "a\n");
  EXPECT_NE(r.err.find("truncated"), std::string::npos) << r.err;
}

TEST(listen_e2e, sigint_ends_the_run_as_the_signal) {
  scripted_server server({response::events("data: a\n\n").hold()});
  child_process child(binary, {"-v", server.url()});
  ASSERT_TRUE(child.wait_for(1, "a\n", 30s)) << child.err();
  child.kill(SIGINT);
  auto r = child.finish(30s);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.signal, SIGINT);
}

TEST(listen_e2e, sigterm_while_reading_stdin_ends_the_run_as_the_signal) {
  child_process child(binary, {"-"});
  child.write_stdin("data: a\n\n");
  ASSERT_TRUE(child.wait_for(1, "a\n", 30s)) << child.err();
  child.kill(SIGTERM);
  auto r = child.finish(30s);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.signal, SIGTERM);
}

TEST(listen_e2e, sigint_during_a_reconnection_wait) {
  scripted_server server({response::events("retry: 60000\ndata: a\n\n")});
  child_process child(binary, {"-v", server.url()});
  ASSERT_TRUE(child.wait_for(2, "(60.0 s ± 20%)", 30s)) << child.err();
  child.kill(SIGINT);
  auto r = child.finish(30s);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.signal, SIGINT);
  EXPECT_EQ(r.out, "a\n");
}

TEST(listen_e2e, a_closed_stdout_is_a_quiet_exit) {
  response res = response::events("");
  // Events keep coming for far longer than the test should take, so the write after the close
  // happens however slow the machine is.
  for (int i = 0; i < 6000; ++i) res.send("data: " + std::to_string(i) + "\n\n").pause(5);
  res.hold();
  scripted_server server({res});
  child_process child(binary, {server.url()});
  ASSERT_TRUE(child.wait_for(1, "\n", 30s)) << child.err();
  child.close_stdout();
  auto r = child.finish(30s);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");
}

// ---- Volume and encodings -------------------------------------------------------------------

TEST(listen_e2e, gzip_encoded_stream) {
  std::string body;
  for (int i = 0; i < 1000; ++i)
    body += "id: " + std::to_string(i) + "\ndata: event " + std::to_string(i) + "\n\n";
  scripted_server server(
      {response::head("200 OK", "Content-Type: text/event-stream\r\nContent-Encoding: gzip\r\n")
           .send(gzip(body))});
  auto r = listen({"--json", "--no-reconnect", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 1000u);
  EXPECT_EQ(lines[999], ev("message", "event 999", "999"));
  EXPECT_NE(server.requests().at(0).header("Accept-Encoding").find("gzip"), std::string::npos);
}

TEST(listen_e2e, an_8_mib_event_arrives_intact) {
  std::string data;
  data.reserve(8u << 20);
  for (std::size_t i = 0; data.size() < (8u << 20); ++i) data += static_cast<char>('a' + i % 26);
  scripted_server server({response::events("data: " + data + "\n\ndata: after\n\n")});
  auto r = listen({"--no-reconnect", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.out.size(), data.size() + 1 + 6);
  EXPECT_TRUE(r.out.compare(0, data.size(), data) == 0);
  EXPECT_EQ(r.out.substr(data.size()), "\nafter\n");
}

TEST(listen_e2e, ten_thousand_events_in_order) {
  response res = response::head("200 OK", "Content-Type: text/event-stream\r\n");
  std::string batch;
  for (int i = 0; i < 10000; ++i) {
    batch += "id: " + std::to_string(i) + "\ndata: " + std::to_string(i * 7) + "\n\n";
    if (batch.size() > 3000) res.send(std::exchange(batch, {}));
  }
  res.send(batch);
  scripted_server server({res});
  auto r = listen({"--json", "--no-reconnect", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 10000u);
  for (int i = 0; i < 10000; ++i) {
    ASSERT_EQ(lines[static_cast<std::size_t>(i)],
              ev("message", std::to_string(i * 7), std::to_string(i)));
  }
}

// ---- Local input ----------------------------------------------------------------------------

TEST(listen_e2e, stdin_mode_parses_a_captured_stream) {
  auto r = listen({"--json", "-"}, "event: e\ndata: 1\n\ndata: 2\n\ndata: cut");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_lines(r.out),
            (std::vector<nlohmann::json>{ev("e", "1", ""), ev("message", "2", "")}));
}

TEST(listen_e2e, input_file_mode_and_count) {
  std::string file = temp_file("data: a\n\ndata: b\n\ndata: c\n\n");
  auto r = listen({"-n", "2", "--input", file});
  ::unlink(file.c_str());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "a\nb\n");
}

TEST(listen_e2e, missing_input_file_is_a_local_io_error) {
  auto r = listen({"--input", "/nonexistent/capture.txt"});
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_NE(r.err.find("cannot open /nonexistent/capture.txt"), std::string::npos) << r.err;
}

TEST(listen_e2e, stdin_limit_applies_too) {
  auto r = listen({"--max-event-size", "1K", "-"}, "data: " + std::string(5000, 'x'));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--max-event-size"), std::string::npos) << r.err;
}

TEST(listen_e2e, usage_errors_exit_2) {
  EXPECT_EQ(listen({}).exit_code, 2);
  EXPECT_EQ(listen({"--json", "--raw", "-"}).exit_code, 2);
  EXPECT_EQ(listen({"--input", "x", "http://127.0.0.1/"}).exit_code, 2);
  EXPECT_EQ(listen({"-H", "no colon", "http://127.0.0.1/"}).exit_code, 2);
  EXPECT_EQ(listen({"--no-reconnect", "--max-reconnects", "3", "http://127.0.0.1/"}).exit_code, 2);
  EXPECT_EQ(listen({"--bogus"}).exit_code, 2);
  auto ftp = listen({"ftp://127.0.0.1/events"});
  EXPECT_EQ(ftp.exit_code, 2);
  EXPECT_NE(ftp.err.find("only http:// and https://"), std::string::npos) << ftp.err;
}

TEST(listen_e2e, help_and_version) {
  auto help = listen({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Examples:"), std::string::npos);
  auto version = listen({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, std::string("sse-listen ") + SSE_VERSION + "\n");
}

}  // namespace
}  // namespace sse::listen::test
