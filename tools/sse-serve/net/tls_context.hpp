// The TLS side of --tls-cert and --tls-key: an OpenSSL context for TLS 1.2 and 1.3 only, with
// modern ciphers and ALPN (h2 first, then http/1.1). Loading checks everything a person can get
// wrong (a missing file, a key that is not the certificate's, an encrypted key) and says which file
// and OpenSSL's reason. SIGHUP loads a new context; connections already open keep the one they
// started with (OpenSSL counts its references), new ones get the new one.
#ifndef SSE_SERVE_NET_TLS_CONTEXT_HPP
#define SSE_SERVE_NET_TLS_CONTEXT_HPP

#include <memory>
#include <string>
#include <vector>

namespace boost::asio::ssl {
class context;
}
struct ssl_st;  // OpenSSL's SSL

namespace sse::serve {

using tls_context = std::shared_ptr<boost::asio::ssl::context>;

struct tls_load_result {
  tls_context context;                // null when the pair cannot be used
  std::string error;                  // why not, naming the file
  std::vector<std::string> warnings;  // usable, but clients may refuse it (expired, not yet valid)
  std::string subject;                // the certificate's subject, for -v
};

// Loads a PEM certificate (chain) and its unencrypted PEM key. With h2, ALPN offers h2 first.
tls_load_result load_tls_context(std::string const& cert_file, std::string const& key_file,
                                 bool h2);

// The protocol ALPN chose on a finished handshake ("h2", "http/1.1"), or "" when none was.
std::string alpn_selected(ssl_st const* ssl);

}  // namespace sse::serve

#endif
