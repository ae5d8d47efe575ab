// sse-serve's command line: defaults, every documented error (a usage error, exit status 2, with
// a message naming the problem), and the values that reach the options struct.
#include "options.hpp"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "common/cli.hpp"
#include "exit_status.hpp"

namespace sse::serve {
namespace {

struct parsed {
  int status = -1;      // parse_command_line's answer: 0 go on (or help), 2 usage error
  std::string message;  // the error CLI11 reported, if any
  options o;
};

parsed parse(std::vector<std::string> args) {
  parsed p;
  CLI::App app("test", "sse-serve");
  add_serve_options(app, p.o);
  std::vector<char const*> argv{"sse-serve"};
  for (auto const& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
    p.status = 0;
  } catch (CLI::ParseError const& e) {
    p.message = e.what();
    // The same arguments through the tools' entry point give the documented status.
    CLI::App again("test", "sse-serve");
    options unused;
    add_serve_options(again, unused);
    p.status =
        tools::parse_command_line(again, static_cast<int>(argv.size()), argv.data()).value_or(0);
  }
  return p;
}

TEST(ServeOptions, Defaults) {
  parsed p = parse({});
  ASSERT_EQ(p.status, 0);
  EXPECT_EQ(p.o.host, "127.0.0.1");
  EXPECT_EQ(p.o.port, 8080);
  EXPECT_EQ(p.o.path, "/events");
  EXPECT_EQ(p.o.format, input_format::lines);
  EXPECT_EQ(p.o.history, 1000u);
  EXPECT_EQ(p.o.client_buffer, std::size_t{4} << 20);
  EXPECT_FALSE(p.o.backpressure);
  EXPECT_EQ(p.o.stall_timeout, 10.0);
  EXPECT_EQ(p.o.ping, 15.0);
  EXPECT_FALSE(p.o.retry.has_value());
}

TEST(ServeOptions, ValuesReachTheStruct) {
  parsed p = parse({"--host",
                    "::",
                    "-p",
                    "0",
                    "--path",
                    "/stream",
                    "--format",
                    "json",
                    "--event",
                    "log",
                    "--max-line",
                    "2K",
                    "--history",
                    "5",
                    "--history-bytes",
                    "1M",
                    "--backlog",
                    "3",
                    "--retry",
                    "1500",
                    "--ping",
                    "0.5",
                    "--cors",
                    "*",
                    "--header",
                    "X-A: 1",
                    "--header",
                    "X-B: 2",
                    "--max-clients",
                    "9",
                    "--client-buffer",
                    "64K",
                    "--backpressure",
                    "--stall-timeout",
                    "2.5",
                    "--request-timeout",
                    "3",
                    "--exit-on-eof",
                    "--shutdown-grace",
                    "0",
                    "-v"});
  ASSERT_EQ(p.status, 0) << p.message;
  EXPECT_EQ(p.o.host, "::");
  EXPECT_EQ(p.o.port, 0);
  EXPECT_EQ(p.o.path, "/stream");
  EXPECT_EQ(p.o.format, input_format::json);
  EXPECT_EQ(p.o.event_type, "log");
  EXPECT_EQ(p.o.max_line, 2048u);
  EXPECT_EQ(p.o.history, 5u);
  EXPECT_EQ(p.o.history_bytes, std::size_t{1} << 20);
  EXPECT_EQ(p.o.backlog, 3u);
  EXPECT_EQ(p.o.retry, 1500u);
  EXPECT_EQ(p.o.ping, 0.5);
  EXPECT_EQ(p.o.cors, "*");
  EXPECT_EQ(p.o.headers, (std::vector<std::string>{"X-A: 1", "X-B: 2"}));
  EXPECT_EQ(p.o.max_clients, 9u);
  EXPECT_EQ(p.o.client_buffer, 64u << 10);
  EXPECT_TRUE(p.o.backpressure);
  EXPECT_EQ(p.o.stall_timeout, 2.5);
  EXPECT_EQ(p.o.request_timeout, 3.0);
  EXPECT_TRUE(p.o.exit_on_eof);
  EXPECT_EQ(p.o.shutdown_grace, 0.0);
  EXPECT_TRUE(p.o.verbose);
}

TEST(ServeOptions, EveryDocumentedErrorIsAUsageError) {
  struct bad {
    std::vector<std::string> args;
    std::string says;  // a piece of the message
  };
  std::vector<bad> cases = {
      {{"--path", "events"}, "must start with '/'"},
      {{"--path", "/"}, "serves the page"},
      {{"--path", "/a b"}, "may hold only"},
      {{"--path", "/a\"b"}, "may hold only"},
      {{"--interval", "0"}, "--interval"},
      {{"--interval", "-1"}, "--interval"},
      {{"--interval", "100000"}, "--interval"},
      {{"--format", "xml"}, "--format"},
      {{"--event", "a\nb"}, "line break in event type"},
      {{"--max-line", "lots"}, "--max-line"},
      {{"--ping", "-1"}, "--ping"},
      {{"--ping", "1e300"}, "--ping"},
      {{"--stall-timeout", "-2"}, "--stall-timeout"},
      {{"--request-timeout", "0"}, "--request-timeout"},
      {{"--shutdown-grace", "-1"}, "--shutdown-grace"},
      {{"--header", "no colon"}, "Name: value"},
      {{"--header", "bad name: x"}, "header"},
      {{"--header", ": x"}, "the header name is empty"},
      {{"-p", "70000"}, "--port"},
      {{"-p", "http"}, "--port"},
      {{"--history", "-1"}, "whole number"},
      {{"--max-clients", "1e3"}, "whole number"},
      {{"--retry", "99999999999999999999"}, "too large"},
      {{"-q", "-v"}, "excludes"},
      {{"--no-such-option"}, "--no-such-option"},
      {{"stray"}, "stray"},
  };
  for (auto const& c : cases) {
    parsed p = parse(c.args);
    std::string shown;
    for (auto const& a : c.args) shown += a + " ";
    EXPECT_EQ(p.status, tools::exit_usage) << shown;
    EXPECT_NE(p.message.find(c.says), std::string::npos) << shown << "-> " << p.message;
  }
}

// The man page's EXIT STATUS lists exactly the enum's statuses (and 128+N for signals).
TEST(ServeOptions, TheManPageListsEveryExitStatus) {
  std::ifstream in(SSE_SERVE_MAN_PAGE);
  ASSERT_TRUE(in) << SSE_SERVE_MAN_PAGE;
  std::vector<std::string> items;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# ", 0) == 0) inside = line == "# EXIT STATUS";
    // An item is a line of its own in bold, without spaces: "*2*", "*128+*_N_".
    if (inside && line.size() > 2 && line.front() == '*' && line.find(' ') == std::string::npos) {
      items.push_back(line);
    }
  }
  std::vector<std::string> expected;
  for (exit_status s : all_exit_statuses)
    expected.push_back("*" + std::to_string(static_cast<int>(s)) + "*");
  expected.push_back("*128+*_N_");
  EXPECT_EQ(items, expected);
}

}  // namespace
}  // namespace sse::serve
