// HTTP/2 against the real binary: curl (--http2 over TLS, --http2-prior-knowledge on plaintext),
// nghttp and sse-listen on every route, and a raw frame client for what no polite client does:
// rapid reset, a window that never opens, more streams than allowed, oversized headers and junk.
// In each, other connections must go on being served.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "test_certs.hpp"
#include "test_support.hpp"

namespace sse::serve::test {
namespace {

namespace fs = std::filesystem;

// --- a raw HTTP/2 client: frames in and out, no HPACK decoding -------------------------------

enum frame_type : std::uint8_t {
  data_frame = 0,
  headers_frame = 1,
  rst_stream_frame = 3,
  settings_frame = 4,
  ping_frame = 6,
  goaway_frame = 7,
  window_update_frame = 8,
};
constexpr std::uint8_t end_stream = 0x1;
constexpr std::uint8_t end_headers = 0x4;
constexpr std::uint8_t ack = 0x1;

struct h2_frame {
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
  std::uint32_t stream = 0;
  std::string payload;
  std::uint32_t u32(std::size_t at) const {
    auto b = [&](std::size_t i) {
      return static_cast<std::uint32_t>(static_cast<unsigned char>(payload[at + i]));
    };
    return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
  }
};

std::string frame_bytes(std::uint8_t type, std::uint8_t flags, std::uint32_t stream,
                        std::string const& payload) {
  std::string f;
  f += static_cast<char>((payload.size() >> 16) & 0xff);
  f += static_cast<char>((payload.size() >> 8) & 0xff);
  f += static_cast<char>(payload.size() & 0xff);
  f += static_cast<char>(type);
  f += static_cast<char>(flags);
  for (int shift : {24, 16, 8, 0}) f += static_cast<char>((stream >> shift) & 0xff);
  return f + payload;
}

std::string u32_bytes(std::uint32_t v) {
  std::string s;
  for (int shift : {24, 16, 8, 0}) s += static_cast<char>((v >> shift) & 0xff);
  return s;
}

// A GET as an HPACK block: static-table :method GET, :scheme http, and literal :authority and
// :path (never indexed, so every block is the same), plus extra literal fields.
std::string request_block(std::string const& path,
                          std::vector<std::pair<std::string, std::string>> const& extra = {}) {
  auto literal = [](std::string& out, std::string const& value) {
    // A 7-bit prefixed length (no Huffman).
    std::size_t n = value.size();
    if (n < 127) {
      out += static_cast<char>(n);
    } else {
      out += static_cast<char>(127);
      n -= 127;
      while (n >= 128) {
        out += static_cast<char>((n & 0x7f) | 0x80);
        n >>= 7;
      }
      out += static_cast<char>(n);
    }
    out += value;
  };
  std::string b;
  b += '\x82';  // :method GET
  b += '\x86';  // :scheme http
  b += '\x01';  // :authority, literal without indexing
  literal(b, "localhost");
  b += '\x04';  // :path, literal without indexing
  literal(b, path);
  for (auto const& [name, value] : extra) {
    b += '\x00';  // a new name, literal without indexing
    literal(b, name);
    literal(b, value);
  }
  return b;
}

class raw_h2 {
 public:
  explicit raw_h2(std::uint16_t port, std::string const& settings_payload = {}) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("connect failed");
    send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame_bytes(settings_frame, 0, 0, settings_payload));
  }
  ~raw_h2() { ::close(fd_); }
  raw_h2(raw_h2 const&) = delete;
  raw_h2& operator=(raw_h2 const&) = delete;

  // Returns false when the server closed (or reset) the connection.
  bool send(std::string const& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }
  void get(std::uint32_t stream, std::string const& path,
           std::vector<std::pair<std::string, std::string>> const& extra = {}) {
    send(frame_bytes(headers_frame, end_stream | end_headers, stream, request_block(path, extra)));
  }

