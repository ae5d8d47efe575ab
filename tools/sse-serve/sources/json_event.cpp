#include "sources/json_event.hpp"

#include <nlohmann/json.hpp>

namespace sse::serve {

std::string event_from_json(nlohmann::json const& j, source_event& ev) {
  using nlohmann::json;
  if (!j.is_object()) return "expected a JSON object like {\"data\":\"...\"}";
  auto text_of = [](json const& v, std::string& out) {
    if (v.is_string()) {
      out = v.get<std::string>();
    } else {
      out = v.dump(-1, ' ', false, json::error_handler_t::replace);
    }
  };
  if (auto it = j.find("data"); it != j.end() && !it->is_null()) text_of(*it, ev.data);
  if (auto it = j.find("event"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return "\"event\" must be a string";
    ev.type = it->get<std::string>();
  }
  if (auto it = j.find("id"); it != j.end() && !it->is_null()) {
    if (!it->is_string() && !it->is_number_integer())
      return "\"id\" must be a string or an integer";
    std::string id;
    text_of(*it, id);
    ev.id = std::move(id);
  }
  if (auto it = j.find("retry"); it != j.end() && !it->is_null()) {
    if (!it->is_number_unsigned()) return "\"retry\" must be a non-negative integer (milliseconds)";
    ev.retry = it->get<std::uint64_t>();
  }
  if (auto it = j.find("topic"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return "\"topic\" must be a string";
    std::string topic = it->get<std::string>();
    if (std::string problem = topic_problem(topic); !problem.empty())
      return "\"topic\": " + problem;
    ev.topic = std::move(topic);
  }
  return {};
}

}  // namespace sse::serve
