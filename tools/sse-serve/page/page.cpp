#include "page/page.hpp"

#include <cstddef>
#include <string>

namespace sse::serve {

// Generated at build time from page/index.html.
extern unsigned char const page_html[];
extern std::size_t const page_html_size;

std::string_view page_template() {
  return std::string_view(reinterpret_cast<char const*>(page_html), page_html_size);
}

namespace {

void fill(std::string& page, std::string_view placeholder, std::string_view value) {
  for (std::size_t at = page.find(placeholder); at != std::string::npos;
       at = page.find(placeholder, at + value.size())) {
    page.replace(at, placeholder.size(), value);
  }
}

}  // namespace

std::string render_page(std::string_view stream_path, std::uint64_t backlog) {
  std::string page(page_template());
  // The path is checked at option parsing to hold no quote, space or '#'; drop the leading '/'
  // so that the URL resolves against the page's own location.
  fill(page, "{{STREAM_URL}}", stream_path.substr(1));
  fill(page, "{{BACKLOG}}", std::to_string(backlog));
  return page;
}

}  // namespace sse::serve
