#include "common/endpoint.hpp"

namespace sse::tools {

std::string host_port(std::string_view address, std::uint16_t port) {
  std::string out;
  bool const v6 = address.find(':') != std::string_view::npos;
  if (v6) out.push_back('[');
  out.append(address);
  if (v6) out.push_back(']');
  out.push_back(':');
  out.append(std::to_string(port));
  return out;
}

std::string endpoint_url(std::string_view scheme, std::string_view address, std::uint16_t port) {
  return std::string(scheme) + "://" + host_port(address, port) + "/";
}

}  // namespace sse::tools
