#include "auth/digest.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <climits>
#include <stdexcept>

namespace sse::serve {

namespace {

// The SHA-256 implementation, looked up once: EVP_sha256() makes OpenSSL 3 look it up in its
// provider tables (a lock and a hash lookup) on every digest, a fifth of a publish request's own
// CPU time. Kept for the life of the process.
EVP_MD const* sha256_md() {
  static EVP_MD const* const md = [] {
    EVP_MD const* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
  }();
  return md;
}

}  // namespace

digest sha256(std::string_view bytes) {
  digest out{};
  unsigned int size = 0;
  // Only an allocation failure inside OpenSSL makes this fail.
  if (EVP_Digest(bytes.data(), bytes.size(), out.data(), &size, sha256_md(), nullptr) != 1 ||
      size != out.size()) {
    throw std::runtime_error("OpenSSL could not compute SHA-256");
  }
  return out;
}

digest hmac_sha256(std::string_view key, std::string_view message) {
  if (key.size() > static_cast<std::size_t>(INT_MAX)) {
    throw std::length_error("HMAC key too long");
  }
  digest out{};
  unsigned int size = 0;
  // HMAC() is OpenSSL 3's one-shot MAC; unlike HMAC_CTX it is not deprecated.
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<unsigned char const*>(message.data()), message.size(), out.data(),
           &size) == nullptr ||
      size != out.size()) {
    throw std::runtime_error("OpenSSL could not compute HMAC-SHA256");
  }
  return out;
}

bool same_digest(digest const& a, digest const& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

digest const& digest_memo::of(std::string_view token) {
  if (!set_ || token != token_) {
    digest_ = sha256(token);
    token_.assign(token);
    set_ = true;
  }
  return digest_;
}

}  // namespace sse::serve