  // Reads frames until pred(frame) is true (returns it), or the deadline or the end of the
  // connection (nullopt). Frames read go to frames(); the server's SETTINGS are acknowledged.
  template <typename Pred>
  std::optional<h2_frame> until(Pred pred, clock::time_point deadline_at) {
    while (true) {
      while (auto f = next()) {
        frames_.push_back(*f);
        if (f->type == settings_frame && (f->flags & ack) == 0)
          send(frame_bytes(settings_frame, ack, 0, ""));
        if (f->type == data_frame) data_[f->stream] += f->payload;
        if (pred(*f)) return f;
      }
      if (closed_ || clock::now() >= deadline_at) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      char buf[16384];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        continue;
      }
      in_.append(buf, static_cast<std::size_t>(n));
    }
  }
  bool closed() const { return closed_; }
  std::string const& data(std::uint32_t stream) { return data_[stream]; }
  std::vector<h2_frame> const& frames() const { return frames_; }

 private:
  std::optional<h2_frame> next() {
    if (in_.size() < 9) return std::nullopt;
    auto b = [&](std::size_t i) {
      return static_cast<std::uint32_t>(static_cast<unsigned char>(in_[i]));
    };
    std::size_t length = (b(0) << 16) | (b(1) << 8) | b(2);
    if (in_.size() < 9 + length) return std::nullopt;
    h2_frame f;
    f.type = static_cast<std::uint8_t>(b(3));
    f.flags = static_cast<std::uint8_t>(b(4));
    f.stream = ((b(5) & 0x7f) << 24) | (b(6) << 16) | (b(7) << 8) | b(8);
    f.payload = in_.substr(9, length);
    in_.erase(0, 9 + length);
    return f;
  }

  int fd_ = -1;
  std::string in_;
  bool closed_ = false;
  std::vector<h2_frame> frames_;
  std::map<std::uint32_t, std::string> data_;
};

std::string describe(std::vector<h2_frame> const& frames) {
  std::string s = "frames received:";
  for (h2_frame const& f : frames) {
    s += " type " + std::to_string(f.type) + " stream " + std::to_string(f.stream) + " flags " +
         std::to_string(f.flags) + ";";
  }
  return s;
}

// --- curl and friends ---------------------------------------------------------------------------

class H2 : public test_certs {
 protected:
  static std::vector<std::string> with_tls(std::vector<std::string> args) {
    for (std::string& a : tls_args()) args.push_back(std::move(a));
    return args;
  }
  // curl over HTTP/2: TLS with ALPN, or h2c with prior knowledge. Prints the body, then a last
  // line with the HTTP version and status.
  static command_result curl(bool tls, std::uint16_t port, std::string const& path,
                             std::vector<std::string> args = {}) {
    std::vector<std::string> argv = {CURL_PROGRAM, "-sS", "--max-time",
                                     "20",         "-w",  "\n%{http_version} %{http_code}"};
    if (tls) {
      argv.insert(argv.end(), {"--http2", "--cacert", file("ca.pem")});
    } else {
      argv.push_back("--http2-prior-knowledge");
    }
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port) +
                   path);
    return run_command(argv);
  }
};

std::string status_of(command_result const& r) {
  return r.out.substr(r.out.rfind('\n') + 1);
}
std::string body_of(command_result const& r) {
  return r.out.substr(0, r.out.rfind('\n'));
}

