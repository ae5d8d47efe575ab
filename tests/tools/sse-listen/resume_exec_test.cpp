// End to end, issue 15: --state-file across SIGKILLs, --exec, and several URLs in one run, with
// the real sse-listen binary against scripted servers on 127.0.0.1.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "e2e_support.hpp"
#include "scripted_server.hpp"

namespace sse::listen::test {
namespace {

using namespace std::chrono_literals;

void write_file(std::string const& path, std::string const& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string state_line(std::string const& url, std::string const& id) {
  return "# sse-listen state file: URL<TAB>last event id, one per line\n" + url + "\t" + id + "\n";
}

// The id the state file keeps for url, or 0 when it has none.
int saved_id(std::string const& path, std::string const& url) {
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(url + "\t", 0) == 0) return std::stoi(line.substr(url.size() + 1));
  }
  return 0;
}

std::string event(int k) {
  return "id: " + std::to_string(k) + "\ndata: event " + std::to_string(k) + "\n\n";
}

// Events after the request's Last-Event-ID up to total, one at a time: event k is sent, then the
// server waits at gate k until the test has seen it printed. So every chunk the client reads holds
// exactly one event, and a kill lands between two known events.
response lockstep(recorded_request const& q, int total) {
  int from = q.has_header("Last-Event-ID") ? std::stoi(q.header("Last-Event-ID")) + 1 : 1;
  response r = response::head("200 OK", "Content-Type: text/event-stream\r\n");
  for (int k = from; k <= total; ++k) r.send(event(k)).gate(k);
  return r;
}

std::string id_needle(int k) {
  return "\"id\":\"" + std::to_string(k) + "\"";
}

// ---- --state-file ---------------------------------------------------------------------------

// The man page's promise: a run killed with SIGKILL and started again loses no event, and repeats
// at most the events of the one chunk it was handling (here, one event per chunk: at most the
// event it had printed last).
TEST(listen_resume, sigkill_and_restart_lose_nothing_and_repeat_at_most_the_chunk_in_flight) {
  constexpr int total = 15;
  temp_dir dir;
  std::string const state = dir.file("state");
  scripted_server server([](std::size_t, recorded_request const& q) { return lockstep(q, total); });
  std::string const url = server.url();
  std::vector<int> printed;        // every id printed, over all runs, in order
  std::vector<int> started_after;  // the saved id each run started from

  // Killed right after event 3 and 12 were printed (their ids may or may not be saved yet), and
  // after 7 was both printed and saved (the restart must not repeat it).
  for (int kill_at : {3, 7, 12}) {
    bool const after_save = kill_at == 7;
    int const from = saved_id(state, url);
    started_after.push_back(from);
    child_process c(binary, {"--json", "--no-reconnect", "--state-file", state, url});
    for (int k = from + 1; k <= kill_at; ++k) {
      ASSERT_TRUE(c.wait_for(1, id_needle(k), 30s)) << c.out() << c.err();
      if (k < kill_at) server.open_gate(k);
    }
    if (after_save) {
      auto const give_up = std::chrono::steady_clock::now() + 30s;
      while (saved_id(state, url) != kill_at && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(5ms);
      }
      ASSERT_EQ(saved_id(state, url), kill_at);
    }
    c.kill(SIGKILL);
    run_result r = c.finish(30s);
    EXPECT_EQ(r.signal, SIGKILL);
    std::vector<int> ids;
    for (auto const& line : json_lines(r.out))
      ids.push_back(std::stoi(line["id"].get<std::string>()));
    std::vector<int> expected;
    for (int k = from + 1; k <= kill_at; ++k) expected.push_back(k);
    EXPECT_EQ(ids, expected) << "round killed at " << kill_at;
    printed.insert(printed.end(), ids.begin(), ids.end());
    int const saved = saved_id(state, url);
    EXPECT_TRUE(saved == kill_at || saved == kill_at - 1)
        << "killed at " << kill_at << ", saved " << saved;
  }

  int const from = saved_id(state, url);
  started_after.push_back(from);
  child_process c(binary, {"--json", "--no-reconnect", "--state-file", state, url});
  for (int k = from + 1; k <= total; ++k) {
    ASSERT_TRUE(c.wait_for(1, id_needle(k), 30s)) << c.out() << c.err();
    server.open_gate(k);
  }
  run_result r = c.finish(30s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (auto const& line : json_lines(r.out))
    printed.push_back(std::stoi(line["id"].get<std::string>()));
  EXPECT_EQ(read_file(state), state_line(url, std::to_string(total)));

  // Each run asked for what followed its saved id...
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), started_after.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (started_after[i] == 0) {
      EXPECT_FALSE(requests[i].has_header("Last-Event-ID"));
    } else {
      EXPECT_EQ(requests[i].header("Last-Event-ID"), std::to_string(started_after[i]));
    }
  }
  // ...so every event came, in order, and a repeat is only ever the event a run was killed at.
  std::vector<int> once;
  for (std::size_t i = 0; i < printed.size(); ++i) {
    if (i > 0 && printed[i] == printed[i - 1]) {
      EXPECT_TRUE(printed[i] == 3 || printed[i] == 12) << printed[i] << " was printed twice";
      continue;
    }
    once.push_back(printed[i]);
  }
  std::vector<int> all(total);
  for (int k = 0; k < total; ++k) all[static_cast<std::size_t>(k)] = k + 1;
  EXPECT_EQ(once, all);
  std::cout << printed.size() - once.size()
            << " of the 2 kills right after an event was printed landed before its id was saved\n";
}

