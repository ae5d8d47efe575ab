// Captures what this process writes to fd 2 (the tools' diagnostics write there directly) while
// an object of this class lives.
#ifndef SSE_LISTEN_TEST_CAPTURE_STDERR_HPP
#define SSE_LISTEN_TEST_CAPTURE_STDERR_HPP

#include <unistd.h>

#include <cstdio>
#include <string>

namespace sse::listen::test {

class capture_stderr {
 public:
  capture_stderr() : file_(std::tmpfile()) {
    std::fflush(stderr);
    saved_ = ::dup(2);
    if (file_ != nullptr) ::dup2(::fileno(file_), 2);
  }
  ~capture_stderr() { text(); }
  capture_stderr(capture_stderr const&) = delete;
  capture_stderr& operator=(capture_stderr const&) = delete;

  // Stops capturing (at the first call) and returns everything captured.
  std::string const& text() {
    if (saved_ < 0) return text_;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
    if (file_ == nullptr) return text_;
    std::rewind(file_);
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file_)) > 0;)
      text_.append(buffer, n);
    std::fclose(file_);
    file_ = nullptr;
    return text_;
  }

 private:
  std::FILE* file_;
  int saved_ = -1;
  std::string text_;
};

}  // namespace sse::listen::test

#endif
