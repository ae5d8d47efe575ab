#include "sources/line_decoder.hpp"

#include <nlohmann/json.hpp>
#include <sse/encoder.hpp>
#include <utility>

#include "sources/json_event.hpp"

namespace sse::serve {

line_decoder::line_decoder(input_format format, std::string event_type, std::string topic,
                           input_sinks const& sinks)
    : format_(format),
      event_type_(std::move(event_type)),
      topic_(std::move(topic)),
      sinks_(sinks) {}

void line_decoder::warn(std::uint64_t number, std::string const& message) const {
  sinks_.warning("line " + std::to_string(number), message);
}

void line_decoder::line(std::string_view text, std::uint64_t number) {
  if (format_ == input_format::json) {
    json_line(text, number);
    return;
  }
  source_event ev;
  sse::append_utf8_repaired(ev.data, text);
  ev.type = event_type_;
  ev.topic = topic_;
  sinks_.event(std::move(ev));
}

void line_decoder::json_line(std::string_view text, std::uint64_t number) {
  if (text.find_first_not_of(" \t\r") == std::string_view::npos)
    return;  // blank lines are no events
  using nlohmann::json;
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) {
    warn(number, "not valid JSON; skipped");
    return;
  }
  source_event ev;
  ev.type = event_type_;
  ev.topic = topic_;
  if (std::string problem = event_from_json(j, ev); !problem.empty()) {
    warn(number, problem + "; skipped");
    return;
  }
  sinks_.event(std::move(ev));
}

}  // namespace sse::serve
