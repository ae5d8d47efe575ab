#include "sources/input_reader.hpp"

#include <utility>

#include "sources/line_decoder.hpp"
#include "sources/line_splitter.hpp"
#include "sources/sse_reader.hpp"

namespace sse::serve {
namespace {

// --format lines and json: bytes split into lines, each line decoded.
class line_reader final : public input_reader {
 public:
  line_reader(input_config const& c, input_sinks sinks)
      : sinks_(std::move(sinks)),
        decoder_(c.format, c.event_type, c.topic, sinks_),
        splitter_(c.max_line, decoder_, sinks_) {}

  void feed(std::string_view bytes) override { splitter_.feed(bytes); }
  void finish() override { splitter_.finish(); }
  std::string where() const override { return "line " + std::to_string(splitter_.line_number()); }

 private:
  input_sinks sinks_;
  line_decoder decoder_;
  line_splitter splitter_;
};

}  // namespace

std::unique_ptr<input_reader> make_input_reader(input_config const& config, input_sinks sinks) {
  if (config.format == input_format::sse)
    return std::make_unique<sse_reader>(config.max_line, config.topic, std::move(sinks));
  return std::make_unique<line_reader>(config, std::move(sinks));
}

}  // namespace sse::serve
