// End-to-end: sse-listen --json --json-data on captured streams (--input FILE and stdin), the way
// a user pipes an LLM stream to jq: data that is JSON comes out as a value, the rest as strings.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "e2e_support.hpp"

namespace sse::listen::test {
namespace {

using namespace std::chrono_literals;

std::string temp_file(std::string const& content) {
  char name[] = "/tmp/sse-listen-json-data-XXXXXX";
  int const fd = ::mkstemp(name);
  EXPECT_GE(fd, 0);
  ::close(fd);
  std::ofstream(name, std::ios::binary) << content;
  return name;
}

// The chunk shapes of an OpenAI chat-completions stream, then its [DONE] sentinel.
std::string openai_chunk(std::string const& delta, std::string const& finish) {
  return R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1717000000,)"
         R"("model":"gpt-4o","choices":[{"index":0,"delta":)" +
         delta + R"(,"logprobs":null,"finish_reason":)" + finish + "}]}\n\n";
}

TEST(json_data_e2e, an_openai_stream_from_a_file_reads_like_jq_expects) {
  std::string const capture = openai_chunk(R"({"role":"assistant","content":""})", "null") +
                              openai_chunk(R"({"content":"Hello"})", "null") +
                              openai_chunk(R"({"content":", \"world\" \u00e9"})", "null") +
                              openai_chunk("{}", R"("stop")") + "data: [DONE]\n\n";
  std::string const file = temp_file(capture);
  auto r = listen({"--json", "--json-data", "--input", file});
  ::unlink(file.c_str());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out;
  // jq -r '.data.choices[0].delta.content // empty', without fromjson.
  std::string text;
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(lines[i]["event"], "message");
    EXPECT_EQ(lines[i]["id"], "");
    ASSERT_TRUE(lines[i]["data"].is_object()) << r.out;
    EXPECT_EQ(lines[i]["data"]["object"], "chat.completion.chunk");
    text += lines[i]["data"]["choices"][0]["delta"].value("content", "");
  }
  EXPECT_EQ(text, "Hello, \"world\" \u00e9");
  EXPECT_EQ(lines[3]["data"]["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(lines[4]["data"], "[DONE]");  // not JSON: a string, as without --json-data
  // The data is copied in byte for byte, not re-serialized.
  EXPECT_NE(r.out.find(R"("data":{"id":"chatcmpl-1","object":"chat.completion.chunk",)"),
            std::string::npos)
      << r.out;
}

TEST(json_data_e2e, stdin_multi_line_data_scalars_and_text) {
  auto r = listen({"--json", "--json-data", "-"},
                  "event: update\nid: 7\ndata: {\"a\": [1,\ndata:   2]}\n\n"
                  "data: 42\n\n"
                  "data: \"quoted\"\n\n"
                  "data: plain text\n\n"
                  ": a comment\n\n"
                  "data: {\"broken\": \n\n"
                  "data: \xff{}\n\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"event\":\"update\",\"data\":{\"a\": [1,   2]},\"id\":\"7\"}\n"
            "{\"event\":\"message\",\"data\":42,\"id\":\"7\"}\n"
            "{\"event\":\"message\",\"data\":\"quoted\",\"id\":\"7\"}\n"
            "{\"event\":\"message\",\"data\":\"plain text\",\"id\":\"7\"}\n"
            "{\"event\":\"message\",\"data\":\"{\\\"broken\\\": \",\"id\":\"7\"}\n"
            // The parser turned the invalid byte into U+FFFD; the data is still no JSON value.
            "{\"event\":\"message\",\"data\":\"\xEF\xBF\xBD{}\",\"id\":\"7\"}\n");
  json_lines(r.out);
}

TEST(json_data_e2e, needs_json) {
  auto alone = listen({"--json-data", "-"});
  EXPECT_EQ(alone.exit_code, 2);
  EXPECT_NE(alone.err.find("--json-data requires --json"), std::string::npos) << alone.err;
  EXPECT_EQ(listen({"--raw", "--json-data", "-"}).exit_code, 2);
  EXPECT_EQ(listen({"--sse", "--json-data", "-"}).exit_code, 2);
}

}  // namespace
}  // namespace sse::listen::test
