// A test suite's throwaway CA and certificates (tls/make_test_certs.sh, run once per suite), for
// the TLS and HTTP/2 tests: derive the suite's fixture from test_certs.
#ifndef SSE_SERVE_TEST_TEST_CERTS_HPP
#define SSE_SERVE_TEST_TEST_CERTS_HPP

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "child_process.hpp"

#ifndef MAKE_TEST_CERTS
#error "MAKE_TEST_CERTS must name tls/make_test_certs.sh"
#endif

namespace sse::serve::test {

class test_certs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/sse-certs-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    command_result r = run_command({"bash", MAKE_TEST_CERTS, dir_});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }

  static std::string file(std::string const& name) { return dir_ + "/" + name; }
  // --tls-cert and --tls-key for one of the script's pairs ("server", "expired", ...).
  static std::vector<std::string> tls_args(std::string const& cert = "server") {
    return {"--tls-cert", file(cert + ".pem"), "--tls-key", file(cert + ".key")};
  }

  static inline std::string dir_;
};

}  // namespace sse::serve::test

#endif
