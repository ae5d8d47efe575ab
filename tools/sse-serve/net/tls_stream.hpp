// The TLS stream every TLS connection uses: Beast's wrapper of Asio's SSL stream (movable, and it
// flattens gather writes into whole records) over a tcp_stream (timeouts while a request is read).
// Heavy to include: only the files that handle TLS connections do.
#ifndef SSE_SERVE_NET_TLS_STREAM_HPP
#define SSE_SERVE_NET_TLS_STREAM_HPP

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace sse::serve {

using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

}  // namespace sse::serve

#endif
