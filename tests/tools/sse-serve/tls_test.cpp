// --tls-cert and --tls-key against the real binary, with a throwaway CA made by openssl
// (tls/make_test_certs.sh) and curl as the client: every route over HTTPS, the errors that stop
// the start (and name the file and OpenSSL's reason), an expired certificate (served, warned
// about, refused by curl), SIGHUP reloading the pair while a stream stays open, and the wrong
// protocol on either kind of port.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "test_certs.hpp"
#include "test_support.hpp"

namespace sse::serve::test {
namespace {

namespace fs = std::filesystem;

class Tls : public test_certs {
 protected:
  static std::string url(std::uint16_t port, std::string const& path) {
    return "https://127.0.0.1:" + std::to_string(port) + path;
  }
  // curl trusting the test CA; -sS: only errors on stderr.
  static command_result curl(std::vector<std::string> args) {
    std::vector<std::string> argv = {CURL_PROGRAM, "-sS",      "--max-time",
                                     "20",         "--cacert", file("ca.pem")};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  }
};

int exit_status_of(server_process& s) {
  std::optional<int> status = s.wait_exit(deadline());
  if (!status || !WIFEXITED(*status)) return -1;
  return WEXITSTATUS(*status);
}

TEST_F(Tls, EveryRouteOverHttps) {
  server_process s([] {
    auto a = tls_args();
    a.insert(a.end(), {"--metrics", "--cors", "*"});
    return a;
  }());
  EXPECT_NE(s.stderr_text().find("listening on https://127.0.0.1:"), std::string::npos);
  command_result r = curl({"--http1.1", url(s.port(), "/healthz")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ok\n");
  r = curl({"--http1.1", url(s.port(), "/")});
  EXPECT_NE(r.out.find("<!DOCTYPE html>"), std::string::npos);
  r = curl({"--http1.1", "-o", "/dev/null", "-w", "%{http_code}", url(s.port(), "/nope")});
  EXPECT_EQ(r.out, "404");
  r = curl({"--http1.1", url(s.port(), "/metrics")});
  EXPECT_NE(r.out.find("sse_clients 0"), std::string::npos);
  r = curl({"--http1.1", "-X", "OPTIONS", "-D", "-", url(s.port(), "/events")});
  EXPECT_NE(r.out.find("Access-Control-Allow-Origin: *"), std::string::npos);

  // A stream: events written to stdin arrive over TLS.
  child_process stream(
      {CURL_PROGRAM, "-sSN", "--http1.1", "--cacert", file("ca.pem"), url(s.port(), "/events")});
  ASSERT_TRUE(stream.wait_stdout(": sse-serve", deadline())) << stream.err();
  s.write_stdin("over tls\n");
  EXPECT_TRUE(stream.wait_stdout("data: over tls\n", deadline())) << stream.out();
}

TEST_F(Tls, AKeyThatIsNotTheCertificatesStopsTheStart) {
  server_process s({"-p", "0", "--tls-cert", file("server.pem"), "--tls-key", file("other.key")},
                   false);
  EXPECT_EQ(exit_status_of(s), 1);
  EXPECT_NE(s.stderr_text().find("the key in '" + file("other.key") +
                                 "' does not match the certificate in '" + file("server.pem")),
            std::string::npos)
      << s.stderr_text();
  EXPECT_NE(s.stderr_text().find("key values mismatch"), std::string::npos) << s.stderr_text();
}

TEST_F(Tls, ACertificateNeedsItsKey) {
  server_process alone({"-p", "0", "--tls-cert", file("server.pem")}, false);
  EXPECT_EQ(exit_status_of(alone), 2);  // a usage error
  EXPECT_NE(alone.stderr_text().find("--tls-cert requires --tls-key"), std::string::npos)
      << alone.stderr_text();
}

TEST_F(Tls, MissingFilesAndEncryptedKeysStopTheStart) {
  server_process missing(
      {"-p", "0", "--tls-cert", file("missing.pem"), "--tls-key", file("server.key")}, false);
  EXPECT_EQ(exit_status_of(missing), 1);
  EXPECT_NE(missing.stderr_text().find("cannot read '" + file("missing.pem") +
                                       "': No such file or directory"),
            std::string::npos)
      << missing.stderr_text();

  command_result r = run_command({"openssl", "pkey", "-in", file("server.key"), "-aes128",
                                  "-passout", "pass:secret", "-out", file("encrypted.key")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  server_process encrypted(
      {"-p", "0", "--tls-cert", file("server.pem"), "--tls-key", file("encrypted.key")}, false);
  EXPECT_EQ(exit_status_of(encrypted), 1);
  EXPECT_NE(encrypted.stderr_text().find("is encrypted"), std::string::npos)
      << encrypted.stderr_text();

  // A key where the certificate should be: OpenSSL's reason is passed on.
  server_process swapped(
      {"-p", "0", "--tls-cert", file("server.key"), "--tls-key", file("server.key")}, false);
  EXPECT_EQ(exit_status_of(swapped), 1);
  EXPECT_NE(swapped.stderr_text().find("no PEM certificate in '" + file("server.key") +
                                       "' (no start line)"),
            std::string::npos)
      << swapped.stderr_text();
}

TEST_F(Tls, AnExpiredCertificateIsServedWithAWarningAndCurlRefusesIt) {
  server_process s(tls_args("expired"));
  EXPECT_NE(s.stderr_text().find("warning: the certificate in '" + file("expired.pem") +
                                 "' expired on Feb  1 00:00:00 2020 GMT"),
            std::string::npos)
      << s.stderr_text();
  command_result r = curl({url(s.port(), "/healthz")});
  EXPECT_EQ(r.exit_code, 60) << r.err;  // CURLE_PEER_FAILED_VERIFICATION
  EXPECT_NE(r.err.find("expired"), std::string::npos) << r.err;
  // The client's call: one that does not check still gets an answer.
  r = curl({"--insecure", url(s.port(), "/healthz")});
  EXPECT_EQ(r.out, "ok\n");
}

TEST_F(Tls, SighupReloadsThePairAndOpenStreamsKeepFlowing) {
  // The server reads the files at their paths: copy so the test can replace them.
  fs::copy_file(file("server.pem"), file("live.pem"), fs::copy_options::overwrite_existing);
  fs::copy_file(file("server.key"), file("live.key"), fs::copy_options::overwrite_existing);
  server_process s({"-v", "--tls-cert", file("live.pem"), "--tls-key", file("live.key")});
  child_process stream(
      {CURL_PROGRAM, "-sSN", "--http1.1", "--cacert", file("ca.pem"), url(s.port(), "/events")});
  ASSERT_TRUE(stream.wait_stdout(": sse-serve", deadline())) << stream.err();
  s.write_stdin("before\n");
  ASSERT_TRUE(stream.wait_stdout("data: before\n", deadline()));

  fs::copy_file(file("second.pem"), file("live.pem"), fs::copy_options::overwrite_existing);
  fs::copy_file(file("second.key"), file("live.key"), fs::copy_options::overwrite_existing);
  s.signal(SIGHUP);
  ASSERT_TRUE(s.wait_stderr("SIGHUP: reloaded certificate /CN=sse-serve second", deadline()))
      << s.stderr_text();
  s.write_stdin("after\n");
  EXPECT_TRUE(stream.wait_stdout("data: after\n", deadline())) << stream.out();
  command_result r = curl({"-v", url(s.port(), "/healthz")});
  EXPECT_EQ(r.out, "ok\n");
  EXPECT_NE(r.err.find("subject: CN=sse-serve second"), std::string::npos) << r.err;

  // A bad new pair is reported, and the one loaded before stays.
  fs::copy_file(file("other.key"), file("live.key"), fs::copy_options::overwrite_existing);
  s.signal(SIGHUP);
  ASSERT_TRUE(s.wait_stderr("keeping the certificate loaded before", deadline()))
      << s.stderr_text();
  EXPECT_NE(
      s.stderr_text().find("warning: SIGHUP: the key in '" + file("live.key") + "' does not match"),
      std::string::npos);
  r = curl({"-v", url(s.port(), "/healthz")});
  EXPECT_EQ(r.out, "ok\n");
  EXPECT_NE(r.err.find("subject: CN=sse-serve second"), std::string::npos) << r.err;
  s.write_stdin("still\n");
  EXPECT_TRUE(stream.wait_stdout("data: still\n", deadline())) << stream.out();
}

TEST_F(Tls, ATlsHelloOnAPlaintextPortIsClosedAtOnce) {
  server_process s({"-v"});
  command_result r = curl({url(s.port(), "/healthz")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.exit_code, 28) << "curl timed out: the server hung on a TLS hello";
  EXPECT_TRUE(s.wait_stderr("sent a TLS handshake to this plaintext port", deadline()));
  // And the port still speaks plaintext.
  http_client c(s.port());
  c.get("/healthz", {"Connection: close"});
  EXPECT_EQ(c.read_head(deadline()).status, 200);
}

TEST_F(Tls, PlaintextOnATlsPortGetsAClearAnswer) {
  server_process s(tls_args());
  http_client c(s.port());
  c.get("/events", {"Accept: text/event-stream"});
  response_head h = c.read_head(deadline());
  EXPECT_EQ(h.status, 400);
  std::string body = c.read_body(h, deadline());
  EXPECT_EQ(body,
            "this port speaks HTTPS: use https://127.0.0.1:" + std::to_string(s.port()) + "/\n");
  // The TLS side is unaffected.
  EXPECT_EQ(curl({url(s.port(), "/healthz")}).out, "ok\n");
}

}  // namespace
}  // namespace sse::serve::test
