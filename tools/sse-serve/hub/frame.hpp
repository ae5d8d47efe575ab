// One encoded piece of an event stream, built once and shared read-only by every client.
#ifndef SSE_SERVE_HUB_FRAME_HPP
#define SSE_SERVE_HUB_FRAME_HPP

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace sse::serve {

// The bytes are stored as an HTTP/1.1 chunk ("SIZE\r\n" payload "\r\n") so that chunked clients
// are sent the whole string and HTTP/1.0 (close-delimited) clients the payload slice: either way
// no client gets its own copy.
class frame_data {
 public:
  explicit frame_data(std::string_view payload);

  std::string_view chunked() const noexcept { return bytes_; }
  std::string_view payload() const noexcept {
    return std::string_view(bytes_).substr(payload_offset_, payload_size_);
  }

 private:
  std::string bytes_;
  std::size_t payload_offset_;
  std::size_t payload_size_;
};

using frame = std::shared_ptr<frame_data const>;

inline frame make_frame(std::string_view payload) {
  return std::make_shared<frame_data const>(payload);
}

// Topics are interned by the hub: 0 is "no topic", the default.
using topic_id = std::uint32_t;
inline constexpr topic_id no_topic = 0;

// An event as the hub keeps it, for the live log and the history.
struct held_event {
  frame data;
  frame hint;  // the page's sse-topic announcement, sent just before it; null without a topic
  topic_id topic = no_topic;
};

}  // namespace sse::serve

#endif