TEST_F(H2, EveryRouteOverTlsAndPriorKnowledge) {
  for (bool tls : {true, false}) {
    SCOPED_TRACE(tls ? "h2 over TLS" : "h2c");
    ::setenv("SSE_PUBLISH_TOKEN", "pub-token", 1);
    std::vector<std::string> args = {"--metrics", "--cors", "https://app.example", "--history",
                                     "100"};
    server_process s(tls ? with_tls(args) : args);
    ::unsetenv("SSE_PUBLISH_TOKEN");
    std::uint16_t const p = s.port();

    command_result r = curl(tls, p, "/healthz");
    EXPECT_EQ(body_of(r), "ok\n");
    EXPECT_EQ(status_of(r), "2 200") << r.err;
    r = curl(tls, p, "/");
    EXPECT_NE(r.out.find("<!DOCTYPE html>"), std::string::npos);
    EXPECT_EQ(status_of(r), "2 200");
    EXPECT_EQ(status_of(curl(tls, p, "/nope")), "2 404");
    EXPECT_EQ(status_of(curl(tls, p, "/", {"-X", "DELETE"})), "2 405");
    r = curl(tls, p, "/events", {"-X", "OPTIONS", "-D", "-"});
    EXPECT_EQ(status_of(r), "2 204");
    EXPECT_NE(r.out.find("access-control-allow-origin: https://app.example"), std::string::npos)
        << r.out;
    r = curl(tls, p, "/events", {"-I"});
    EXPECT_NE(r.out.find("content-type: text/event-stream"), std::string::npos) << r.out;
    EXPECT_EQ(status_of(r), "2 200");

    // Publishing (with a body), then a stream of a topic resumed from id 0's successor.
    r = curl(tls, p, "/events/news", {"-H", "Authorization: Bearer pub-token", "--data", "one"});
    EXPECT_EQ(status_of(r), "2 201") << r.out;
    EXPECT_EQ(body_of(r), "{\"ids\":[\"1\"]}\n");
    r = curl(tls, p, "/events", {"-H", "Authorization: Bearer wrong", "--data", "x"});
    EXPECT_EQ(status_of(r), "2 401") << r.err;
    r = curl(tls, p, "/metrics");
    EXPECT_NE(r.out.find("sse_publish_requests_total{status=\"201\"} 1"), std::string::npos);
    // Each curl above was one HTTP/2 connection, this one included.
    EXPECT_NE(r.out.find(std::string("sse_connections_total{protocol=\"h2\",tls=\"") +
                         (tls ? "yes" : "no") + "\"} 9\n"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("sse_connections_total{protocol=\"h1\",tls=\"no\"} 0\n"),
              std::string::npos);

    std::vector<std::string> stream_argv = {CURL_PROGRAM, "-sSN", "-H", "Last-Event-ID: 1"};
    if (tls) {
      stream_argv.insert(stream_argv.end(), {"--http2", "--cacert", file("ca.pem")});
    } else {
      stream_argv.push_back("--http2-prior-knowledge");
    }
    stream_argv.push_back(std::string(tls ? "https" : "http") +
                          "://127.0.0.1:" + std::to_string(p) + "/events/news");
    child_process stream(stream_argv);
    ASSERT_TRUE(stream.wait_stdout(": sse-serve", deadline())) << stream.err();
    s.write_stdin("not news\n");  // no topic: not for this stream
    r = curl(tls, p, "/events/news", {"-H", "Authorization: Bearer pub-token", "--data", "two"});
    EXPECT_EQ(body_of(r), "{\"ids\":[\"3\"]}\n");
    EXPECT_TRUE(stream.wait_stdout("id: 3\ndata: two\n", deadline())) << stream.out();
    EXPECT_EQ(stream.out().find("not news"), std::string::npos);
  }
}

TEST_F(H2, TokensInSplitCookiesAndTurnAways) {
  fs::path tokens = file("tokens");
  std::ofstream(tokens) << "sub-token\n";
  server_process s({"--token-file", tokens.string(), "--max-clients", "1"});
  // nghttp sends each -H as its own field: the cookie arrives in two, as browsers split them.
  command_result r = run_command({NGHTTP_PROGRAM, "-n", "-s", "-H", "cookie: theme=dark", "-H",
                                  "cookie: sse_token=sub-token", "-H", "accept: text/event-stream",
                                  "http://127.0.0.1:" + std::to_string(s.port()) + "/events"},
                                 clock::now() + std::chrono::seconds(3));
  // Authorized: the stream stays open until nghttp is stopped at the deadline.
  EXPECT_EQ(r.exit_code, -1) << r.out << r.err;
  r = curl(false, s.port(), "/events", {"-b", "sse_token=nope"});
  EXPECT_EQ(status_of(r), "2 401");

  // One stream open: the next EventSource is told to come back later, others get 503.
  child_process first({CURL_PROGRAM, "-sSN", "--http2-prior-knowledge", "-H",
                       "Authorization: Bearer sub-token",
                       "http://127.0.0.1:" + std::to_string(s.port()) + "/events"});
  ASSERT_TRUE(first.wait_stdout(": sse-serve", deadline())) << first.err();
  r = curl(false, s.port(), "/events",
           {"-H", "Authorization: Bearer sub-token", "-H", "Accept: text/event-stream"});
  EXPECT_EQ(status_of(r), "2 200");
  EXPECT_NE(r.out.find("retry: "), std::string::npos) << r.out;
  r = curl(false, s.port(), "/events", {"-H", "Authorization: Bearer sub-token"});
  EXPECT_EQ(status_of(r), "2 503");
}

TEST_F(H2, NghttpReadsTheStreamToItsEnd) {
  server_process s({"--exit-on-eof"});
  child_process nghttp(
      {NGHTTP_PROGRAM, "-v", "http://127.0.0.1:" + std::to_string(s.port()) + "/events"});
  ASSERT_TRUE(nghttp.wait_stdout(": sse-serve", deadline())) << nghttp.out() << nghttp.err();
  s.write_stdin("first\nsecond\n");
  ASSERT_TRUE(nghttp.wait_stdout("data: second", deadline())) << nghttp.out();
  s.close_stdin();  // the end event, then END_STREAM
  std::optional<int> status = nghttp.wait_exit(deadline());
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 0) << nghttp.out() << nghttp.err();
  EXPECT_NE(nghttp.out().find("event: sse-end"), std::string::npos);
  EXPECT_NE(nghttp.out().find("recv DATA frame"), std::string::npos);
  EXPECT_NE(nghttp.out().find("END_STREAM"), std::string::npos);
}

