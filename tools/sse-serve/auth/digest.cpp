#include "auth/digest.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <climits>
#include <stdexcept>

namespace sse::serve {

digest sha256(std::string_view bytes) {
  digest out{};
  unsigned int size = 0;
  // Only an allocation failure inside OpenSSL makes this fail.
  if (EVP_Digest(bytes.data(), bytes.size(), out.data(), &size, EVP_sha256(), nullptr) != 1 ||
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

}  // namespace sse::serve
