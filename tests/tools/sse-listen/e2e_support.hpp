// What sse-listen's end-to-end tests share: running the built binary (SSE_LISTEN_BINARY, set by
// CMake for each test), its JSON lines parsed, and scratch files.
#ifndef SSE_LISTEN_TEST_E2E_SUPPORT_HPP
#define SSE_LISTEN_TEST_E2E_SUPPORT_HPP

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "child_process.hpp"

#ifndef SSE_LISTEN_BINARY
#error "SSE_LISTEN_BINARY must name the sse-listen binary under test"
#endif

namespace sse::listen::test {

inline std::string const binary = SSE_LISTEN_BINARY;

// Runs sse-listen with args to its end (60 s at most) with input on its stdin.
inline run_result listen(std::vector<std::string> const& args, std::string_view input = {}) {
  return run_program(binary, args, input, std::chrono::seconds(60));
}

// The output's lines, each parsed as JSON; an unterminated last line is a failure.
inline std::vector<nlohmann::json> json_lines(std::string const& out) {
  std::vector<nlohmann::json> lines;
  std::size_t start = 0;
  while (start < out.size()) {
    std::size_t const nl = out.find('\n', start);
    EXPECT_NE(nl, std::string::npos) << "unterminated JSON line";
    if (nl == std::string::npos) break;
    lines.push_back(nlohmann::json::parse(out.substr(start, nl - start)));
    start = nl + 1;
  }
  return lines;
}

// A directory under /tmp, removed with everything in it at the end of its scope.
class temp_dir {
 public:
  temp_dir() {
    char name[] = "/tmp/sse-listen-test-XXXXXX";
    EXPECT_NE(::mkdtemp(name), nullptr);
    path_ = name;
  }
  ~temp_dir() { run_program("/bin/rm", {"-rf", path_}); }
  temp_dir(temp_dir const&) = delete;
  temp_dir& operator=(temp_dir const&) = delete;
  std::string const& path() const { return path_; }
  std::string file(std::string const& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string read_file(std::string const& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace sse::listen::test

#endif
