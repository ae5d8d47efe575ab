#include "sources/line_decoder.hpp"

#include <nlohmann/json.hpp>
#include <sse/encoder.hpp>
#include <utility>

namespace sse::serve {

line_decoder::line_decoder(input_format format, std::string event_type, input_sinks const& sinks)
    : format_(format), event_type_(std::move(event_type)), sinks_(sinks) {}

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
  if (!j.is_object()) {
    warn(number, "expected a JSON object like {\"data\":\"...\"}; skipped");
    return;
  }
  source_event ev;
  ev.type = event_type_;
  auto text_of = [&](json const& v, std::string& out) {
    if (v.is_string()) {
      out = v.get<std::string>();
    } else {
      out = v.dump(-1, ' ', false, json::error_handler_t::replace);
    }
  };
  if (auto it = j.find("data"); it != j.end() && !it->is_null()) text_of(*it, ev.data);
  if (auto it = j.find("event"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) {
      warn(number, "\"event\" must be a string; skipped");
      return;
    }
    ev.type = it->get<std::string>();
  }
  if (auto it = j.find("id"); it != j.end() && !it->is_null()) {
    if (!it->is_string() && !it->is_number_integer()) {
      warn(number, "\"id\" must be a string or an integer; skipped");
      return;
    }
    std::string id;
    text_of(*it, id);
    ev.id = std::move(id);
  }
  if (auto it = j.find("retry"); it != j.end() && !it->is_null()) {
    if (!it->is_number_unsigned()) {
      warn(number, "\"retry\" must be a non-negative integer (milliseconds); skipped");
      return;
    }
    ev.retry = it->get<std::uint64_t>();
  }
  sinks_.event(std::move(ev));
}

}  // namespace sse::serve