TEST(listen_resume, the_state_file_id_wins_over_last_event_id_which_only_starts_a_first_run) {
  temp_dir dir;
  std::string const state = dir.file("state");
  scripted_server server({response::events("id: 8\ndata: a\n\n")});
  auto first =
      listen({"--no-reconnect", "--state-file", state, "--last-event-id", "5", server.url()});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  auto second =
      listen({"--no-reconnect", "--state-file", state, "--last-event-id", "5", server.url()});
  EXPECT_EQ(second.exit_code, 0) << second.err;
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].header("Last-Event-ID"), "5");
  EXPECT_EQ(requests[1].header("Last-Event-ID"), "8");
}

TEST(listen_resume, a_corrupt_state_file_is_an_error_with_its_path_and_nothing_is_requested) {
  temp_dir dir;
  std::string const state = dir.file("state");
  write_file(state, "http://example/ 12\n");
  scripted_server server({response::events("data: a\n\n")});
  auto r = listen({"--state-file", state, server.url()});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_EQ(r.err, "sse-listen: error: the state file " + state +
                       " is corrupt: line 1 is not URL<TAB>ID (fix or remove it; a missing file "
                       "starts afresh)\n");
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(server.requests().empty());
  EXPECT_EQ(read_file(state), "http://example/ 12\n") << "left as it was";
}