TEST_F(H2, SseListenNegotiatesH2) {
  server_process s(with_tls({"-v"}));
  child_process listen({SSE_LISTEN_BINARY, "--json", "--cacert", file("ca.pem"), "-n", "2",
                        "https://127.0.0.1:" + std::to_string(s.port()) + "/events"});
  ASSERT_TRUE(s.wait_stderr("connected to /events", deadline())) << s.stderr_text();
  EXPECT_NE(s.stderr_text().find("(h2 tls, stream 1) connected"), std::string::npos)
      << s.stderr_text();
  s.write_stdin("a\nb\n");
  std::optional<int> status = listen.wait_exit(deadline());
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 0) << listen.err();
  EXPECT_NE(listen.out().find("\"data\":\"a\""), std::string::npos) << listen.out();
  EXPECT_NE(listen.out().find("\"data\":\"b\""), std::string::npos) << listen.out();
}

TEST_F(H2, RapidResetGetsGoawayAndOthersAreServed) {
  server_process s({});
  raw_h2 attacker(s.port());
  for (std::uint32_t i = 0; i < 1000; ++i) {
    std::uint32_t const id = 1 + 2 * i;
    if (!attacker.send(
            frame_bytes(headers_frame, end_stream | end_headers, id, request_block("/events")) +
            frame_bytes(rst_stream_frame, 0, id, u32_bytes(8 /* CANCEL */)))) {
      break;  // closed by the server already
    }
  }
  auto goaway =
      attacker.until([](h2_frame const& f) { return f.type == goaway_frame; }, deadline());
  ASSERT_TRUE(goaway);
  EXPECT_EQ(goaway->u32(4), 0xbu);  // ENHANCE_YOUR_CALM
  EXPECT_TRUE(s.wait_stderr("rapid reset", deadline()));
  // The server stays up for everyone else.
  EXPECT_EQ(status_of(curl(false, s.port(), "/healthz")), "2 200");
  // ... and a client that cancels a few streams now and then is not one.
  raw_h2 polite(s.port());
  for (std::uint32_t id = 1; id <= 21; id += 2) {
    polite.get(id, "/events");
    polite.send(frame_bytes(rst_stream_frame, 0, id, u32_bytes(8)));
  }
  polite.get(23, "/healthz");
  auto answered = polite.until(
      [](h2_frame const& f) {
        return f.stream == 23 && f.type == data_frame && (f.flags & end_stream) != 0;
      },
      deadline());
  EXPECT_TRUE(answered);
  EXPECT_EQ(polite.data(23), "ok\n");
}

TEST_F(H2, AStreamWhoseWindowNeverOpensIsDroppedAloneAtTheStallTimeout) {
  server_process s({"-v", "--stall-timeout", "1"});
  // SETTINGS_INITIAL_WINDOW_SIZE (4) = 0: no stream may be sent DATA until a WINDOW_UPDATE.
  raw_h2 c(s.port(), std::string("\x00\x04", 2) + u32_bytes(0));
  c.get(1, "/events");  // never opened: stalled
  c.get(3, "/events");
  c.send(frame_bytes(window_update_frame, 0, 3, u32_bytes(1 << 20)));  // opened wide
  ASSERT_TRUE(c.until([](h2_frame const& f) { return f.type == headers_frame && f.stream == 3; },
                      deadline()));
  ASSERT_TRUE(s.wait_stderr("(h2, stream 3) connected", deadline()));
  // Stream 3 takes events while 1 cannot; the connection's window (65535) is shared, so keep
  // within it: the stall must come from the stream's own window.
  for (int i = 0; i < 5; ++i) s.write_stdin("event " + std::to_string(i) + "\n");
  EXPECT_TRUE(c.until(
      [&](h2_frame const&) { return c.data(3).find("data: event 4\n") != std::string::npos; },
      deadline()))
      << c.data(3);
  EXPECT_TRUE(c.data(1).empty());
  auto reset = c.until(
      [](h2_frame const& f) { return f.type == rst_stream_frame && f.stream == 1; }, deadline());
  ASSERT_TRUE(reset);
  EXPECT_EQ(reset->u32(0), 8u);  // CANCEL
  EXPECT_TRUE(
      s.wait_stderr("(h2, stream 1) dropped: took nothing for the --stall-timeout", deadline()))
      << s.stderr_text();
  // Stream 3 goes on.
  s.write_stdin("after the drop\n");
  EXPECT_TRUE(c.until(
      [&](h2_frame const&) {
        return c.data(3).find("data: after the drop\n") != std::string::npos;
      },
      deadline()));
  EXPECT_FALSE(c.closed());
}

