// The live page served at GET /, compiled in from page/index.html (see CMakeLists.txt).
#ifndef SSE_SERVE_PAGE_PAGE_HPP
#define SSE_SERVE_PAGE_PAGE_HPP

#include <cstdint>
#include <string>
#include <string_view>

namespace sse::serve {

// The page's HTML as written in page/index.html.
std::string_view page_template();

// The page with its stream URL filled in, relative ("events" for /events) so that the page also
// works behind a reverse proxy that adds a path prefix, and --backlog (what a tab that joins
// another's stream is given first).
std::string render_page(std::string_view stream_path, std::uint64_t backlog = 0);

}  // namespace sse::serve

#endif
