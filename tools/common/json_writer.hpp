// Writing JSON strings fast: SIMD-scanned escaping into a caller's std::string, valid JSON for any
// bytes. sse-listen's --json printer is built on it; sse-serve's hub may use it too.
#ifndef SSE_TOOLS_JSON_WRITER_HPP
#define SSE_TOOLS_JSON_WRITER_HPP

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace sse::tools {

// Appends s as a JSON string literal (quotes included). Valid JSON for any bytes: quotes,
// backslashes and control characters are escaped, invalid UTF-8 becomes U+FFFD (one per maximal
// invalid subpart, as the WHATWG decoder and libsse's parser do).
void append_json_string(std::string& out, std::string_view s);

// Writes into a std::string through a pointer: one resize up front for the expected size (the
// output when nothing needs escaping), more only when escapes outgrow it, and one at the end.
// Appending piece by piece costs a capacity check and a call per piece, which dominates tiny
// events. Until it is destroyed, out holds unspecified bytes past what was written.
class json_writer {
 public:
  json_writer(std::string& out, std::size_t expected)
      : out_(out), start_(out.size()), used_(start_) {
    out_.resize(used_ + expected);
  }
  ~json_writer() { out_.resize(used_); }
  json_writer(json_writer const&) = delete;
  json_writer& operator=(json_writer const&) = delete;

  // Raw text, copied as is (the caller's JSON punctuation, keys it knows need no escaping).
  void put(std::string_view v) {
    std::memcpy(room(v.size()), v.data(), v.size());
    used_ += v.size();
  }
  void put(char c) {
    *room(1) = c;
    ++used_;
  }
  // s as a JSON string literal, as append_json_string.
  void string(std::string_view s);

 private:
  char* room(std::size_t n) {
    // Grow by what this writer has written so far (geometric, so escape-heavy data stays linear),
    // never by the whole buffer, which holds the rest of the chunk's output too.
    if (out_.size() - used_ < n) out_.resize(used_ + std::max(n, used_ - start_ + 64));
    return out_.data() + used_;
  }

  std::string& out_;
  std::size_t start_;
  std::size_t used_;
};

}  // namespace sse::tools

#endif
