#include "common/diagnostics.hpp"

#include <unistd.h>

#include <string>

#include "common/write_all.hpp"

namespace sse::tools {
namespace {

std::string& name_storage() {
  static std::string name = "sse";
  return name;
}

// One write(2) per message so lines from concurrent writers never interleave mid-line.
void emit(std::string_view kind, std::string_view message) {
  std::string line;
  line.reserve(name_storage().size() + kind.size() + message.size() + 4);
  line.append(name_storage()).append(": ").append(kind).append(message).push_back('\n');
  write_all(STDERR_FILENO, line);
}

}  // namespace

void set_program_name(std::string_view name) {
  name_storage().assign(name);
}
std::string_view program_name() {
  return name_storage();
}

void error(std::string_view message) {
  emit("error: ", message);
}
void warning(std::string_view message) {
  emit("warning: ", message);
}
void info(std::string_view message) {
  emit("", message);
}

}  // namespace sse::tools
