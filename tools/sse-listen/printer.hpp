// Formats events into an output buffer (never writes): text, JSON lines or re-encoded SSE. The
// caller writes the buffer once per received chunk.
#ifndef SSE_LISTEN_PRINTER_HPP
#define SSE_LISTEN_PRINTER_HPP

#include <sse/event.hpp>
#include <string>
#include <string_view>

#include "options.hpp"

namespace sse::listen {

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
