#include "common/json_writer.hpp"

namespace sse::tools {

void append_json_string(std::string& out, std::string_view s) {
  json_writer w(out, s.size() + 2);
  w.string(s);
}

}  // namespace sse::tools
