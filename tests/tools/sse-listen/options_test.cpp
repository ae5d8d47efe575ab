// sse-listen's command line: what valid options fill in, and every documented usage error (exit
// status 2, one line on stderr that says what is wrong).
#include "options.hpp"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "capture_stderr.hpp"
#include "common/cli.hpp"
#include "common/diagnostics.hpp"
#include "exit_status.hpp"

namespace sse::listen {
namespace {

struct parsed {
  std::optional<int> status;  // nullopt: the run goes on
  std::string err;
  options opts;
};

parsed parse(std::vector<std::string> const& words) {
  tools::set_program_name("sse-listen");
  parsed p;
  CLI::App app("test", "sse-listen");
  add_listen_options(app, p.opts);
  std::vector<char const*> argv{"sse-listen"};
  for (auto const& w : words) argv.push_back(w.c_str());
  test::capture_stderr err;
  p.status = tools::parse_command_line(app, static_cast<int>(argv.size()), argv.data());
  p.err = err.text();
  return p;
}

TEST(listen_options, a_url_and_defaults) {
  auto p = parse({"https://host/events"});
  ASSERT_FALSE(p.status) << p.err;
  EXPECT_EQ(p.opts.url, "https://host/events");
  EXPECT_EQ(p.opts.format, output_format::text);
  EXPECT_EQ(p.opts.retry_ms, 3000u);
  EXPECT_EQ(p.opts.max_event_size, std::size_t{16} << 20);
  EXPECT_EQ(p.opts.colour, "auto");
  EXPECT_EQ(p.opts.user_agent.rfind("sse-listen/", 0), 0u);
  EXPECT_FALSE(p.opts.max_reconnects);
  EXPECT_EQ(p.err, "");
}

TEST(listen_options, every_option_fills_its_field) {
  auto p = parse({"--json",
                  "-H",
                  "A: 1",
                  "--header",
                  "B: 2",
                  "-X",
                  "PUT",
                  "-d",
                  "@body.json",
                  "--last-event-id",
                  "7",
                  "-k",
                  "-A",
                  "ua/1",
                  "--connect-timeout",
                  "2.5",
                  "--max-reconnects",
                  "3",
                  "--retry",
                  "250",
                  "-n",
                  "10",
                  "-e",
                  "x",
                  "--event",
                  "y",
                  "--until-data",
                  "[DONE]",
                  "--until-event",
                  "end",
                  "-t",
                  "9",
                  "--idle-timeout",
                  "4",
                  "--max-event-size",
                  "1K",
                  "--colour",
                  "never",
                  "-v",
                  "-v",
                  "http://h/e"});
  ASSERT_FALSE(p.status) << p.err;
  auto const& o = p.opts;
  EXPECT_EQ(o.format, output_format::json);
  EXPECT_EQ(o.headers, (std::vector<std::string>{"A: 1", "B: 2"}));
  EXPECT_EQ(o.method, "PUT");
  EXPECT_EQ(o.data, "@body.json");
  EXPECT_EQ(o.last_event_id, "7");
  EXPECT_TRUE(o.insecure);
  EXPECT_EQ(o.user_agent, "ua/1");
  EXPECT_EQ(o.connect_timeout, 2.5);
  EXPECT_EQ(o.max_reconnects, 3u);
  EXPECT_EQ(o.retry_ms, 250u);
  EXPECT_EQ(o.count, 10u);
  EXPECT_EQ(o.event_types, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(o.until_data, "[DONE]");
  EXPECT_EQ(o.until_event, "end");
  EXPECT_EQ(o.timeout, 9.0);
  EXPECT_EQ(o.idle_timeout, 4.0);
  EXPECT_EQ(o.max_event_size, 1024u);
  EXPECT_EQ(o.colour, "never");
  EXPECT_EQ(o.verbose, 2);
  EXPECT_EQ(o.url, "http://h/e");
}

TEST(listen_options, output_formats_and_inputs) {
  EXPECT_EQ(parse({"--raw", "-"}).opts.format, output_format::raw);
  EXPECT_EQ(parse({"--sse", "-"}).opts.format, output_format::sse);
  auto in = parse({"--input", "capture.txt"});
  ASSERT_FALSE(in.status) << in.err;
  EXPECT_EQ(in.opts.input, "capture.txt");
  EXPECT_EQ(in.opts.url, "");
  // stdin as the stream and a body from a file are fine together; only @- and - clash.
  EXPECT_FALSE(parse({"-d", "@body", "-"}).status);
  EXPECT_FALSE(parse({"-d", "@-", "http://h/"}).status);
}

TEST(listen_options, whole_numbers_are_decimal) {
  auto p = parse({"-n", "010", "--retry", "0", "--max-reconnects", "007", "-"});
  ASSERT_FALSE(p.status) << p.err;
  EXPECT_EQ(p.opts.count, 10u);
  EXPECT_EQ(p.opts.retry_ms, 0u);
  EXPECT_EQ(p.opts.max_reconnects, 7u);
  EXPECT_EQ(parse({"-n", "18446744073709551615", "-"}).opts.count, UINT64_MAX);
}

TEST(listen_options, help_and_version_exit_0) {
  EXPECT_EQ(parse({"--help"}).status, 0);
  EXPECT_EQ(parse({"--version"}).status, 0);
}

struct usage_case {
  std::vector<std::string> words;
  std::string says;  // a part of the message
};

TEST(listen_options, every_usage_error_exits_2_with_one_line_that_says_what) {
  std::string const url = "http://127.0.0.1/events";
  std::vector<usage_case> cases = {
      {{}, "URL (or --input FILE) is required"},
      {{"--json"}, "URL (or --input FILE) is required"},
      {{"--input", "f", url}, "--input: give either a URL or --input FILE, not both"},
      {{"ftp://127.0.0.1/events"}, "URL: only http:// and https:// URLs are supported"},
      {{"WS://h/"}, "only http:// and https:// URLs are supported"},
      {{"-d", "@-", "-"}, "--data: -d @- and URL - both want stdin"},
      {{"-H", "no colon", url}, "--header: expected 'Name: value', got 'no colon'"},
      {{"-H", ": v", url}, "--header: the header name is empty in ': v'"},
      {{"-H", "X Y: z", url}, "--header: the header name in 'X Y: z' holds ' '"},
      {{"--header", "X: a\r\nInjected: b", url},
       "--header: a header value cannot hold CR, LF or NUL: 'X: a\\r\\nInjected: b'"},
      {{"-X", "GE T", url}, "--request: invalid method 'GE T'"},
      {{"-X", "G/ET", url}, "--request: invalid method 'G/ET'"},
      {{"-X", "", url}, "--request: empty method"},
      {{"--last-event-id", "a\nb", url}, "--last-event-id: an event ID cannot hold CR, LF or NUL"},
      {{"--last-event-id", "a\rb", url}, "an event ID cannot hold CR, LF or NUL"},
      {{"--json", "--raw", url}, "--json excludes --raw"},
      {{"--json", "--sse", url}, "--json excludes --sse"},
      {{"--raw", "--sse", url}, "--raw excludes --sse"},
      {{"--sse", "-j", url}, "excludes"},
      {{"--no-reconnect", "--max-reconnects", "3", url},
       "--no-reconnect excludes --max-reconnects"},
      {{"--max-reconnects", "3", "--no-reconnect", url}, "excludes"},
      {{"--cacert", "/nonexistent/ca.pem", url},
       "--cacert: File does not exist: /nonexistent/ca.pem"},
      {{"--color", "purple", url}, "--color: purple not in {auto,always,never}"},
      {{"--timeout", "-1", url},
       "--timeout: expected a number of seconds from 0 to 1000000000, got '-1'"},
      {{"-t", "inf", url}, "--timeout: expected a number of seconds from 0 to 1000000000"},
      {{"--idle-timeout", "1e10", url}, "--idle-timeout: expected a number of seconds from 0 to"},
      {{"--connect-timeout", "soon", url}, "--connect-timeout: expected a number of seconds"},
      {{"--max-event-size", "abc", url}, "--max-event-size: abc unit not recognized"},
      {{"-n", "x", url}, "--count: expected a whole number (digits only), got 'x'"},
      {{"-n", "18446744073709551616", url}, "--count: 18446744073709551616 is too large"},
      {{"--retry", "-5", url}, "--retry: expected a whole number (digits only), got '-5'"},
      {{"-n", "-1", url}, "--count: expected a whole number (digits only), got '-1'"},
      {{"--max-reconnects", "0x10", url}, "--max-reconnects: expected a whole number"},
      {{"-d", "a", "-d", "b", url}, "--data"},
      {{"--bogus", url}, "The following argument was not expected: --bogus"},
      {{url, "http://127.0.0.1/other"},
       "The following argument was not expected: http://127.0.0.1/other"},
      {{"-H"}, "--header"},
  };
  for (auto const& c : cases) {
    std::string shown;
    for (auto const& w : c.words) shown += " '" + w + "'";
    auto p = parse(c.words);
    EXPECT_EQ(p.status, static_cast<int>(exit_status::usage)) << shown;
    EXPECT_NE(p.err.find(c.says), std::string::npos) << shown << " said: " << p.err;
    EXPECT_EQ(p.err.rfind("sse-listen: error: ", 0), 0u) << shown << " said: " << p.err;
    EXPECT_EQ(p.err.find('\n'), p.err.size() - 1) << shown << " said: " << p.err;
    EXPECT_NE(p.err.find("(try 'sse-listen --help')"), std::string::npos) << p.err;
  }
}

}  // namespace
}  // namespace sse::listen