TEST(listen_resume, an_unreadable_state_file_is_an_error_with_its_path) {
  temp_dir dir;
  ASSERT_EQ(::mkdir(dir.file("state").c_str(), 0700), 0);
  auto r = listen({"--state-file", dir.file("state"), "http://127.0.0.1:1/events"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_EQ(r.err, "sse-listen: error: cannot read the state file " + dir.file("state") +
                       ": Is a directory\n");
}

TEST(listen_resume, several_urls_keep_one_id_each) {
  temp_dir dir;
  std::string const state = dir.file("state");
  scripted_server a({response::events("id: a1\ndata: x\n\nid: a2\ndata: y\n\n")});
  scripted_server b({response::events("id: b7\ndata: z\n\n")});
  auto r = listen({"--no-reconnect", "--state-file", state, a.url(), b.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string const text = read_file(state);
  EXPECT_NE(text.find(a.url() + "\ta2\n"), std::string::npos) << text;
  EXPECT_NE(text.find(b.url() + "\tb7\n"), std::string::npos) << text;
  auto again = listen({"--no-reconnect", "--state-file", state, b.url(), a.url()});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(a.requests().back().header("Last-Event-ID"), "a2");
  EXPECT_EQ(b.requests().back().header("Last-Event-ID"), "b7");
}

// ---- --exec ---------------------------------------------------------------------------------

TEST(listen_exec, each_event_after_the_filters_runs_the_command_in_order_with_its_environment) {
  scripted_server server(
      {response::events("event: release\nid: 1\ndata: v1\n\n"
                        "data: skipped\n\n"
                        "event: release\ndata: two\ndata: lines\n\n"
                        "event: release\nid: 3\ndata: v3\n\n")});
  auto r = listen({"--no-reconnect", "--event", "release", "--exec",
                   "printf '%s|%s|%s|' \"$SSE_EVENT\" \"$SSE_ID\" \"$SSE_URL\"; cat; echo err >&2",
                   server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string const u = server.url();
  // The command's stdout and stderr are sse-listen's; sse-listen prints nothing of its own.
  EXPECT_EQ(r.out,
            "release|1|" + u + "|v1\nrelease|1|" + u + "|two\nlines\nrelease|3|" + u + "|v3\n");
  EXPECT_EQ(r.err, "err\nerr\nerr\n");
}

TEST(listen_exec, count_and_stdin_input_work_with_exec_too) {
  auto r = listen({"-n", "2", "--exec", "echo \"$SSE_URL $SSE_ID $(cat)\"", "-"},
                  "id: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\ndata: c\n\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "- 1 a\n- 2 b\n");
}

TEST(listen_exec, a_failing_command_stops_the_run_with_status_6_and_its_event_is_not_saved) {
  temp_dir dir;
  std::string const state = dir.file("state");
  scripted_server server(
      {response::events("id: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\ndata: c\n\n")});
  std::string const url = server.url();
  auto r = listen({"--state-file", state, "--exec", "echo $SSE_ID; [ $SSE_ID != 2 ]", url});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_EQ(r.out, "1\n2\n");
  EXPECT_EQ(r.err,
            "sse-listen: error: the --exec command exited with status 1 (event 'message', id 2, " +
                url + ")\n");
  EXPECT_EQ(read_file(state), state_line(url, "1"));
  // At least once: the next run hands event 2 to the command again.
  auto again = listen({"--no-reconnect", "--state-file", state, "--exec", "echo $SSE_ID", url});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(server.requests().back().header("Last-Event-ID"), "1");
  EXPECT_EQ(read_file(state), state_line(url, "3"));
}

TEST(listen_exec, a_command_killed_by_a_signal_is_a_failure_too) {
  scripted_server server({response::events("id: 1\ndata: a\n\n")});
  auto r = listen({"--exec", "kill -TERM $$", server.url()});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("the --exec command was killed by signal 15 (SIGTERM)"), std::string::npos)
      << r.err;
}

TEST(listen_exec, exec_errors_ignore_goes_on_with_a_warning_per_failure) {
  temp_dir dir;
  std::string const state = dir.file("state");
  scripted_server server(
      {response::events("id: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\ndata: c\n\n")});
  auto r = listen({"--no-reconnect", "--state-file", state, "--exec-errors", "ignore", "--exec",
                   "echo $SSE_ID; exit 4", server.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1\n2\n3\n");
  for (char const* id : {"1", "2", "3"}) {
    EXPECT_NE(
        r.err.find(
            "sse-listen: warning: the --exec command exited with status 4 (event 'message', id " +
            std::string(id) + ", " + server.url() + "); going on (--exec-errors ignore)\n"),
        std::string::npos)
        << r.err;
  }
  EXPECT_EQ(read_file(state), state_line(server.url(), "3"));
}

TEST(listen_exec, exec_timeout_ends_a_forking_commands_whole_process_group) {
  temp_dir dir;
  std::string const pid_file = dir.file("pid");
  scripted_server server({response::events("id: 1\ndata: a\n\n").hold()});
  auto r = listen({"--exec-timeout", "0.5", "--exec",
                   "sleep 300 & echo $! > " + pid_file + "; wait", server.url()});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(
      r.err.find("the --exec command timed out after 0.5 s (--exec-timeout): its process group "
                 "was ended (event 'message', id 1, " +
                 server.url() + ")"),
      std::string::npos)
      << r.err;
  std::string const child = read_file(pid_file);
  ASSERT_FALSE(child.empty());
  EXPECT_TRUE(tools::test::process_gone(static_cast<pid_t>(std::stol(child)),
                                        tools::test::clock::now() + 10s))
      << "the sh's child " << child << " survived";
}

TEST(listen_exec, sigint_while_a_command_runs_ends_its_group_and_the_run) {
  temp_dir dir;
  std::string const pid_file = dir.file("pid");
  scripted_server server({response::events("id: 1\ndata: a\n\n").hold()});
  child_process c(binary, {"--exec", "sleep 300 & echo $! > " + pid_file + "; echo started; wait",
                           server.url()});
  ASSERT_TRUE(c.wait_for(1, "started\n", 30s)) << c.err();
  c.kill(SIGINT);
  run_result r = c.finish(30s);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.signal, SIGINT) << r.err;
  std::string const child = read_file(pid_file);
  ASSERT_FALSE(child.empty());
  EXPECT_TRUE(tools::test::process_gone(static_cast<pid_t>(std::stol(child)),
                                        tools::test::clock::now() + 10s));
}

// A slow command and a fast stream: the transfer is paused while each command runs, so the events
// wait in the server's socket, not in sse-listen's memory, and every one of them is handled, in
// order.
TEST(listen_exec, a_slow_command_pauses_a_fast_stream_with_bounded_memory) {
  constexpr int events = 2000;
  std::size_t const event_size = 60 * 1024;  // 2000 events of 60 KiB: a 120 MiB stream
  // Made by the server once sse-listen runs: a child forked while this process held the stream
  // would start with its size as its peak memory.
  scripted_server server([&](std::size_t, recorded_request const&) {
    std::string const padding(event_size, 'p');
    std::string body;
    body.reserve(events * (event_size + 32));
    for (int k = 1; k <= events; ++k)
      body += "id: " + std::to_string(k) + "\ndata: " + padding + "\n\n";
    return response::events(body);
  });
  std::uint64_t const stream_kib = events * event_size / 1024;
  temp_dir dir;
  std::string const reached = dir.file("reached"), go = dir.file("go");
  // The command for event 100 waits until the test has looked at how far the server got.
  child_process c(binary, {"--no-reconnect", "--exec",
                           "if [ $SSE_ID = 100 ]; then touch " + reached + "; while [ ! -e " + go +
                               " ]; do sleep 0.01; done; fi; echo $SSE_ID",
                           server.url()});
  auto const give_up = std::chrono::steady_clock::now() + 60s;
  while (::access(reached.c_str(), F_OK) != 0 && std::chrono::steady_clock::now() < give_up) {
    c.wait_for(1, "never printed", 10ms);
  }
  ASSERT_EQ(::access(reached.c_str(), F_OK), 0) << c.err();
  // Give a client that would buffer every byte it can get the time to take them all: wait until
  // the server's count stops moving.
  std::uint64_t sent = server.bytes_sent();
  for (int still = 0; still < 5 && std::chrono::steady_clock::now() < give_up;) {
    c.wait_for(1, "never printed", 100ms);
    std::uint64_t now = server.bytes_sent();
    still = now == sent ? still + 1 : 0;
    sent = now;
  }
  // 100 events, the kernel's socket buffers (at most 32 MiB to receive and 4 MiB to send here) and
  // libcurl's read buffer: far from the 120 MiB that were ready to go.
  EXPECT_LT(sent, std::uint64_t{48} << 20) << "bytes the server could send while a command ran";
  write_file(go, "");
  run_result r = c.finish(120s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string expected;
  for (int k = 1; k <= events; ++k) expected += std::to_string(k) + "\n";
  EXPECT_EQ(r.out, expected);
  std::cout << "the server had sent " << sent / 1024 << " KiB of " << stream_kib
            << " KiB while the command of event 100 ran\n";
#ifndef SSE_LISTEN_SANITIZED  // ASan's quarantine keeps freed memory: RSS says nothing there
  // The peak memory of any reaped child of this test: sse-listen (the commands are far smaller).
  rusage usage{};
  ASSERT_EQ(::getrusage(RUSAGE_CHILDREN, &usage), 0);
  EXPECT_LT(usage.ru_maxrss, 40 * 1024) << "KiB; the stream was " << stream_kib << " KiB";
  std::cout << "peak RSS " << usage.ru_maxrss << " KiB\n";
#endif
}

// ---- Several URLs ---------------------------------------------------------------------------

TEST(listen_several, json_names_each_events_url_and_the_run_ends_when_every_stream_has) {
  scripted_server a({response::events("id: 1\ndata: from a\n\n")});
  scripted_server b({response::head("200 OK", "Content-Type: text/event-stream\r\n")
                         .pause(200)
                         .send("event: e\ndata: from b\n\n")});
  auto r = listen({"--json", "--no-reconnect", a.url(), b.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_EQ(
      lines[0].dump(),
      nlohmann::json({{"event", "message"}, {"data", "from a"}, {"id", "1"}, {"url", a.url()}})
          .dump());
  EXPECT_EQ(
      lines[1].dump(),
      nlohmann::json({{"event", "e"}, {"data", "from b"}, {"id", ""}, {"url", b.url()}}).dump());
  // The contract's keys first, in order, then "url".
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')),
            "{\"event\":\"message\",\"data\":\"from a\",\"id\":\"1\",\"url\":\"" + a.url() + "\"}");
}

TEST(listen_several, text_output_prefixes_every_line_with_the_url) {
  scripted_server a({response::events("data: one\ndata: two\n\n")});
  scripted_server b({response::head("200 OK", "Content-Type: text/event-stream\r\n")
                         .pause(200)
                         .send("event: t\nid: 4\ndata: x\n\n")});
  auto r = listen({"--no-reconnect", a.url(), b.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, a.url() + " one\n" + a.url() + " two\n" + b.url() + " [t #4] x\n");
}

TEST(listen_several, count_applies_to_the_whole_run) {
  scripted_server a({response::events("data: a1\n\n").pause(300).send("data: a2\n\n").hold()});
  scripted_server b({response::head("200 OK", "Content-Type: text/event-stream\r\n")
                         .pause(150)
                         .send("data: b1\n\n")
                         .hold()});
  auto r = listen({"-n", "3", a.url(), b.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, a.url() + " a1\n" + b.url() + " b1\n" + a.url() + " a2\n");
}

TEST(listen_several, the_first_failure_ends_the_run_with_its_status) {
  scripted_server good({response::events("data: fine\n\n").hold()});
  scripted_server bad({response::head("404 Not Found", "Content-Type: text/plain\r\n")});
  auto r = listen({"--timeout", "30", good.url(), bad.url()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("server answered HTTP/1.1 404 Not Found (" + bad.url() + ")"),
            std::string::npos)
      << r.err;
}

TEST(listen_several, a_sentinel_on_any_stream_ends_the_run_and_its_absence_truncates) {
  scripted_server a({response::events("data: a\n\n")});
  scripted_server b({response::head("200 OK", "Content-Type: text/event-stream\r\n")
                         .pause(300)
                         .send("event: done\ndata:\n\n")
                         .hold()});
  auto r = listen({"--no-reconnect", "--until-event", "done", a.url(), b.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, a.url() + " a\n");

  scripted_server c({response::events("data: c\n\n")});
  scripted_server d({response::events("data: d\n\n")});
  auto t = listen({"--no-reconnect", "--until-event", "done", c.url(), d.url()});
  EXPECT_EQ(t.exit_code, 4) << t.err;
  EXPECT_NE(t.err.find("before its --until-event sentinel (truncated)"), std::string::npos)
      << t.err;
}

TEST(listen_several, each_stream_reconnects_with_its_own_last_event_id) {
  scripted_server a({response::events("retry: 100\nid: a1\ndata: x\n\n"),
                     response::events("id: a2\ndata: y\n\n")});
  scripted_server b({response::events("retry: 100\nid: b1\ndata: z\n\n"),
                     response::events("id: b2\ndata: w\n\n")});
  auto r = listen({"--json", "-n", "4", a.url(), b.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto ra = a.requests();
  auto rb = b.requests();
  ASSERT_GE(ra.size(), 2u);
  ASSERT_GE(rb.size(), 2u);
  EXPECT_EQ(ra[1].header("Last-Event-ID"), "a1");
  EXPECT_EQ(rb[1].header("Last-Event-ID"), "b1");
  std::vector<std::string> a_ids, b_ids;
  for (auto const& line : json_lines(r.out)) {
    (line["url"] == a.url() ? a_ids : b_ids).push_back(line["id"]);
  }
  EXPECT_EQ(a_ids, (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(b_ids, (std::vector<std::string>{"b1", "b2"}));
}

// A stream that ends while another is paused behind queued commands: the commands run before the
// end is decided, and the paused stream must still be resumed afterwards.
TEST(listen_several, exec_goes_on_when_one_stream_ends_while_another_is_paused) {
  std::string many;
  for (int k = 1; k <= 300; ++k)
    many += "id: " + std::to_string(k) + "\ndata: " + std::string(2000, 'x') + "\n\n";
  scripted_server a({response::events(many)});
  scripted_server b({response::head("200 OK", "Content-Type: text/event-stream\r\n")
                         .pause(100)
                         .send("id: b\ndata: b\n\n")});
  child_process c(binary, {"--no-reconnect", "--exec", "echo $SSE_ID", a.url(), b.url()});
  run_result r = c.finish(60s);
  EXPECT_FALSE(r.timed_out) << "stalled after " << r.out.size() << " bytes of output";
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string expected;
  for (int k = 1; k <= 300; ++k) expected += std::to_string(k) + "\n";
  std::string a_lines;
  std::istringstream lines(r.out);
  int b_lines = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line == "b") {
      ++b_lines;
    } else {
      a_lines += line + "\n";
    }
  }
  EXPECT_EQ(a_lines, expected);
  EXPECT_EQ(b_lines, 1);
}

// While a command runs, no stream is read: that silence is sse-listen's, not a server's, and does
// not count against --idle-timeout.
TEST(listen_several, time_spent_in_commands_is_not_idle_time) {
  scripted_server slow({response::events("id: s1\ndata: slow\n\nid: s2\ndata: slow\n\n")});
  response steady = response::head("200 OK", "Content-Type: text/event-stream\r\n");
  for (int k = 1; k <= 10; ++k)
    steady.pause(200).send("id: f" + std::to_string(k) + "\ndata: fast\n\n");
  scripted_server fast({steady});
  auto r = listen({"--no-reconnect", "--idle-timeout", "0.6", "--exec",
                   "[ \"$SSE_URL\" = " + slow.url() + " ] && sleep 1; echo $SSE_ID", slow.url(),
                   fast.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 12) << r.out;
}

TEST(listen_several, exec_gets_each_events_url) {
  scripted_server a({response::events("data: 1\n\n")});
  scripted_server b({response::head("200 OK", "Content-Type: text/event-stream\r\n")
                         .pause(200)
                         .send("data: 2\n\n")});
  auto r = listen({"--no-reconnect", "--exec", "echo \"$SSE_URL $(cat)\"", a.url(), b.url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, a.url() + " 1\n" + b.url() + " 2\n");
}

}  // namespace
}  // namespace sse::listen::test
