// blast_server: the far end of the consumption benchmark. It answers every GET with one pre-built
// text/event-stream corpus, written as fast as the client reads it, then closes the connection, so
// what is measured is the client alone (parsing, printing, syscalls), not the server.
//
// POSIX sockets, one thread, one connection at a time, loopback only: the benchmark runs one client
// at a time, and anything fancier would only add noise to the measurement.
//
//   blast_server [--port N] [--events N | --bytes N]     serve /tiny, /typical, /large
//   blast_server --dump CORPUS [--events N | --bytes N]  write that corpus to stdout and exit
//
// Corpora (the three shapes):
//   tiny     "data: x\n\n" repeated
//   typical  "id: N\nevent: update\ndata: <200 bytes of JSON-like ASCII>\n\n"
//   large    "data: <64 KiB of ASCII>\n\n"
// By default each is the largest whole number of events that fits in 100 MB (--bytes);
// --events N makes each exactly N events (the smoke test uses this to know the answer).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace {

constexpr std::size_t default_bytes = 100'000'000;
constexpr std::size_t write_piece = std::size_t{1} << 20;  // 1 MiB per send()
constexpr std::size_t typical_data_size = 200;
constexpr std::size_t large_data_size = std::size_t{64} << 10;
constexpr std::size_t max_request_size = 64 << 10;

struct options {
  std::uint16_t port = 0;
  std::optional<std::size_t> events;  // exact event count per corpus
  std::size_t bytes = default_bytes;  // otherwise: whole events up to this size
  std::string dump;                   // --dump CORPUS
};

[[noreturn]] void usage_error(std::string const& what) {
  std::fprintf(stderr, "blast_server: error: %s\n", what.c_str());
  std::fprintf(stderr,
               "usage: blast_server [--port N] [--events N | --bytes N] [--dump tiny|typical|large]\n");
  std::exit(2);
}

std::size_t parse_size(char const* text, char const* option) {
  char* end = nullptr;
  errno = 0;
  unsigned long long const value = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-') {
    usage_error(std::string(option) + ": not a non-negative integer: " + text);
  }
  return static_cast<std::size_t>(value);
}

options parse_options(int argc, char** argv) {
  options opts;
  for (int i = 1; i < argc; ++i) {
    std::string_view const arg = argv[i];
    auto value = [&]() -> char const* {
      if (i + 1 >= argc) {
        usage_error(std::string(arg) + " needs a value");
      }
      return argv[++i];
    };
    if (arg == "--port") {
      std::size_t const port = parse_size(value(), "--port");
      if (port > 65535) {
        usage_error("--port: out of range");
      }
      opts.port = static_cast<std::uint16_t>(port);
    } else if (arg == "--events") {
      opts.events = parse_size(value(), "--events");
    } else if (arg == "--bytes") {
      opts.bytes = parse_size(value(), "--bytes");
    } else if (arg == "--dump") {
      opts.dump = value();
    } else if (arg == "--help" || arg == "-h") {
      std::printf("usage: blast_server [--port N] [--events N | --bytes N] [--dump tiny|typical|large]\n");
      std::exit(0);
    } else {
      usage_error("unknown argument: " + std::string(arg));
    }
  }
  return opts;
}

// The text every data field is cut from: printable ASCII, no newlines, nothing that needs more than
// the ordinary JSON escaping a real payload has.
constexpr std::string_view filler =
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut "
    "labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco. ";

void append_filler(std::string& out, std::size_t count) {
  while (count > 0) {
    std::size_t const take = count < filler.size() ? count : filler.size();
    out.append(filler.data(), take);
    count -= take;
  }
}

// Appends event number `seq` (1-based) of the corpus to `out`.
void append_event(std::string& out, std::string_view corpus, std::size_t seq) {
  if (corpus == "tiny") {
    out += "data: x\n\n";
  } else if (corpus == "typical") {
    // Typical streams carry JSON, so the data has quotes a JSON printer must escape.
    std::string const seq_text = std::to_string(seq);
    out += "id: ";
    out += seq_text;
    out += "\nevent: update\ndata: ";
    std::size_t const start = out.size();
    out += "{\"seq\":";
    out += seq_text;
    out += ",\"kind\":\"update\",\"text\":\"";
    std::size_t const used = out.size() - start + 2;  // + the closing "}
    append_filler(out, typical_data_size > used ? typical_data_size - used : 0);
    out += "\"}\n\n";
  } else {
    out += "data: ";
    std::string const seq_text = std::to_string(seq) + ' ';
    out += seq_text;
    append_filler(out, large_data_size - seq_text.size());
    out += "\n\n";
  }
}

bool is_corpus(std::string_view name) {
  return name == "tiny" || name == "typical" || name == "large";
}

struct corpus {
  std::string name;
  std::string bytes;
  std::size_t events = 0;
};

