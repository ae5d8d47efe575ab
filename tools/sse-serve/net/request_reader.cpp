#include "net/request_reader.hpp"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>

namespace sse::serve {

namespace http = boost::beast::http;

namespace {

// The first occurrence of a field counts, as with Beast's fields::find.
void keep_first(std::string& into, bool& seen, boost::beast::string_view value) {
  if (seen) return;
  seen = true;
  into.assign(value.data(), value.size());
}

void keep_first(std::optional<std::string>& into, boost::beast::string_view value) {
  if (!into) into.emplace(value.data(), value.size());
}

}  // namespace

void request_head::clear() {
  method.clear();
  target.clear();
  version = 11;
  authorization.clear();
  cookie.clear();
  accept.clear();
  content_type.reset();
  last_event_id.reset();
  expect_continue = false;
  keep_alive = true;
  body.clear();
  seen_authorization = seen_accept = false;
}

request_view request_head::view() const {
  request_view v;
  v.method = method_of(method);
  v.target = target;
  v.authorization = authorization;
  v.cookie = cookie;
  v.accept = accept;
  if (content_type) v.content_type = *content_type;
  if (last_event_id) v.last_event_id = *last_event_id;
  v.body = body;
  v.http10 = version < 11;
  v.keep_alive = keep_alive;
  return v;
}

void request_reader::on_request_impl(http::verb, string_view method, string_view target,
                                     int version, error_code&) {
  head_.method.assign(method.data(), method.size());
  head_.target.assign(target.data(), target.size());
  head_.version = version;
}

void request_reader::on_field_impl(http::field name, string_view name_string, string_view value,
                                   error_code&) {
  switch (name) {
    case http::field::authorization:
      keep_first(head_.authorization, head_.seen_authorization, value);
      return;
    case http::field::accept:
      keep_first(head_.accept, head_.seen_accept, value);
      return;
    case http::field::cookie:
      if (!head_.cookie.empty()) head_.cookie.append("; ");
      head_.cookie.append(value.data(), value.size());
      return;
    case http::field::content_type:
      keep_first(head_.content_type, value);
      return;
    case http::field::expect:
      if (boost::beast::iequals(value, "100-continue")) head_.expect_continue = true;
      return;
    case http::field::unknown:
      if (boost::beast::iequals(name_string, "Last-Event-ID"))
        keep_first(head_.last_event_id, value);
      return;
    default:
      return;
  }
}

void request_reader::on_header_impl(error_code&) {
  head_.keep_alive = keep_alive();
}

void request_reader::on_body_init_impl(boost::optional<std::uint64_t> const& content_length,
                                       error_code&) {
  // Within the body limit (Beast checked it), but the limit is only tightened once the router has
  // seen the head: a claimed length is not taken on trust beyond a first 64 KiB.
  if (content_length)
    head_.body.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*content_length, 65536)));
}

std::size_t request_reader::on_body_impl(string_view body, error_code&) {
  head_.body.append(body.data(), body.size());
  return body.size();
}

std::size_t request_reader::on_chunk_body_impl(std::uint64_t, string_view body, error_code&) {
  head_.body.append(body.data(), body.size());
  return body.size();
}

}  // namespace sse::serve
