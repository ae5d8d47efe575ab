// Which events are printed, and when to stop: --event, --count, --until-data, --until-event.
// Sentinels are checked on every event before the --event filter, so that
// "--event delta --until-event stop" prints the deltas and stops at "stop".
#ifndef SSE_LISTEN_EVENT_FILTER_HPP
#define SSE_LISTEN_EVENT_FILTER_HPP

#include <cstdint>
#include <optional>
#include <sse/event.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace sse::listen {

struct filter_config {
  std::vector<std::string> types;  // empty: every type
  std::uint64_t count = 0;         // 0: no limit
  std::optional<std::string> until_data;
  std::optional<std::string> until_event;
};

enum class verdict {
  skip,             // not printed, go on
  print,            // print it, go on
  print_then_stop,  // print it: it is the --count'th
  stop,             // a sentinel: do not print it, stop (exit 0)
};

class event_filter {
 public:
  explicit event_filter(filter_config config);

  verdict judge(event_view const& ev);

  bool has_sentinel() const noexcept { return config_.until_data || config_.until_event; }
  std::uint64_t printed() const noexcept { return printed_; }

 private:
  filter_config config_;
  std::uint64_t printed_ = 0;
};

}  // namespace sse::listen

#endif
