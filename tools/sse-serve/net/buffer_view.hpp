// A buffer sequence that views an array of Asio buffers: Asio copies the sequence into each write
// operation, and a view costs no allocation where a std::vector copy would.
#ifndef SSE_SERVE_NET_BUFFER_VIEW_HPP
#define SSE_SERVE_NET_BUFFER_VIEW_HPP

#include <boost/asio/buffer.hpp>

namespace sse::serve {

struct buffer_view {
  using value_type = boost::asio::const_buffer;
  using const_iterator = boost::asio::const_buffer const*;
  const_iterator first;
  const_iterator last;
  const_iterator begin() const noexcept { return first; }
  const_iterator end() const noexcept { return last; }
};

}  // namespace sse::serve

#endif
