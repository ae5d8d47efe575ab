// The first bytes of a connection decide what it speaks, so one port serves every protocol:
// a TLS ClientHello (with --tls-cert: the handshake, then ALPN picks h2 or http/1.1; without it:
// a clean close), the HTTP/2 connection preface (h2c with prior knowledge), or HTTP/1.x (on a TLS
// port: a 400 that names the https:// URL). Each wait is bounded by --request-timeout.
#ifndef SSE_SERVE_NET_DETECT_SESSION_HPP
#define SSE_SERVE_NET_DETECT_SESSION_HPP

#include <boost/asio/ip/tcp.hpp>

#include "net/stream_context.hpp"

namespace sse::serve {

// Takes a freshly accepted connection and hands it to the session for its protocol.
void start_connection(boost::asio::ip::tcp::socket socket, stream_context& ctx);

}  // namespace sse::serve

#endif
