#include "net/tls_context.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl/context.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

namespace sse::serve {
namespace {

// Mozilla's "intermediate" TLS 1.2 suites (forward secrecy, AEAD only; none is on HTTP/2's block
// list). TLS 1.3 keeps OpenSSL's defaults, which are all modern.
constexpr char tls12_ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// ALPN wire format: length-prefixed names, in the server's order of preference.
constexpr unsigned char alpn_h2_h1[] = "\x02h2\x08http/1.1";
constexpr unsigned char alpn_h1[] = "\x08http/1.1";

int select_alpn(SSL*, unsigned char const** out, unsigned char* out_length,
                unsigned char const* offered, unsigned int offered_length, void* h2) {
  unsigned char const* ours = h2 != nullptr ? alpn_h2_h1 : alpn_h1;
  unsigned int const ours_length =
      h2 != nullptr ? sizeof alpn_h2_h1 - 1 : sizeof alpn_h1 - 1;  // without the final NUL
  if (SSL_select_next_proto(const_cast<unsigned char**>(out), out_length, ours, ours_length,
                            offered, offered_length) == OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_OK;
  }
  // A client that offers neither still gets HTTP/1.1, as if it had offered nothing.
  return SSL_TLSEXT_ERR_NOACK;
}

// OpenSSL would otherwise prompt on the terminal for an encrypted key's passphrase.
int no_passphrase(char*, int, int, void*) {
  return 0;
}

// The reason of the oldest error in OpenSSL's queue (the root cause), and clears the queue.
std::string openssl_reason() {
  unsigned long first = ERR_get_error();
  ERR_clear_error();
  if (first == 0) return "unknown OpenSSL error";
  char const* reason = ERR_reason_error_string(first);
  return reason != nullptr ? reason : "OpenSSL error " + std::to_string(first);
}

bool read_file(std::string const& path, std::string& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read '" + path + "': " + std::strerror(errno);
    return false;
  }
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) {
    error = "cannot read '" + path + "': " + std::strerror(errno);
    return false;
  }
  return true;
}

struct bio_deleter {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
struct x509_deleter {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
struct pkey_deleter {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};

std::unique_ptr<BIO, bio_deleter> memory_bio(std::string const& bytes) {
  return std::unique_ptr<BIO, bio_deleter>(
      BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

std::string time_text(ASN1_TIME const* t) {
  std::unique_ptr<BIO, bio_deleter> out(BIO_new(BIO_s_mem()));
  if (!out || ASN1_TIME_print(out.get(), t) != 1) return "?";
  char* data = nullptr;
  long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

tls_load_result load_tls_context(std::string const& cert_file, std::string const& key_file,
                                 bool h2) {
  tls_load_result r;
  ERR_clear_error();
  std::string cert_pem;
  std::string key_pem;
  if (!read_file(cert_file, cert_pem, r.error) || !read_file(key_file, key_pem, r.error)) return r;

  std::unique_ptr<X509, x509_deleter> cert(
      PEM_read_bio_X509(memory_bio(cert_pem).get(), nullptr, no_passphrase, nullptr));
  if (!cert) {
    r.error = "no PEM certificate in '" + cert_file + "' (" + openssl_reason() + ")";
    return r;
  }
  if (key_pem.find("ENCRYPTED") != std::string::npos) {
    r.error = "the key in '" + key_file +
              "' is encrypted, and sse-serve cannot ask for a passphrase (decrypt it with: "
              "openssl pkey -in KEY -out PLAIN-KEY)";
    return r;
  }
  std::unique_ptr<EVP_PKEY, pkey_deleter> key(
      PEM_read_bio_PrivateKey(memory_bio(key_pem).get(), nullptr, no_passphrase, nullptr));
  if (!key) {
    r.error = "no PEM private key in '" + key_file + "' (" + openssl_reason() + ")";
    return r;
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    r.error = "the key in '" + key_file + "' does not match the certificate in '" + cert_file +
              "' (" + openssl_reason() + ")";
    return r;
  }

  auto ctx = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_default_passwd_cb(native, no_passphrase);
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  // An idle stream does not need OpenSSL's read and write buffers (about 34 KiB a connection).
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  static constexpr unsigned char session_context[] = "sse-serve";
  SSL_CTX_set_session_id_context(native, session_context, sizeof session_context - 1);
  if (SSL_CTX_set_cipher_list(native, tls12_ciphers) != 1) {
    r.error = "cannot set the TLS 1.2 ciphers (" + openssl_reason() + ")";
    return r;
  }
  // The whole chain in the file is sent, so intermediates go after the server's certificate.
  if (SSL_CTX_use_certificate_chain_file(native, cert_file.c_str()) != 1) {
    r.error = "cannot use the certificate chain in '" + cert_file + "' (" + openssl_reason() + ")";
    return r;
  }
  if (SSL_CTX_use_PrivateKey(native, key.get()) != 1 || SSL_CTX_check_private_key(native) != 1) {
    r.error = "cannot use the key in '" + key_file + "' (" + openssl_reason() + ")";
    return r;
  }
  SSL_CTX_set_alpn_select_cb(native, select_alpn, h2 ? native : nullptr);

  // Expired or not yet valid: still served (the client decides), but said at once.
  if (X509_cmp_current_time(X509_get0_notAfter(cert.get())) < 0) {
    r.warnings.push_back("the certificate in '" + cert_file + "' expired on " +
                         time_text(X509_get0_notAfter(cert.get())) + "; clients will refuse it");
  }
  if (X509_cmp_current_time(X509_get0_notBefore(cert.get())) > 0) {
    r.warnings.push_back("the certificate in '" + cert_file + "' is not valid before " +
                         time_text(X509_get0_notBefore(cert.get())) +
                         "; clients will refuse it until then");
  }
  char subject[256];
  X509_NAME_oneline(X509_get_subject_name(cert.get()), subject, sizeof subject);
  r.subject = subject;
  r.context = std::move(ctx);
  ERR_clear_error();
  return r;
}

std::string alpn_selected(ssl_st const* ssl) {
  unsigned char const* name = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(ssl, &name, &length);
  return name == nullptr ? std::string() : std::string(reinterpret_cast<char const*>(name), length);
}

}  // namespace sse::serve