corpus build_corpus(std::string_view name, options const& opts) {
  corpus result;
  result.name = std::string(name);
  std::string scratch;
  if (opts.events) {
    for (std::size_t seq = 1; seq <= *opts.events; ++seq) {
      append_event(result.bytes, name, seq);
    }
    result.events = *opts.events;
    return result;
  }
  // Every event of a corpus has (nearly) the same size; reserve once from the first one.
  append_event(scratch, name, 1);
  result.bytes.reserve(opts.bytes + scratch.size());
  for (std::size_t seq = 1;; ++seq) {
    std::size_t const before = result.bytes.size();
    append_event(result.bytes, name, seq);
    if (result.bytes.size() > opts.bytes && seq > 1) {
      result.bytes.resize(before);  // the last whole event that fits
      break;
    }
    result.events = seq;
  }
  return result;
}

bool send_all(int fd, char const* data, std::size_t size) {
  while (size > 0) {
    std::size_t const piece = size < write_piece ? size : write_piece;
    ssize_t const sent = ::send(fd, data, piece, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    data += sent;
    size -= static_cast<std::size_t>(sent);
  }
  return true;
}

// Reads up to the end of the request head; returns the request line, or nothing on a bad request.
std::optional<std::string> read_request_line(int fd) {
  std::string head;
  char buffer[4096];
  while (head.find("\r\n\r\n") == std::string::npos) {
    if (head.size() > max_request_size) {
      return std::nullopt;
    }
    ssize_t const got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      return std::nullopt;
    }
    head.append(buffer, static_cast<std::size_t>(got));
  }
  return head.substr(0, head.find("\r\n"));
}

void respond_plain(int fd, char const* status) {
  std::string const response = std::string("HTTP/1.1 ") + status +
                               "\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n"
                               "Connection: close\r\n\r\n";
  send_all(fd, response.data(), response.size());
}

void serve_connection(int fd, options const& opts, corpus& cached) {
  // A client that connects and says nothing must not wedge a single-threaded server.
  timeval const timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);

  std::optional<std::string> const line = read_request_line(fd);
  if (!line) {
    respond_plain(fd, "400 Bad Request");
    return;
  }
  // "GET /typical?x=1 HTTP/1.1" → method "GET", name "typical"
  std::string_view request = *line;
  std::size_t const method_end = request.find(' ');
  std::string_view const method = request.substr(0, method_end);
  std::string_view target =
      method_end == std::string_view::npos ? std::string_view{} : request.substr(method_end + 1);
  target = target.substr(0, target.find(' '));
  target = target.substr(0, target.find('?'));
  std::string_view const name = target.empty() ? target : target.substr(1);

  if (method != "GET" && method != "HEAD") {
    respond_plain(fd, "405 Method Not Allowed");
    return;
  }
  if (!is_corpus(name)) {
    respond_plain(fd, "404 Not Found");
    return;
  }
  if (method == "GET" && cached.name != name) {
    cached = corpus{};  // free the old one first: one 100 MB corpus in memory at a time
    cached = build_corpus(name, opts);
  }

  // No Content-Length: the stream is delimited by the close, as a live event stream is.
  static constexpr std::string_view head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
      "Connection: close\r\n\r\n";
  bool complete = send_all(fd, head.data(), head.size());
  if (complete && method == "GET") {
    complete = send_all(fd, cached.bytes.data(), cached.bytes.size());
  }
  ::shutdown(fd, SHUT_WR);
  if (method == "HEAD") {
    std::fprintf(stderr, "blast_server: HEAD %s: headers only\n", std::string(target).c_str());
    return;
  }
  std::fprintf(stderr, "blast_server: GET %s: %zu events, %zu bytes%s\n",
               std::string(target).c_str(), cached.events, cached.bytes.size(),
               complete ? "" : " (client went away early)");
}

int dump(options const& opts) {
  if (!is_corpus(opts.dump)) {
    usage_error("--dump: unknown corpus: " + opts.dump);
  }
  corpus const built = build_corpus(opts.dump, opts);
  char const* data = built.bytes.data();
  std::size_t size = built.bytes.size();
  while (size > 0) {
    ssize_t const written = ::write(STDOUT_FILENO, data, size < write_piece ? size : write_piece);
    if (written < 0 && errno == EINTR) {
      continue;
    }
    if (written <= 0) {
      std::perror("blast_server: error: writing the corpus");
      return 1;
    }
    data += written;
    size -= static_cast<std::size_t>(written);
  }
  std::fprintf(stderr, "corpus %s: %zu events, %zu bytes\n", built.name.c_str(), built.events,
               built.bytes.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  options const opts = parse_options(argc, argv);
  if (!opts.dump.empty()) {
    return dump(opts);
  }

  int const listener = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listener < 0) {
    std::perror("blast_server: error: socket");
    return 1;
  }
  int const yes = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(opts.port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener, reinterpret_cast<sockaddr const*>(&address), sizeof address) != 0 ||
      ::listen(listener, 16) != 0) {
    std::perror("blast_server: error: bind/listen");
    return 1;
  }
  socklen_t length = sizeof address;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  std::fprintf(stderr, "listening on http://127.0.0.1:%u/\n", unsigned{ntohs(address.sin_port)});

  corpus cached;
  for (;;) {
    int const fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) {
        continue;
      }
      std::perror("blast_server: error: accept");
      return 1;
    }
    serve_connection(fd, opts, cached);
    ::close(fd);
  }
}
