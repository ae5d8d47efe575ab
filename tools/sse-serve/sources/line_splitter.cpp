#include "sources/line_splitter.hpp"

#include <utility>

namespace sse::serve {

line_splitter::line_splitter(std::size_t max_line, line_decoder& decoder, input_sinks const& sinks)
    : max_line_(max_line), decoder_(decoder), sinks_(sinks) {}

void line_splitter::too_long() {
  sinks_.warning("line " + std::to_string(line_number_),
                 "longer than --max-line (" + std::to_string(max_line_) + " bytes); skipped");
}

void line_splitter::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    std::size_t lf = bytes.find('\n');
    std::string_view piece = bytes.substr(0, lf);
    if (!skipping_) {
      if (max_line_ != 0 && partial_.size() + piece.size() > max_line_ + 1) {
        // +1: a CR before the LF is not part of the line.
        skipping_ = true;
        partial_.clear();
        partial_.shrink_to_fit();
      } else if (lf != std::string_view::npos && partial_.empty()) {
        complete(piece);  // the common case: a whole line inside the chunk, no copy
      } else {
        partial_.append(piece);
        if (lf != std::string_view::npos) {
          complete(partial_);
          partial_.clear();
        }
      }
    }
    if (lf == std::string_view::npos) break;
    if (skipping_) {
      ++line_number_;
      skipping_ = false;
      too_long();
    }
    bytes.remove_prefix(lf + 1);
  }
}

void line_splitter::complete(std::string_view line) {
  ++line_number_;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (max_line_ != 0 && line.size() > max_line_) {
    too_long();
    return;
  }
  decoder_.line(line, line_number_);
}

void line_splitter::finish() {
  if (skipping_) {
    ++line_number_;
    skipping_ = false;
    too_long();
  } else if (!partial_.empty()) {
    complete(partial_);  // a last line without a line break is still a line
    partial_.clear();
  }
}

}  // namespace sse::serve
