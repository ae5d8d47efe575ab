// Helpers for the auth tests: files in a fresh temporary directory, and a JWT signer written
// against OpenSSL directly, so the verifier is checked against code it does not share.
#ifndef SSE_SERVE_AUTH_TEST_SUPPORT_HPP
#define SSE_SERVE_AUTH_TEST_SUPPORT_HPP

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sse::serve::test {

class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sse-auth-XXXXXX").string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (::mkdtemp(buffer.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = buffer.data();
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(temp_dir const&) = delete;
  temp_dir& operator=(temp_dir const&) = delete;

  // Writes content, byte for byte, to name in the directory; returns its path.
  std::string write(std::string const& name, std::string_view content) const {
    std::string file = (path_ / name).string();
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out) throw std::runtime_error("cannot write " + file);
    return file;
  }
  std::string path(std::string const& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::string base64url(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<unsigned char const*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

inline std::string hs256(std::string_view secret, std::string_view signing_input) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<unsigned char const*>(signing_input.data()), signing_input.size(), mac,
       &size);
  return std::string(reinterpret_cast<char const*>(mac), size);
}

// A compact JWS of header and payload (JSON texts), signed with HMAC-SHA256 under secret.
inline std::string make_jwt(std::string_view payload, std::string_view secret,
                            std::string_view header = R"({"alg":"HS256","typ":"JWT"})") {
  std::string input = base64url(header) + "." + base64url(payload);
  return input + "." + base64url(hs256(secret, input));
}

}  // namespace sse::serve::test

#endif
