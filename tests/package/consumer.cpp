// A program written as a user of the installed library would write it: encode two events, parse
// them back, print what came out. run.sh builds it against an installed tree and checks the output,
// including whether the package told the compiler that libsse is static (SSE_STATIC).
#include <cstdio>
#include <sse/encoder.hpp>
#include <sse/parser.hpp>
#include <sse/utf8.hpp>
#include <sse/version.hpp>
#include <string>

namespace {

std::string escaped(std::string const& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Prints whether each event's id was its own (given by an id field since the previous event).
class own_id_printer final : public sse::handler {
 public:
  sse::action on_event(sse::event_view const& ev) override {
    std::printf(" %s", ev.own_id ? "yes" : "no");
    return sse::action::proceed;
  }
};

}  // namespace

int main() {
  std::string wire;
  sse::event greeting;
  greeting.type = "greeting";
  greeting.id = "1";
  greeting.data = "hello\nworld";
  sse::event plain;
  plain.data = "caf\xC3\xA9";
  if (sse::encode(wire, greeting) != sse::encode_error::none ||
      sse::encode(wire, plain) != sse::encode_error::none) {
    std::fputs("encode failed\n", stderr);
    return 1;
  }
  sse::event bad;
  bad.id = "a\nb";
  std::size_t const size = wire.size();
  bool const refused = sse::encode(wire, bad) == sse::encode_error::id_has_line_break;
  std::printf("refused: %s\n", refused && wire.size() == size ? "yes" : "no");
  for (auto const& ev : sse::parse_all(wire)) {
    std::printf("%s|%s|%s\n", ev.type.c_str(), escaped(ev.data).c_str(), ev.id.c_str());
  }
  std::printf("own_id:");
  own_id_printer printer;
  sse::parser parser(printer);
  parser.feed(wire);
  parser.finish();
  std::printf("\nutf8: %s %s\n", sse::is_valid_utf8("caf\xC3\xA9") ? "valid" : "invalid",
              sse::is_valid_utf8("\xFF") ? "valid" : "invalid");
#if defined(SSE_STATIC)
  std::printf("linkage: static\n");
#else
  std::printf("linkage: shared\n");
#endif
  std::printf("version %s %s\n", SSE_VERSION_STRING, sse::version());
  return 0;
}
