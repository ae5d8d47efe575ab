#include "hub/frame.hpp"

#include <charconv>

namespace sse::serve {

frame_data::frame_data(std::string_view payload)
    : payload_offset_(0), payload_size_(payload.size()) {
  // The chunk-size line of HTTP/1.1's chunked coding: the size in hex, then CRLF.
  char head[24];
  char* end = std::to_chars(head, head + sizeof head - 2, payload.size(), 16).ptr;
  *end++ = '\r';
  *end++ = '\n';
  payload_offset_ = static_cast<std::size_t>(end - head);
  bytes_.reserve(payload_offset_ + payload.size() + 2);
  bytes_.append(head, payload_offset_).append(payload).append("\r\n");
}

}  // namespace sse::serve
