// Formats events into an output buffer (never writes): text, JSON lines or re-encoded SSE. The
// caller writes the buffer once per received chunk.
#ifndef SSE_LISTEN_PRINTER_HPP
#define SSE_LISTEN_PRINTER_HPP

#include <string>
#include <string_view>

#include <sse/event.hpp>

#include "options.hpp"

namespace sse::listen {

// Appends s as a JSON string literal (quotes included). Valid JSON for any bytes: quotes,
// backslashes and control characters are escaped, invalid UTF-8 becomes U+FFFD (one per maximal
// invalid subpart, as the WHATWG decoder does).
void append_json_string(std::string& out, std::string_view s);

class printer {
 public:
  // format must not be raw: raw output is the received bytes, which the caller copies itself.
  printer(output_format format, bool colour);

  void print(event_view const& ev, std::string& out);

 private:
  void print_text(event_view const& ev, std::string& out) const;
  void print_sse(event_view const& ev, std::string& out);

  output_format format_;
  bool colour_;
  std::string sse_last_id_;  // the id last written in --sse output
};

}  // namespace sse::listen

#endif
