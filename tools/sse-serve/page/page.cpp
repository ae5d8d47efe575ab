#include "page/page.hpp"

#include <cstddef>

namespace sse::serve {

// Generated at build time from page/index.html.
extern unsigned char const page_html[];
extern std::size_t const page_html_size;

std::string_view page_template() {
  return std::string_view(reinterpret_cast<char const*>(page_html), page_html_size);
}

std::string render_page(std::string_view stream_path) {
  constexpr std::string_view placeholder = "{{STREAM_URL}}";
  std::string page(page_template());
  // The path is checked at option parsing to hold no quote, space or '#'; drop the leading '/'
  // so that the URL resolves against the page's own location.
  std::string relative(stream_path.substr(1));
  for (std::size_t at = page.find(placeholder); at != std::string::npos;
       at = page.find(placeholder, at + relative.size())) {
    page.replace(at, placeholder.size(), relative);
  }
  return page;
}

}  // namespace sse::serve
