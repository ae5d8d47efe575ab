#include "event_filter.hpp"

#include <algorithm>
#include <utility>

namespace sse::listen {

event_filter::event_filter(filter_config config) : config_(std::move(config)) {}

verdict event_filter::judge(event_view const& ev) {
  if (config_.until_event && ev.type == *config_.until_event) return verdict::stop;
  if (config_.until_data && ev.data == *config_.until_data) return verdict::stop;
  if (!config_.types.empty() &&
      std::find(config_.types.begin(), config_.types.end(), ev.type) == config_.types.end()) {
    return verdict::skip;
  }
  ++printed_;
  if (config_.count != 0 && printed_ >= config_.count) return verdict::print_then_stop;
  return verdict::print;
}

}  // namespace sse::listen
