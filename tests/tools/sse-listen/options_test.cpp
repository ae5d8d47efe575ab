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
  EXPECT_EQ(p.opts.urls, std::vector<std::string>{"https://host/events"});
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
  EXPECT_EQ(o.urls, std::vector<std::string>{"http://h/e"});
}

TEST(listen_options, output_formats_and_inputs) {
  EXPECT_EQ(parse({"--raw", "-"}).opts.format, output_format::raw);
  EXPECT_EQ(parse({"--sse", "-"}).opts.format, output_format::sse);
  auto in = parse({"--input", "capture.txt"});
  ASSERT_FALSE(in.status) << in.err;
  EXPECT_EQ(in.opts.input, "capture.txt");
  EXPECT_TRUE(in.opts.urls.empty());
  // stdin as the stream and a body from a file are fine together; only @- and - clash.
  EXPECT_FALSE(parse({"-d", "@body", "-"}).status);
  EXPECT_FALSE(parse({"-d", "@-", "http://h/"}).status);
  // Several URLs are followed together.
  auto several = parse({"--sse", "http://h/a", "https://h/b"});
  ASSERT_FALSE(several.status) << several.err;
  EXPECT_EQ(several.opts.urls, (std::vector<std::string>{"http://h/a", "https://h/b"}));
  EXPECT_TRUE(parse({"--timestamps", "-"}).opts.local_input());
}

TEST(listen_options, the_options_of_issue_15_fill_their_fields) {
  auto p = parse({"--state-file", "s.id", "--exec", "./deploy.sh", "--exec-errors", "ignore",
                  "--exec-timeout", "2.5", "--proxy", "socks5h://127.0.0.1:1080", "--http2",
                  "--include", "--retry-on-5xx", "http://a/", "http://b/"});
  ASSERT_FALSE(p.status) << p.err;
  auto const& o = p.opts;
  EXPECT_EQ(o.urls, (std::vector<std::string>{"http://a/", "http://b/"}));
  EXPECT_EQ(o.state_file, "s.id");
  EXPECT_EQ(o.exec, "./deploy.sh");
  EXPECT_TRUE(o.exec_errors_ignore);
  EXPECT_EQ(o.exec_timeout, 2.5);
  EXPECT_EQ(o.proxy, "socks5h://127.0.0.1:1080");
  EXPECT_EQ(o.http, http_version::http2);
  EXPECT_TRUE(o.include);
  EXPECT_FALSE(o.timestamps);
  EXPECT_TRUE(parse({"--timestamps", "http://a/"}).opts.timestamps);
  EXPECT_TRUE(o.retry_on_5xx);
  EXPECT_FALSE(o.local_input());

  auto d = parse({"--exec", "x", "--exec-errors", "stop", "--http1.1", "http://a/"});
  ASSERT_FALSE(d.status) << d.err;
  EXPECT_FALSE(d.opts.exec_errors_ignore);
  EXPECT_EQ(d.opts.http, http_version::http1_1);
  EXPECT_FALSE(d.opts.proxy);
  // An empty --proxy is kept: it turns the proxy variables off, as in curl.
  EXPECT_EQ(parse({"--proxy", "", "http://a/"}).opts.proxy, "");
  // A proxy without a scheme is an HTTP proxy, as in curl.
  EXPECT_FALSE(parse({"--proxy", "127.0.0.1:3128", "http://a/"}).status);
  EXPECT_FALSE(parse({"--proxy", "HTTPS://p:443", "http://a/"}).status);
  EXPECT_EQ(parse({"http://a/"}).opts.http, http_version::negotiate);
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
      {{"-H"}, "--header"},
      // Issue 15.
      {{"--state-file", "s", "-"}, "--state-file: resumes URLs, not stdin or --input"},
      {{"--state-file", "s", "--input", "f"}, "--state-file: resumes URLs, not stdin or --input"},
      {{"--exec-errors", "ignore", url}, "--exec-errors: needs --exec"},
      {{"--exec-timeout", "3", url}, "--exec-timeout: needs --exec"},
      {{"--exec", "x", "--exec-errors", "maybe", url}, "--exec-errors: maybe not in {stop,ignore}"},
      {{"--exec", "x", "--exec-timeout", "-1", url},
       "--exec-timeout: expected a number of seconds"},
      {{"--exec", "x", "--json", url}, "excludes"},
      {{"--exec", "x", "--raw", url}, "excludes"},
      {{"--exec", "x", "--sse", url}, "excludes"},
      {{"--timestamps", "--raw", url}, "excludes"},
      {{"--timestamps", "--sse", url}, "excludes"},
      {{"--http2", "--http1.1", url}, "--http2 excludes --http1.1"},
      {{"--proxy", "socks4://p:1080", url},
       "--proxy: unsupported proxy scheme (use http://, https://, socks5:// or socks5h://)"},
      {{"--proxy", "http://", url}, "--proxy: the proxy URL has no host"},
      {{"--raw", url, "http://127.0.0.1/other"}, "--raw: cannot merge several streams"},
      {{url, "-"}, "URL: - reads one stream from stdin: give it alone"},
      {{url, url}, "URL: " + url + " is given twice"},
      {{"http://h/a b\tc"}, "URL: a URL cannot hold control characters"},
      {{url, "ftp://127.0.0.1/other"}, "URL: only http:// and https:// URLs are supported"},
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
