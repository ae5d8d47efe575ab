// Formats events into an output buffer (never writes): text, JSON lines or re-encoded SSE. The
// caller writes the buffer once per received chunk.
#ifndef SSE_LISTEN_PRINTER_HPP
#define SSE_LISTEN_PRINTER_HPP

#include <sse/event.hpp>
#include <string>
#include <string_view>

#include "json_validator.hpp"
#include "options.hpp"

namespace sse::listen {

class printer {
 public:
  // format must not be raw: raw output is the received bytes, which the caller copies itself.
  // json_data (--json-data, with json): data that is one valid JSON value is printed as that
  // value rather than as a string.
  printer(output_format format, bool colour, bool json_data = false);

  // ev's fields must be valid UTF-8, as libsse's parser reports them.
  void print(event_view const& ev, std::string& out);

 private:
  void print_json(event_view const& ev, std::string& out);
  void print_text(event_view const& ev, std::string& out);
  void print_sse(event_view const& ev, std::string& out);

  output_format format_;
  bool colour_;
  bool json_data_;
  json_validator validator_;
  std::string label_;        // print_text's "[TYPE #ID] ", kept for its capacity
  std::string sse_last_id_;  // the id last written in --sse output
};

}  // namespace sse::listen

#endif