TEST_F(H2, MoreStreamsThanAllowedAreRefused) {
  server_process s({"--h2-max-streams", "2"});
  raw_h2 c(s.port());
  // The limit applies once our SETTINGS ACK reaches the server: wait for the server's SETTINGS.
  ASSERT_TRUE(c.until([](h2_frame const& f) { return f.type == settings_frame && f.flags == 0; },
                      deadline()));
  c.send(frame_bytes(ping_frame, 0, 0, std::string(8, 'p')));
  ASSERT_TRUE(c.until([](h2_frame const& f) { return f.type == ping_frame; }, deadline()));
  c.get(1, "/events");
  c.get(3, "/events");
  ASSERT_TRUE(c.until(
      [&](h2_frame const&) {
        return c.data(1).find(": sse-serve") != std::string::npos &&
               c.data(3).find(": sse-serve") != std::string::npos;
      },
      deadline()));
  c.get(5, "/events");
  // nghttp2 answers a client that ignores the limit with REFUSED_STREAM before the limit is
  // acknowledged and with a connection error after: either way stream 5 is not served, and the
  // two within the limit were.
  auto refused = c.until(
      [](h2_frame const& f) {
        return (f.type == rst_stream_frame && f.stream == 5) || f.type == goaway_frame;
      },
      deadline());
  ASSERT_TRUE(refused) << describe(c.frames());
  if (refused->type == rst_stream_frame) {
    EXPECT_EQ(refused->u32(0), 7u);  // REFUSED_STREAM
  } else {
    EXPECT_EQ(refused->u32(0), 3u);  // the last stream served
    EXPECT_EQ(refused->u32(4), 1u);  // PROTOCOL_ERROR
  }
  EXPECT_TRUE(c.data(5).empty());
  EXPECT_EQ(status_of(curl(false, s.port(), "/healthz")), "2 200");
}

TEST_F(H2, OversizedHeadersAreRefused) {
  server_process s({});
  std::string const big(20000, 'a');
  command_result r = curl(false, s.port(), "/healthz", {"-H", "X-Big: " + big});
  EXPECT_EQ(status_of(r), "2 431") << r.err;
  // Past HPACK's own bounds (one field over 64 KiB, in CONTINUATION frames): the connection
  // ends, the server does not.
  raw_h2 c(s.port());
  std::string block = request_block("/healthz", {{"x-huge", std::string(70000, 'b')}});
  std::string frames = frame_bytes(headers_frame, end_stream, 1, block.substr(0, 16384));
  for (std::size_t at = 16384; at < block.size(); at += 16384) {
    bool const last = at + 16384 >= block.size();
    frames += frame_bytes(9 /* CONTINUATION */, last ? end_headers : 0, 1, block.substr(at, 16384));
  }
  c.send(frames);
  EXPECT_TRUE(c.until([](h2_frame const& f) { return f.type == goaway_frame; }, deadline()) ||
              c.closed());
  EXPECT_EQ(status_of(curl(false, s.port(), "/healthz")), "2 200");
}

TEST_F(H2, JunkFramesEndTheConnectionNotTheServer) {
  server_process s({});
  for (std::string junk : {frame_bytes(data_frame, 0, 0, "data on stream 0"),
                           frame_bytes(settings_frame, 0, 0, "12345"),
                           std::string("\xff\xff\xff\x00\x00\x00\x00\x00\x01", 9) + "garbage",
                           frame_bytes(headers_frame, end_headers, 2, "\xff\xff\xff")}) {
    raw_h2 c(s.port());
    c.send(junk);
    auto goaway = c.until([](h2_frame const& f) { return f.type == goaway_frame; }, deadline());
    EXPECT_TRUE(goaway || c.closed());
    if (goaway) {
      EXPECT_NE(goaway->u32(4), 0u);  // an error code, not NO_ERROR
    }
  }
  EXPECT_EQ(status_of(curl(false, s.port(), "/healthz")), "2 200");
}

}  // namespace
}  // namespace sse::serve::test
