#include "hub/frame.hpp"

#include <cstdio>

namespace sse::serve {

frame_data::frame_data(std::string_view payload)
    : payload_offset_(0), payload_size_(payload.size()) {
  char head[24];
  int n = std::snprintf(head, sizeof head, "%zx\r\n", payload.size());
  payload_offset_ = static_cast<std::size_t>(n);
  bytes_.reserve(payload_offset_ + payload.size() + 2);
  bytes_.append(head, payload_offset_).append(payload).append("\r\n");
}

}  // namespace sse::serve
