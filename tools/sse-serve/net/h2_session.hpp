// HTTP/2 connections: the socket side of h2_connection, over plain TCP (h2c with prior knowledge)
// or TLS (ALPN h2). Reads feed nghttp2; what it has to send goes out in one gather write at a
// time; a timer closes a connection without streams after --request-timeout.
#ifndef SSE_SERVE_NET_H2_SESSION_HPP
#define SSE_SERVE_NET_H2_SESSION_HPP

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <string>

#include "net/stream_context.hpp"

namespace boost::beast {
template <class NextLayer>
class ssl_stream;
}

namespace sse::serve {

// buffer: what was read while telling the protocol (the connection preface, or more).
void start_h2_session(boost::beast::tcp_stream stream, boost::beast::flat_buffer buffer,
                      stream_context& ctx);
void start_h2_session(boost::beast::ssl_stream<boost::beast::tcp_stream> stream,
                      boost::beast::flat_buffer buffer, stream_context& ctx);

}  // namespace sse::serve

#endif
