// fanout-loadgen: the load generator of the fan-out benchmark (scripts/bench-fanout.sh).
//
// One thread, one epoll loop. It opens --clients text/event-stream connections (spread over
// --topics topics: client i follows topic i mod T), waits until every one has its response head,
// then publishes timestamped events itself: lines into a pipe or FIFO that feeds a server's stdin
// (plain, or JSON objects with a "topic"), or HTTP POSTs over one keep-alive connection. It decodes
// every stream, checks that each client got every event of its topic, in order, once, and reports
// the delivered events/s, the latency percentiles, the publish requests/s, its own CPU share and
// (given --server-pid) the server's RSS and CPU time.
//
// Publishing is paced (--rate: open loop, events are sent when due whatever the clients do) or a
// closed loop (at most --window events ahead of the slowest client, at most --inflight POSTs
// awaiting their answer).
//
// An event's data is "SEQ SEND_NS PAD": SEQ counts from 1 in each topic, SEND_NS is
// CLOCK_MONOTONIC (one clock for every process on the machine) taken when the publisher hands the
// event over.
//
// --tls: the streams are HTTP/1.1 over TLS 1.3 (OpenSSL, ALPN http/1.1), handshaking inside the
// same loop; publishing stays plaintext (a pipe, or a publisher endpoint on a plain port).
#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cinttypes>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <sse/event.hpp>
#include <sse/parser.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "stream_scan.hpp"

namespace {

using nanoseconds = std::int64_t;
using fanout::chunked_decoder;
using fanout::event_scanner;
using fanout::latency_histogram;
using fanout::scanned_event;

constexpr nanoseconds ns_per_s = 1'000'000'000;

nanoseconds now_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return nanoseconds{ts.tv_sec} * ns_per_s + nanoseconds{ts.tv_nsec};
}

nanoseconds seconds_to_ns(double s) {
  return static_cast<nanoseconds>(s * 1e9);
}

[[noreturn]] void die(char const* what) {
  std::fprintf(stderr, "fanout-loadgen: error: %s\n", what);
  std::exit(2);
}

[[noreturn]] void die_errno(char const* what) {
  std::fprintf(stderr, "fanout-loadgen: error: %s: %s\n", what, std::strerror(errno));
  std::exit(2);
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    auto a = static_cast<unsigned char>(text[i]);
    auto b = static_cast<unsigned char>(prefix[i]);
    if (a >= 'A' && a <= 'Z') a = static_cast<unsigned char>(a - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

// The value of header `name` (lower case, with the colon) in a response head, or nullopt.
std::optional<std::string_view> header_value(std::string_view head, std::string_view name) {
  std::size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    std::size_t start = pos + 2;
    std::size_t end = head.find("\r\n", start);
    if (end == std::string_view::npos) end = head.size();
    std::string_view line = head.substr(start, end - start);
    if (iequals_prefix(line, name)) {
      std::string_view value = line.substr(name.size());
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.remove_suffix(1);
      return value;
    }
    pos = end;
  }
  return std::nullopt;
}

int status_code(std::string_view head) {
  // "HTTP/1.1 200 OK"
  if (head.size() < 12 || head.substr(0, 5) != "HTTP/") return -1;
  std::size_t sp = head.find(' ');
  if (sp == std::string_view::npos || sp + 4 > head.size()) return -1;
  int code = 0;
  auto [p, ec] = std::from_chars(head.data() + sp + 1, head.data() + sp + 4, code);
  if (ec != std::errc{} || p != head.data() + sp + 4) return -1;
  return code;
}

bool is_chunked(std::string_view head) {
  auto te = header_value(head, "transfer-encoding:");
  return te && te->find("hunked") != std::string_view::npos;
}

// ---------------------------------------------------------------------------------------------
// A URL of the only form we need: http[s]://IPV4-OR-localhost:PORT/TARGET, where TARGET may hold
// "{topic}", replaced by each topic's name.

constexpr std::string_view topic_placeholder = "{topic}";

struct http_url {
  sockaddr_in address{};
  bool https = false;
  std::string host;       // as written (for TLS: the name or address the certificate must match)
  std::string authority;  // host:port, for the Host header
  std::string target;     // /path?query, perhaps with {topic}

  bool has_topic() const { return target.find(topic_placeholder) != std::string::npos; }
  std::string target_for(std::string_view topic) const {
    std::string t = target;
    for (std::size_t at = t.find(topic_placeholder); at != std::string::npos;
         at = t.find(topic_placeholder, at + topic.size())) {
      t.replace(at, topic_placeholder.size(), topic);
    }
    return t;
  }
};

http_url parse_url(std::string_view text) {
  constexpr std::string_view scheme = "http://";
  constexpr std::string_view secure_scheme = "https://";
  http_url u;
  if (text.substr(0, scheme.size()) == scheme) {
    text.remove_prefix(scheme.size());
  } else if (text.substr(0, secure_scheme.size()) == secure_scheme) {
    text.remove_prefix(secure_scheme.size());
    u.https = true;
  } else {
    die("--url/--publish-url must start with http:// or https://");
  }
  std::size_t slash = text.find('/');
  std::string_view authority = text.substr(0, slash);
  u.authority = std::string(authority);
  u.target = slash == std::string_view::npos ? "/" : std::string(text.substr(slash));
  std::size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos) die("the URL needs an explicit port");
  u.host = std::string(authority.substr(0, colon));
  std::string host = u.host == "localhost" ? std::string("127.0.0.1") : u.host;
  unsigned port = 0;
  auto port_text = authority.substr(colon + 1);
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || p != port_text.data() + port_text.size() || port == 0 || port > 65535) {
    die("bad port in URL");
  }
  u.address.sin_family = AF_INET;
  u.address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &u.address.sin_addr) != 1) {
    die("the URL's host must be an IPv4 address or localhost");
  }
  return u;
}

int open_connection(http_url const& u) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // Closing with a reset leaves no TIME_WAIT behind: ten thousand clients per run, several runs
  // a minute, would otherwise exhaust the ephemeral ports.
  linger lg{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  if (connect(fd, reinterpret_cast<sockaddr const*>(&u.address), sizeof u.address) != 0 &&
      errno != EINPROGRESS) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

// The topic names: t0, t1, ...
std::string topic_name(std::size_t k) {
  return "t" + std::to_string(k);
}

// ---------------------------------------------------------------------------------------------
// Settings

enum class publish_kind { none, pipe, http };
enum class line_format { lines, json };

struct settings {
  std::vector<std::string> urls;  // client i streams from urls[i mod U] (replicas of one stream)
  std::size_t clients = 100;
  std::size_t topics = 1;         // client i follows topic i mod topics; events go to random topics
  double connect_rate = 0;        // connections started per second; 0 = as fast as allowed
  std::size_t max_pending = 256;  // connections without a response head at once
  publish_kind publisher = publish_kind::none;
  std::string publish_file;  // a FIFO or file to write event lines to
  int publish_fd = -1;       // or an inherited descriptor
  line_format format = line_format::lines;
  std::string publish_url;    // or POST to this URL (nchan's publisher, sse-serve's POST)
  std::string publish_token;  // from --publish-token-file: "Authorization: Bearer TOKEN"
  double rate = 0;            // events/s; 0 = closed loop, bounded by --window and --inflight
  std::size_t burst = 1;      // events handed over together
  std::size_t window =
      64;  // closed loop: events published ahead of the slowest client (0: no bound)
  std::size_t inflight =
      0;  // POSTs awaiting their answer (0: --window in a closed loop, else no bound)
  std::optional<std::uint64_t> events;  // publish (or, without a publisher, wait for) N events
  double duration = 0;                  // or publish for this long
  std::size_t pad = 32;                 // padding bytes in each event's data
  double settle = 0.3;                  // seconds between "all connected" and the first publish
  double idle = 0;                 // seconds to hold the idle clients before sampling the server
  double drain = 10;               // seconds to wait for stragglers after the last publish
  double timeout = 120;            // the whole run's bound
  std::vector<long> server_pids;   // sampled together: RSS and CPU time are their sums
  std::string last_event_id;       // sent as Last-Event-ID by every client (a resume)
  std::uint64_t resume_after = 0;  // with it: the SEQ of that event, so streams start at SEQ + 1
  bool full_parser = false;        // --parser libsse: the WHATWG parser instead of the scanner
  bool tls = false;                // --tls (or https:// URLs): the streams speak TLS 1.3
  std::string cacert;              // --cacert: trust this CA (PEM) and check the server's name
  bool insecure = false;           // --insecure: accept any certificate
  std::uint64_t seed = 1;
  bool json = false;
};

void usage(FILE* out) {
  std::fputs(
      "usage: fanout-loadgen --url http://127.0.0.1:PORT/PATH [--url ...] [options]\n"
      "  --url URL            a stream to open; given several times, client i uses the (i mod "
      "U)th\n"
      "                       (replicas serving one stream); https:// implies --tls\n"
      "  --tls                the streams are HTTP/1.1 over TLS 1.3 (ALPN http/1.1); publishing "
      "stays\n"
      "                       plaintext\n"
      "  --cacert FILE        with --tls: trust the CA certificates in FILE (PEM) and check the "
      "host\n"
      "  --insecure           with --tls: accept any certificate (one of the two is required)\n"
      "       fanout-loadgen --free-port   (prints a free TCP port on 127.0.0.1)\n"
      "  --clients N          streaming clients to open (default 100; 0 with a publisher)\n"
      "  --topics T           client i follows topic t(i mod T); \"{topic}\" in the URLs is "
      "replaced\n"
      "                       by the topic's name; each event goes to a random topic (default 1)\n"
      "  --connect-rate R     connections started per second (default: unlimited)\n"
      "  --max-pending N      connections awaiting their response head at once (default 256)\n"
      "  --publish-file PATH  write event lines (\"SEQ NS PAD\\n\") to this FIFO/file (sse-serve "
      "stdin)\n"
      "  --publish-fd FD      the same, to an inherited descriptor\n"
      "  --publish-format F   lines (default) or json ({\"topic\": T, \"data\": \"SEQ NS PAD\"} "
      "per line)\n"
      "  --publish-url URL    POST each event (text/plain) to this URL over one keep-alive "
      "connection\n"
      "  --publish-token-file FILE  send \"Authorization: Bearer\" with the token in FILE\n"
      "  --rate R             events per second, open loop (default 0: closed loop)\n"
      "  --burst N            events handed over together (default 1)\n"
      "  --window N           closed loop: events ahead of the slowest client (default 64; 0: no "
      "bound)\n"
      "  --inflight N         POSTs awaiting their answer (default: --window in a closed loop, "
      "else no bound)\n"
      "  --events N           events to publish (or, without a publisher, to wait for)\n"
      "  --duration S         or publish for S seconds\n"
      "  --pad BYTES          padding in each event's data (default 32)\n"
      "  --settle S           pause after all clients are connected (default 0.3)\n"
      "  --idle S             hold the connected clients S seconds before sampling the server\n"
      "  --drain S            wait for stragglers after the last publish (default 10)\n"
      "  --timeout S          bound on the whole run (default 120)\n"
      "  --server-pid PID[,PID...]  sample these processes' RSS and CPU time from /proc (summed)\n"
      "  --last-event-id ID   every client resumes: sends Last-Event-ID: ID\n"
      "  --resume-after SEQ   the SEQ of the event with that id: each stream must start at SEQ + "
      "1\n"
      "  --parser P           scan (default: reads only each event's data line) or libsse (the "
      "full parser)\n"
      "  --seed N             seed of the random topic choice (default 1)\n"
      "  --json               one JSON object on stdout instead of text\n"
      "exit status: 0 when every connected client got every event, 1 otherwise, 2 on usage "
      "errors\n",
      out);
}

double parse_double(char const* text, char const* what) {
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || v < 0) {
    std::fprintf(stderr, "fanout-loadgen: error: bad %s: %s\n", what, text);
    std::exit(2);
  }
  return v;
}

std::uint64_t parse_count(char const* text, char const* what) {
  std::uint64_t v = 0;
  std::string_view s(text);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) {
    std::fprintf(stderr, "fanout-loadgen: error: bad %s: %s\n", what, text);
    std::exit(2);
  }
  return v;
}

// The first non-blank line of FILE (a token kept off the command line, where ps would show it).
std::string read_token(char const* path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "fanout-loadgen: error: cannot read %s\n", path);
    std::exit(2);
  }
  std::string line;
  while (std::getline(in, line)) {
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    auto last = line.find_last_not_of(" \t\r");
    return line.substr(first, last - first + 1);
  }
  std::fprintf(stderr, "fanout-loadgen: error: no token in %s\n", path);
  std::exit(2);
}

settings parse_settings(int argc, char** argv) {
  enum : int {
    o_url = 1000,
    o_clients,
    o_topics,
    o_connect_rate,
    o_max_pending,
    o_publish_file,
    o_publish_fd,
    o_publish_format,
    o_publish_url,
    o_publish_token_file,
    o_rate,
    o_burst,
    o_window,
    o_inflight,
    o_events,
    o_duration,
    o_pad,
    o_settle,
    o_idle,
    o_drain,
    o_timeout,
    o_server_pid,
    o_last_event_id,
    o_resume_after,
    o_parser,
    o_tls,
    o_cacert,
    o_insecure,
    o_seed,
    o_json,
    o_help
  };
  static option const longopts[] = {
      {"url", required_argument, nullptr, o_url},
      {"clients", required_argument, nullptr, o_clients},
      {"topics", required_argument, nullptr, o_topics},
      {"connect-rate", required_argument, nullptr, o_connect_rate},
      {"max-pending", required_argument, nullptr, o_max_pending},
      {"publish-file", required_argument, nullptr, o_publish_file},
      {"publish-fd", required_argument, nullptr, o_publish_fd},
      {"publish-format", required_argument, nullptr, o_publish_format},
      {"publish-url", required_argument, nullptr, o_publish_url},
      {"publish-token-file", required_argument, nullptr, o_publish_token_file},
      {"rate", required_argument, nullptr, o_rate},
      {"burst", required_argument, nullptr, o_burst},
      {"window", required_argument, nullptr, o_window},
      {"inflight", required_argument, nullptr, o_inflight},
      {"events", required_argument, nullptr, o_events},
      {"duration", required_argument, nullptr, o_duration},
      {"pad", required_argument, nullptr, o_pad},
      {"settle", required_argument, nullptr, o_settle},
      {"idle", required_argument, nullptr, o_idle},
      {"drain", required_argument, nullptr, o_drain},
      {"timeout", required_argument, nullptr, o_timeout},
      {"server-pid", required_argument, nullptr, o_server_pid},
      {"last-event-id", required_argument, nullptr, o_last_event_id},
      {"resume-after", required_argument, nullptr, o_resume_after},
      {"parser", required_argument, nullptr, o_parser},
      {"tls", no_argument, nullptr, o_tls},
      {"cacert", required_argument, nullptr, o_cacert},
      {"insecure", no_argument, nullptr, o_insecure},
      {"seed", required_argument, nullptr, o_seed},
      {"json", no_argument, nullptr, o_json},
      {"help", no_argument, nullptr, o_help},
      {nullptr, 0, nullptr, 0},
  };
  settings s;
  int c = 0;
  while ((c = getopt_long(argc, argv, "", longopts, nullptr)) != -1) {
    switch (c) {
      case o_url:
        s.urls.emplace_back(optarg);
        break;
      case o_clients:
        s.clients = parse_count(optarg, "--clients");
        break;
      case o_topics:
        s.topics = parse_count(optarg, "--topics");
        break;
      case o_connect_rate:
        s.connect_rate = parse_double(optarg, "--connect-rate");
        break;
      case o_max_pending:
        s.max_pending = parse_count(optarg, "--max-pending");
        break;
      case o_publish_file:
        s.publisher = publish_kind::pipe;
        s.publish_file = optarg;
        break;
      case o_publish_fd:
        s.publisher = publish_kind::pipe;
        s.publish_fd = static_cast<int>(parse_count(optarg, "--publish-fd"));
        break;
      case o_publish_format:
        if (std::string_view(optarg) == "lines") {
          s.format = line_format::lines;
        } else if (std::string_view(optarg) == "json") {
          s.format = line_format::json;
        } else {
          die("--publish-format must be lines or json");
        }
        break;
      case o_publish_url:
        s.publisher = publish_kind::http;
        s.publish_url = optarg;
        break;
      case o_publish_token_file:
        s.publish_token = read_token(optarg);
        break;
      case o_rate:
        s.rate = parse_double(optarg, "--rate");
        break;
      case o_burst:
        s.burst = parse_count(optarg, "--burst");
        break;
      case o_window:
        s.window = parse_count(optarg, "--window");
        break;
      case o_inflight:
        s.inflight = parse_count(optarg, "--inflight");
        break;
      case o_events:
        s.events = parse_count(optarg, "--events");
        break;
      case o_duration:
        s.duration = parse_double(optarg, "--duration");
        break;
      case o_pad:
        s.pad = parse_count(optarg, "--pad");
        break;
      case o_settle:
        s.settle = parse_double(optarg, "--settle");
        break;
      case o_idle:
        s.idle = parse_double(optarg, "--idle");
        break;
      case o_drain:
        s.drain = parse_double(optarg, "--drain");
        break;
      case o_timeout:
        s.timeout = parse_double(optarg, "--timeout");
        break;
      case o_server_pid:
        for (std::string_view rest(optarg); !rest.empty();) {
          std::size_t comma = rest.find(',');
          std::string one(rest.substr(0, comma));
          s.server_pids.push_back(static_cast<long>(parse_count(one.c_str(), "--server-pid")));
          rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        }
        break;
      case o_last_event_id:
        s.last_event_id = optarg;
        // The header is built by concatenation: a line break would forge another header.
        if (s.last_event_id.find_first_of("\r\n") != std::string::npos) {
          die("--last-event-id must not hold a line break");
        }
        break;
      case o_resume_after:
        s.resume_after = parse_count(optarg, "--resume-after");
        break;
      case o_parser:
        if (std::string_view(optarg) == "libsse") {
          s.full_parser = true;
        } else if (std::string_view(optarg) != "scan") {
          die("--parser must be scan or libsse");
        }
        break;
      case o_tls:
        s.tls = true;
        break;
      case o_cacert:
        s.cacert = optarg;
        break;
      case o_insecure:
        s.insecure = true;
        break;
      case o_seed:
        s.seed = parse_count(optarg, "--seed");
        break;
      case o_json:
        s.json = true;
        break;
      case o_help:
        usage(stdout);
        std::exit(0);
      default:
        usage(stderr);
        std::exit(2);
    }
  }
  if (optind != argc) die("unexpected arguments (see --help)");
  if (s.urls.empty()) die("--url is required");
  for (auto const& u : s.urls) {
    if (parse_url(u).https) s.tls = true;  // and with --tls, http:// ones speak TLS too
  }
  if (s.tls) {
    if (s.cacert.empty() == !s.insecure)
      die("--tls needs exactly one of --cacert FILE and --insecure");
  } else if (!s.cacert.empty() || s.insecure) {
    die("--cacert and --insecure need --tls (or https:// URLs)");
  }
  if (s.publisher == publish_kind::http && parse_url(s.publish_url).https) {
    die("--publish-url must be plaintext http:// (only the streams speak TLS)");
  }
  if (s.clients == 0 && s.publisher == publish_kind::none) die("--clients 0 needs a publisher");
  if (s.topics == 0) die("--topics must be at least 1");
  if (s.burst == 0) die("--burst must be at least 1");
  if (s.max_pending == 0) die("--max-pending must be at least 1");
  if (s.window != 0 && s.window < s.burst) s.window = s.burst;
  if (s.inflight != 0 && s.inflight < s.burst) s.inflight = s.burst;
  if (s.publisher != publish_kind::none && !s.events && s.duration <= 0) {
    die("a publisher needs --events N or --duration S");
  }
  if (s.topics > 1) {
    for (auto const& u : s.urls) {
      if (!parse_url(u).has_topic()) die("--topics needs {topic} in every --url");
    }
    if (s.publisher == publish_kind::http && !parse_url(s.publish_url).has_topic()) {
      die("--topics needs {topic} in --publish-url");
    }
    if (s.publisher == publish_kind::pipe && s.format != line_format::json) {
      die("--topics with a pipe publisher needs --publish-format json");
    }
    if (s.rate == 0 && s.window != 0) die("--topics in a closed loop needs --window 0");
  }
  if (s.publisher != publish_kind::none && s.rate == 0 && s.window == 0 &&
      !(s.publisher == publish_kind::http && s.inflight != 0)) {
    die("a closed loop needs --window N (or, publishing over HTTP, --inflight N)");
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// The server's memory and CPU, from /proc.

struct server_sample {
  bool ok = false;
  std::uint64_t rss_kib = 0;
  double cpu_s = 0;  // utime + stime
  double user_s = 0;
  nanoseconds at = now_ns();
  double own_cpu_s = 0;  // the load generator's own CPU time, for telling who was the bottleneck
};

double own_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](timeval tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

server_sample sample_one(long pid) {
  server_sample out;
  if (pid <= 0) return out;
  std::string base = "/proc/" + std::to_string(pid);
  std::ifstream status(base + "/status");
  std::string line;
  bool rss_found = false;
  while (std::getline(status, line)) {
    if (line.compare(0, 6, "VmRSS:") == 0) {
      out.rss_kib = std::strtoull(line.c_str() + 6, nullptr, 10);
      rss_found = true;
      break;
    }
  }
  std::ifstream stat(base + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces) start after the last ')'.
  std::size_t paren = text.rfind(')');
  if (!rss_found || paren == std::string::npos) return out;
  char const* p = text.c_str() + paren + 2;  // field 3, the state
  // utime and stime are fields 14 and 15; p is at field 3.
  for (int field = 3; field < 14 && *p; ++field) {
    p = std::strchr(p, ' ');
    if (!p) return out;
    ++p;
  }
  char* end = nullptr;
  unsigned long long utime = std::strtoull(p, &end, 10);
  unsigned long long stime = std::strtoull(end, nullptr, 10);
  double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  out.cpu_s = static_cast<double>(utime + stime) / ticks;
  out.user_s = static_cast<double>(utime) / ticks;
  out.ok = true;
  return out;
}

// The sum over the servers (the replicas of a stream count as one server).
server_sample sample_server(std::vector<long> const& pids) {
  server_sample out;
  out.own_cpu_s = own_cpu_seconds();
  out.ok = !pids.empty();
  for (long pid : pids) {
    server_sample one = sample_one(pid);
    out.ok = out.ok && one.ok;
    out.rss_kib += one.rss_kib;
    out.cpu_s += one.cpu_s;
    out.user_s += one.user_s;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The run

class load_run;

// One streaming client. It is the full parser's handler (--parser libsse), so it never moves
// (held by unique_ptr).
class client final : public sse::handler {
 public:
  // handshake: TLS only, from the TCP connect until the request is written.
  enum class state : unsigned char { idle, connecting, handshake, head, body, closed };

  client(load_run& run, std::size_t index, std::uint32_t topic, std::uint32_t url,
         std::uint64_t first_seq)
      : run_(run), index_(index), topic_(topic), url_(url), last_seq_(first_seq) {}

  sse::action on_event(sse::event_view const& ev) override;

  load_run& run_;
  std::size_t index_;
  std::uint32_t topic_;
  std::uint32_t url_;  // which of --url
  int fd_ = -1;
  state state_ = state::idle;
  std::uint32_t armed_ = 0;  // the epoll events asked for
  SSL* ssl_ = nullptr;       // --tls only
  bool chunked_ = false;
  bool streamed_ = false;  // got its 200 head
  std::string head_;
  chunked_decoder chunks_;
  event_scanner scanner_;
  std::unique_ptr<sse::parser> parser_;  // --parser libsse only
  std::uint64_t events_ = 0;
  std::uint64_t last_seq_;
  std::uint64_t order_errors_ = 0;
  std::uint64_t malformed_ = 0;
  nanoseconds received_at_ = 0;  // the time of the read being decoded
};

struct result {
  std::uint64_t expected = 0;
  std::uint64_t events_min = 0;
  std::uint64_t events_max = 0;
  std::uint64_t order_errors = 0;
  std::uint64_t malformed = 0;
  std::uint64_t missed = 0;  // events that some client should have had and did not get
  bool all_delivered = false;
  bool timed_out = false;
  double seconds = 0;
  double delivered_per_s = 0;
  double offered_per_s = 0;  // deliveries per second the publishing asked for
  double publish_per_s = 0;  // POSTs answered per second
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  double connect_s = 0;  // from the start until every client had its response head (or gave up)
  double run_s = 0;      // from the start until every client had every event (or the drain ended)
};

class load_run {
 public:
  explicit load_run(settings s);
  ~load_run();
  int run();

  void on_client_event(client& c, scanned_event const& ev);

 private:
  static constexpr std::uint64_t publisher_tag = ~std::uint64_t{0};

  void connect_some(nanoseconds now);
  void poll(int timeout_ms);
  void on_client_ready(client& c, std::uint32_t events);
  void read_client(client& c);
  bool on_bytes(client& c, std::string_view bytes);
  void arm(client& c, std::uint32_t events);
  void start_tls(client& c);
  void tls_step(client& c);
  void read_tls(client& c);
  void tls_failed(client& c, int ret, char const* what);
  void finish_head(client& c, std::size_t head_end);
  void feed_body(client& c, std::string_view bytes);
  void close_client(client& c, bool failed);
  void count_move(std::uint64_t from, std::uint64_t to);
  void count_remove(std::uint64_t at);
  std::uint64_t slowest_live() const noexcept;
  std::size_t pick_topic() noexcept;

  void open_publisher();
  void publish_burst(std::size_t n, nanoseconds due);
  void flush_publisher();
  void read_publisher();
  bool publishing_done(nanoseconds now) const;
  void maybe_publish(nanoseconds now);
  std::size_t inflight_limit() const noexcept;

  void report(result const& r, server_sample const& before, server_sample const& connected,
              server_sample const& after) const;

  settings s_;
  std::vector<http_url> urls_;
  std::vector<std::string> requests_;  // the GET of each (url, topic): [url * topics + topic]
  int epoll_ = -1;
  SSL_CTX* tls_ = nullptr;  // --tls only
  std::vector<std::unique_ptr<client>> clients_;
  std::vector<char> buffer_;

  nanoseconds connect_first_ = 0;
  std::size_t started_ = 0;    // connections attempted
  std::size_t pending_ = 0;    // connecting or awaiting the head
  std::size_t connected_ = 0;  // got a 200 head
  std::size_t failed_ = 0;     // could not connect, or a non-200 answer
  std::size_t lost_ = 0;       // closed by the server after connecting
  std::uint64_t framing_errors_ = 0;
  std::uint64_t tls_errors_ = 0;  // handshakes that failed, and TLS errors on a stream

  // count_at_[k]: live connected clients that have received exactly k events. min_live_ is the
  // smallest k with a client, so the closed loop knows how far the slowest client is behind (one
  // topic only: with several, clients' counts differ by design).
  std::vector<std::uint32_t> count_at_;
  std::uint64_t min_live_ = 0;
  std::size_t live_ = 0;
  // Per topic: live subscribers and events published. outstanding_ is the number of (live client,
  // event) pairs published and not yet received, so "everyone caught up" costs nothing to ask.
  std::vector<std::size_t> live_in_topic_;
  std::vector<std::uint64_t> published_to_;
  std::uint64_t outstanding_ = 0;
  std::uint64_t offered_ = 0;  // deliveries asked for: each event times its topic's live clients

  // Publishing.
  int pub_fd_ = -1;
  http_url pub_url_;
  std::vector<std::string> pub_heads_;  // per topic: the POST's head up to "Content-Length: "
  std::vector<std::string> topic_names_;
  std::string pub_out_;
  std::size_t pub_out_pos_ = 0;
  bool pub_waiting_writable_ = false;
  std::string pub_in_;
  std::uint64_t pub_requests_ = 0;
  std::uint64_t pub_responses_ = 0;
  std::uint64_t pub_errors_ = 0;
  int pub_first_error_ = 0;
  nanoseconds last_response_ = 0;
  std::uint64_t published_ = 0;
  nanoseconds first_publish_ = 0;
  nanoseconds last_publish_ = 0;
  nanoseconds publish_start_ = 0;
  nanoseconds publish_end_ = 0;  // duration mode: stop publishing here
  nanoseconds next_burst_at_ = 0;
  nanoseconds late_max_ = 0;  // paced: the most a burst went out after it was due
  std::uint64_t bursts_ = 0;
  std::uint64_t rng_;
  std::string pad_;

  // Delivery.
  std::uint64_t delivered_ = 0;
  nanoseconds last_delivery_ = 0;
  latency_histogram latency_;
};

sse::action client::on_event(sse::event_view const& ev) {
  // The same rules as the scanner: events of another type are not the benchmark's.
  if (ev.type != "message") return sse::action::proceed;
  run_.on_client_event(*this, fanout::parse_benchmark_data(ev.data));
  return sse::action::proceed;
}

load_run::load_run(settings s)
    : s_(std::move(s)), buffer_(std::size_t{1} << 18), rng_(s_.seed * 0x9E3779B97F4A7C15ull | 1) {
  for (std::size_t k = 0; k < s_.topics; ++k) topic_names_.push_back(topic_name(k));
  std::string resume;
  if (!s_.last_event_id.empty()) resume = "Last-Event-ID: " + s_.last_event_id + "\r\n";
  for (auto const& text : s_.urls) {
    http_url const& u = urls_.emplace_back(parse_url(text));
    for (std::size_t k = 0; k < s_.topics; ++k) {
      requests_.push_back(
          "GET " + u.target_for(topic_names_[k]) + " HTTP/1.1\r\nHost: " + u.authority +
          "\r\nAccept: text/event-stream\r\n" + resume + "Cache-Control: no-cache\r\n\r\n");
    }
  }
  live_in_topic_.assign(s_.topics, 0);
  published_to_.assign(s_.topics, 0);
  pad_.assign(s_.pad, 'x');
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) die_errno("epoll_create1");
  if (s_.tls) {
    tls_ = SSL_CTX_new(TLS_client_method());
    if (!tls_) die("SSL_CTX_new failed");
    SSL_CTX_set_min_proto_version(tls_, TLS1_3_VERSION);
    // Idle streams hold no record buffers (ten thousand of them would otherwise cost ~0.5 GB),
    // and read-ahead takes whatever the socket has in one read instead of a header, then a body.
    SSL_CTX_set_mode(tls_, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_read_ahead(tls_, 1);
    static unsigned char const alpn[] = "\x08http/1.1";
    if (SSL_CTX_set_alpn_protos(tls_, alpn, sizeof alpn - 1) != 0) die("cannot set ALPN");
    if (s_.insecure) {
      SSL_CTX_set_verify(tls_, SSL_VERIFY_NONE, nullptr);
    } else {
      if (SSL_CTX_load_verify_locations(tls_, s_.cacert.c_str(), nullptr) != 1) {
        std::fprintf(stderr, "fanout-loadgen: error: cannot load CA certificates from %s\n",
                     s_.cacert.c_str());
        std::exit(2);
      }
      SSL_CTX_set_verify(tls_, SSL_VERIFY_PEER, nullptr);
    }
  }
  clients_.reserve(s_.clients);
  for (std::size_t i = 0; i < s_.clients; ++i) {
    // Round robin over the URLs, and within each URL over the topics.
    std::size_t url = i % urls_.size();
    clients_.push_back(std::make_unique<client>(
        *this, i, static_cast<std::uint32_t>((i / urls_.size()) % s_.topics),
        static_cast<std::uint32_t>(url), s_.resume_after));
  }
  count_at_.assign(1, 0);
}

load_run::~load_run() {
  for (auto& c : clients_) {
    if (c->ssl_) SSL_free(c->ssl_);
    if (c->fd_ >= 0) close(c->fd_);
  }
  if (tls_) SSL_CTX_free(tls_);
  if (pub_fd_ >= 0 && s_.publish_fd < 0) close(pub_fd_);
  if (epoll_ >= 0) close(epoll_);
}

void load_run::count_move(std::uint64_t from, std::uint64_t to) {
  if (to >= count_at_.size()) count_at_.resize(static_cast<std::size_t>(to) + 1, 0);
  --count_at_[static_cast<std::size_t>(from)];
  ++count_at_[static_cast<std::size_t>(to)];
  while (live_ > 0 && min_live_ + 1 < count_at_.size() &&
         count_at_[static_cast<std::size_t>(min_live_)] == 0) {
    ++min_live_;
  }
}

void load_run::count_remove(std::uint64_t at) {
  --count_at_[static_cast<std::size_t>(at)];
  --live_;
  while (live_ > 0 && min_live_ + 1 < count_at_.size() &&
         count_at_[static_cast<std::size_t>(min_live_)] == 0) {
    ++min_live_;
  }
}

std::uint64_t load_run::slowest_live() const noexcept {
  return live_ == 0 ? published_ : min_live_;
}

std::size_t load_run::pick_topic() noexcept {
  if (s_.topics == 1) return 0;
  // xorshift64*: a fixed seed gives every server the same sequence of topics.
  rng_ ^= rng_ >> 12;
  rng_ ^= rng_ << 25;
  rng_ ^= rng_ >> 27;
  return static_cast<std::size_t>((rng_ * 0x2545F4914F6CDD1Dull) >> 32) % s_.topics;
}

void load_run::connect_some(nanoseconds now) {
  while (started_ < s_.clients && pending_ < s_.max_pending) {
    if (s_.connect_rate > 0) {
      auto allowed = static_cast<double>(now - connect_first_) / 1e9 * s_.connect_rate + 1;
      if (static_cast<double>(started_) >= allowed) break;
    }
    client& c = *clients_[started_++];
    c.fd_ = open_connection(urls_[c.url_]);
    if (c.fd_ < 0) {
      if (errno == EMFILE || errno == ENFILE) die_errno("socket (raise the descriptor limit)");
      ++failed_;
      c.state_ = client::state::closed;
      continue;
    }
    c.state_ = client::state::connecting;
    ++pending_;
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLIN;
    ev.data.u64 = c.index_;
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd_, &ev) != 0) die_errno("epoll_ctl");
    c.armed_ = ev.events;
  }
}

void load_run::close_client(client& c, bool failed) {
  if (c.state_ == client::state::closed) return;
  if (c.state_ == client::state::connecting || c.state_ == client::state::handshake ||
      c.state_ == client::state::head) {
    --pending_;
  }
  if (c.state_ == client::state::body) {
    count_remove(c.events_);
    --live_in_topic_[c.topic_];
    std::uint64_t owed = published_to_[c.topic_];
    outstanding_ -= owed > c.events_ ? owed - c.events_ : 0;
    ++lost_;
  }
  if (failed) ++failed_;
  c.state_ = client::state::closed;
  if (c.ssl_) {  // no close_notify: the socket is reset right after
    SSL_free(c.ssl_);
    c.ssl_ = nullptr;
  }
  if (c.fd_ >= 0) {
    epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd_, nullptr);
    close(c.fd_);
    c.fd_ = -1;
  }
  c.head_.clear();
  c.head_.shrink_to_fit();
}

void load_run::on_client_ready(client& c, std::uint32_t events) {
  if (c.state_ == client::state::connecting) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c.fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      close_client(c, true);
      return;
    }
    if (tls_) {
      start_tls(c);
      return;
    }
    // The request is far smaller than any socket buffer: one send carries it.
    std::string const& request = requests_[c.url_ * s_.topics + c.topic_];
    ssize_t n = send(c.fd_, request.data(), request.size(), MSG_NOSIGNAL);
    if (n != static_cast<ssize_t>(request.size())) {
      close_client(c, true);
      return;
    }
    c.state_ = client::state::head;
    arm(c, EPOLLIN);
    return;
  }
  if (c.state_ == client::state::handshake) {
    tls_step(c);
    return;
  }
  // A TLS stream may wait for writability to go on reading (OpenSSL's WANT_WRITE).
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP) || (c.ssl_ && (events & EPOLLOUT))) read_client(c);
}

void load_run::arm(client& c, std::uint32_t events) {
  if (c.armed_ == events) return;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = c.index_;
  epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd_, &ev);
  c.armed_ = events;
}

// -- TLS ----------------------------------------------------------------------------------------

void load_run::start_tls(client& c) {
  c.ssl_ = SSL_new(tls_);
  if (!c.ssl_ || SSL_set_fd(c.ssl_, c.fd_) != 1) die("SSL_new failed");
  http_url const& u = urls_[c.url_];
  if (u.host == "localhost") {
    // SNI carries names only (RFC 6066), never an address.
    // SSL_set_tlsext_host_name, without the macro's C cast.
    SSL_ctrl(c.ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(u.host.c_str()));
    if (!s_.insecure) SSL_set1_host(c.ssl_, u.host.c_str());
  } else if (!s_.insecure) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c.ssl_), u.host.c_str());
  }
  SSL_set_connect_state(c.ssl_);
  c.state_ = client::state::handshake;
  tls_step(c);
}

// Handshake, then write the request; on WANT_READ/WANT_WRITE, wait for the socket and come back.
void load_run::tls_step(client& c) {
  ERR_clear_error();
  int r = SSL_do_handshake(c.ssl_);
  if (r == 1) {
    std::string const& request = requests_[c.url_ * s_.topics + c.topic_];
    // No partial writes (the default mode): all of it, or WANT_*, to be retried with the same
    // bytes.
    r = SSL_write(c.ssl_, request.data(), static_cast<int>(request.size()));
    if (r > 0) {
      c.state_ = client::state::head;
      arm(c, EPOLLIN);
      return;
    }
  }
  int err = SSL_get_error(c.ssl_, r);
  if (err == SSL_ERROR_WANT_READ) {
    arm(c, EPOLLIN);
  } else if (err == SSL_ERROR_WANT_WRITE) {
    arm(c, EPOLLOUT);
  } else {
    tls_failed(c, r, "handshake");
  }
}

void load_run::tls_failed(client& c, int ret, char const* what) {
  if (tls_errors_++ == 0) {
    // The first failure says why; the count tells how many followed.
    unsigned long code = ERR_peek_error();
    char text[256] = "no OpenSSL error queued";
    if (code != 0) ERR_error_string_n(code, text, sizeof text);
    long verify = SSL_get_verify_result(c.ssl_);
    std::fprintf(stderr, "fanout-loadgen: TLS %s failed (SSL_get_error %d, errno %d): %s%s%s\n",
                 what, SSL_get_error(c.ssl_, ret), errno, text,
                 verify != X509_V_OK ? "; certificate: " : "",
                 verify != X509_V_OK ? X509_verify_cert_error_string(verify) : "");
  }
  close_client(c, c.state_ != client::state::body);
}

// Everything OpenSSL can give now: with read-ahead, records may wait in its buffer where epoll
// cannot see them, so this reads until WANT_READ rather than a few rounds.
void load_run::read_tls(client& c) {
  for (;;) {
    ERR_clear_error();
    int n = SSL_read(c.ssl_, buffer_.data(), static_cast<int>(buffer_.size()));
    if (n > 0) {
      c.received_at_ = now_ns();
      if (!on_bytes(c, std::string_view(buffer_.data(), static_cast<std::size_t>(n)))) return;
      continue;
    }
    int err = SSL_get_error(c.ssl_, n);
    if (err == SSL_ERROR_WANT_READ) {
      arm(c, EPOLLIN);
      return;
    }
    if (err == SSL_ERROR_WANT_WRITE) {
      arm(c, EPOLLIN | EPOLLOUT);
      return;
    }
    if (c.parser_) c.parser_->finish();
    if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) {
      close_client(c, c.state_ != client::state::body);  // the server closed (or reset)
    } else {
      tls_failed(c, n, "read");
    }
    return;
  }
}

void load_run::read_client(client& c) {
  if (c.ssl_) {  // one test per wake-up; the plaintext loop below is as it was
    read_tls(c);
    return;
  }
  // A client far behind has much to read: a few full buffers per wake-up, then the others' turn.
  for (int round = 0; round < 4 && c.state_ != client::state::closed; ++round) {
    ssize_t n = read(c.fd_, buffer_.data(), buffer_.size());
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
      if (c.parser_) c.parser_->finish();
      close_client(c, c.state_ != client::state::body);
      return;
    }
    c.received_at_ = now_ns();
    if (!on_bytes(c, std::string_view(buffer_.data(), static_cast<std::size_t>(n)))) return;
    if (static_cast<std::size_t>(n) < buffer_.size()) return;
  }
}

// Decodes what a read brought; false when the client closed.
bool load_run::on_bytes(client& c, std::string_view bytes) {
  if (c.state_ == client::state::head) {
    std::size_t old = c.head_.size();
    c.head_.append(bytes);
    std::size_t end = c.head_.find("\r\n\r\n", old >= 3 ? old - 3 : 0);
    if (end == std::string::npos) {
      if (c.head_.size() > 16384) close_client(c, true);
      return c.state_ != client::state::closed;  // TLS: more may wait in OpenSSL's buffer
    }
    std::size_t body_start = end + 4;
    std::string rest = c.head_.substr(body_start);
    finish_head(c, end);
    if (c.state_ == client::state::body && !rest.empty()) feed_body(c, rest);
  } else if (c.state_ == client::state::body) {
    feed_body(c, bytes);
  }
  return c.state_ != client::state::closed;
}

void load_run::finish_head(client& c, std::size_t head_end) {
  std::string_view head(c.head_.data(), head_end + 2);
  if (status_code(head) != 200) {
    close_client(c, true);
    return;
  }
  c.chunked_ = is_chunked(head);
  c.head_.clear();
  c.head_.shrink_to_fit();
  if (s_.full_parser) c.parser_ = std::make_unique<sse::parser>(c);
  c.state_ = client::state::body;
  c.streamed_ = true;
  --pending_;
  ++connected_;
  ++live_;
  ++live_in_topic_[c.topic_];
  outstanding_ +=
      published_to_[c.topic_];  // a late connection never catches up: it shows as missed
  ++count_at_[0];
  if (live_ == 1) min_live_ = 0;
}

void load_run::feed_body(client& c, std::string_view bytes) {
  auto decode = [&](std::string_view piece) {
    if (c.parser_) {
      c.parser_->feed(piece);
    } else {
      c.scanner_.feed(piece, [&](scanned_event const& ev) { on_client_event(c, ev); });
    }
  };
  if (!c.chunked_) {
    decode(bytes);
    return;
  }
  bool ok = c.chunks_.feed(bytes, decode);
  if (!ok) {
    ++framing_errors_;
    close_client(c, false);
  } else if (c.chunks_.ended()) {
    close_client(c, false);
  }
}

void load_run::on_client_event(client& c, scanned_event const& ev) {
  std::uint64_t before = c.events_++;
  if (s_.topics == 1) count_move(before, c.events_);
  if (before < published_to_[c.topic_]) --outstanding_;
  ++delivered_;
  last_delivery_ = c.received_at_;
  if (!ev.well_formed) {
    ++c.malformed_;
    return;
  }
  // Clients connect before the first publish and nothing replays history, so each stream must be
  // exactly 1, 2, 3, ... of its topic (or, resuming, --resume-after + 1, + 2, ...).
  if (ev.seq != c.last_seq_ + 1) ++c.order_errors_;
  c.last_seq_ = ev.seq;
  latency_.add(c.received_at_ - ev.sent_ns);
}

// -- publishing ---------------------------------------------------------------------------------

void load_run::open_publisher() {
  if (s_.publisher == publish_kind::pipe) {
    if (s_.publish_fd >= 0) {
      pub_fd_ = s_.publish_fd;
    } else {
      pub_fd_ = open(s_.publish_file.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (pub_fd_ < 0) die_errno(("open " + s_.publish_file).c_str());
    }
    int flags = fcntl(pub_fd_, F_GETFL);
    fcntl(pub_fd_, F_SETFL, flags | O_NONBLOCK);
  } else if (s_.publisher == publish_kind::http) {
    pub_url_ = parse_url(s_.publish_url);
    for (std::size_t k = 0; k < s_.topics; ++k) {
      std::string h = "POST " + pub_url_.target_for(topic_names_[k]) +
                      " HTTP/1.1\r\nHost: " + pub_url_.authority + "\r\n";
      if (!s_.publish_token.empty()) h += "Authorization: Bearer " + s_.publish_token + "\r\n";
      h += "Content-Type: text/plain\r\nContent-Length: ";
      pub_heads_.push_back(std::move(h));
    }
    pub_fd_ = open_connection(pub_url_);
    if (pub_fd_ < 0) die_errno("connect to the publish URL");
  } else {
    return;
  }
  epoll_event ev{};
  ev.events = s_.publisher == publish_kind::http ? (EPOLLIN | EPOLLOUT) : EPOLLOUT;
  ev.data.u64 = publisher_tag;
  pub_waiting_writable_ = true;
  if (epoll_ctl(epoll_, EPOLL_CTL_ADD, pub_fd_, &ev) != 0) die_errno("epoll_ctl publisher");
}

void load_run::publish_burst(std::size_t n, nanoseconds due) {
  nanoseconds sent = now_ns();
  if (first_publish_ == 0) first_publish_ = sent;
  last_publish_ = sent;
  if (due != 0) late_max_ = std::max(late_max_, sent - due);
  char head[64];
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t topic = pick_topic();
    std::uint64_t seq = ++published_to_[topic];
    ++published_;
    outstanding_ += live_in_topic_[topic];
    offered_ += live_in_topic_[topic];
    int len = std::snprintf(head, sizeof head, "%" PRIu64 " %" PRId64 " ", seq, sent);
    std::string_view prefix(head, static_cast<std::size_t>(len));
    if (s_.publisher == publish_kind::pipe) {
      if (s_.format == line_format::json) {
        pub_out_.append("{\"topic\":\"").append(topic_names_[topic]).append("\",\"data\":\"");
        pub_out_.append(prefix).append(pad_).append("\"}\n");
      } else {
        pub_out_.append(prefix).append(pad_).push_back('\n');
      }
    } else {
      std::size_t body = prefix.size() + pad_.size();
      pub_out_.append(pub_heads_[topic]).append(std::to_string(body)).append("\r\n\r\n");
      pub_out_.append(prefix).append(pad_);
      ++pub_requests_;
    }
  }
  if (published_ >= count_at_.size() && s_.topics == 1) {
    count_at_.resize(static_cast<std::size_t>(published_) + 1, 0);
  }
  flush_publisher();
}

void load_run::flush_publisher() {
  while (pub_out_pos_ < pub_out_.size()) {
    ssize_t n = write(pub_fd_, pub_out_.data() + pub_out_pos_, pub_out_.size() - pub_out_pos_);
    if (n < 0) {
      if (errno == EAGAIN) break;
      if (errno == EINTR) continue;
      die_errno("publish");
    }
    pub_out_pos_ += static_cast<std::size_t>(n);
  }
  if (pub_out_pos_ == pub_out_.size()) {
    pub_out_.clear();
    pub_out_pos_ = 0;
  }
  bool want = !pub_out_.empty();
  if (want != pub_waiting_writable_) {
    epoll_event ev{};
    ev.events = (s_.publisher == publish_kind::http ? EPOLLIN : 0u) | (want ? EPOLLOUT : 0u);
    ev.data.u64 = publisher_tag;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, pub_fd_, &ev);
    pub_waiting_writable_ = want;
  }
}

// Responses to the POSTs: counted, and any status but 2xx is an error.
void load_run::read_publisher() {
  char buf[65536];
  ssize_t n = read(pub_fd_, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) die("the publish connection closed (is keepalive_requests high enough?)");
  nanoseconds at = now_ns();
  pub_in_.append(buf, static_cast<std::size_t>(n));
  std::size_t pos = 0;
  for (;;) {
    std::size_t end = pub_in_.find("\r\n\r\n", pos);
    if (end == std::string::npos) break;
    std::string_view head(pub_in_.data() + pos, end + 2 - pos);
    int code = status_code(head);
    std::size_t consumed = end + 4;
    if (is_chunked(head)) {
      // Small bodies: wait for the whole thing, then skip it.
      if (pub_in_.compare(consumed, 5, "0\r\n\r\n") == 0) {
        consumed += 5;
      } else {
        std::size_t last = pub_in_.find("\r\n0\r\n\r\n", consumed);
        if (last == std::string::npos) break;
        consumed = last + 7;
      }
    } else if (auto cl = header_value(head, "content-length:")) {
      std::size_t length = 0;
      std::from_chars(cl->data(), cl->data() + cl->size(), length);
      if (pub_in_.size() < consumed + length) break;
      consumed += length;
    }
    if (code < 200 || code > 299) {
      if (pub_errors_++ == 0) pub_first_error_ = code;
    }
    ++pub_responses_;
    last_response_ = at;
    pos = consumed;
  }
  pub_in_.erase(0, pos);
}

bool load_run::publishing_done(nanoseconds now) const {
  if (s_.publisher == publish_kind::none) return true;
  if (s_.events) return published_ >= *s_.events;
  return now >= publish_end_;
}

std::size_t load_run::inflight_limit() const noexcept {
  if (s_.publisher != publish_kind::http) return std::numeric_limits<std::size_t>::max();
  if (s_.inflight != 0) return s_.inflight;
  if (s_.rate == 0 && s_.window != 0) return s_.window;
  return std::numeric_limits<std::size_t>::max();
}

void load_run::maybe_publish(nanoseconds now) {
  if (publishing_done(now)) return;
  std::uint64_t limit = s_.events ? *s_.events : std::numeric_limits<std::uint64_t>::max();
  std::size_t const inflight = inflight_limit();
  if (s_.rate > 0) {
    // Paced: burst k is due at k * burst / rate seconds after the start, whatever the clients do.
    while (!publishing_done(now) && now >= next_burst_at_) {
      if (pub_requests_ - pub_responses_ + s_.burst > inflight) return;
      publish_burst(static_cast<std::size_t>(std::min<std::uint64_t>(s_.burst, limit - published_)),
                    next_burst_at_);
      ++bursts_;
      next_burst_at_ =
          publish_start_ + static_cast<nanoseconds>(static_cast<double>(bursts_) *
                                                    static_cast<double>(s_.burst) / s_.rate * 1e9);
    }
    return;
  }
  // Closed loop: keep at most --window events ahead of the slowest client, and at most --inflight
  // POSTs unanswered.
  while (!publishing_done(now)) {
    if (s_.window != 0 && published_ - slowest_live() + s_.burst > s_.window) return;
    if (pub_requests_ - pub_responses_ + s_.burst > inflight) return;
    if (!pub_out_.empty()) return;  // the pipe or socket is full: the server is not reading
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(s_.burst, limit - published_));
    publish_burst(n, 0);
  }
}

// -- the loop -------------------------------------------------------------------------------------

void load_run::poll(int timeout_ms) {
  epoll_event events[1024];
  int n = epoll_wait(epoll_, events, 1024, timeout_ms);
  if (n < 0) {
    if (errno == EINTR) return;
    die_errno("epoll_wait");
  }
  for (int i = 0; i < n; ++i) {
    epoll_event const& ev = events[i];
    if (ev.data.u64 == publisher_tag) {
      if (ev.events & EPOLLOUT) flush_publisher();
      if (s_.publisher == publish_kind::http && (ev.events & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
        read_publisher();
      } else if (s_.publisher == publish_kind::pipe && (ev.events & EPOLLERR)) {
        die("the server closed its end of the publish pipe");
      }
      continue;
    }
    client& c = *clients_[static_cast<std::size_t>(ev.data.u64)];
    if (c.state_ != client::state::closed) on_client_ready(c, ev.events);
  }
}

int wait_ms(nanoseconds now, nanoseconds until) {
  if (until <= now) return 0;
  auto ms = (until - now + 999'999) / 1'000'000;
  return static_cast<int>(std::min<nanoseconds>(ms, 1000));
}

int load_run::run() {
  std::signal(SIGPIPE, SIG_IGN);
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
      lim.rlim_cur < s_.clients + 16) {
    std::fprintf(stderr,
                 "fanout-loadgen: error: %zu clients need more descriptors than the limit %llu\n",
                 s_.clients, static_cast<unsigned long long>(lim.rlim_cur));
    return 2;
  }

  nanoseconds const start = now_ns();
  nanoseconds const deadline = start + seconds_to_ns(s_.timeout);
  bool timed_out = false;
  server_sample const before = sample_server(s_.server_pids);
  if (!s_.server_pids.empty() && !before.ok) die("cannot read the server's /proc entries");

  // 1. Connect every client and wait for every response head.
  connect_first_ = start;
  while (started_ < s_.clients || pending_ > 0) {
    nanoseconds now = now_ns();
    if (now >= deadline) {
      timed_out = true;
      break;
    }
    connect_some(now);
    poll(s_.connect_rate > 0 ? 1 : 100);
  }

  nanoseconds const connected_at = now_ns();

  // 2. Let the server settle (and, for the memory figure, hold the idle clients).
  nanoseconds hold_until = now_ns() + seconds_to_ns(s_.settle + s_.idle);
  for (nanoseconds now = now_ns(); now < hold_until && now < deadline; now = now_ns()) {
    poll(wait_ms(now, hold_until));
  }
  server_sample const connected = sample_server(s_.server_pids);

  // 3. Publish.
  open_publisher();
  publish_start_ = now_ns();
  next_burst_at_ = publish_start_;
  publish_end_ = publish_start_ + seconds_to_ns(s_.duration);
  if (s_.publisher != publish_kind::none) {
    for (;;) {
      nanoseconds now = now_ns();
      if (now >= deadline) {
        timed_out = true;
        break;
      }
      maybe_publish(now);
      if (publishing_done(now)) break;
      nanoseconds next = s_.rate > 0 ? next_burst_at_ : now + 100'000'000;
      if (!s_.events) next = std::min(next, publish_end_);
      poll(wait_ms(now, next));
    }
  }
  nanoseconds const published_at = now_ns();

  // 4. Wait for every live client to get every event of its topic (and every POST its answer).
  std::uint64_t expected = s_.publisher == publish_kind::none ? s_.events.value_or(0) : published_;
  if (s_.publisher == publish_kind::none) {
    // Events someone else published may have arrived already (a resume replays them at once):
    // only what each live client still lacks is outstanding.
    for (std::size_t t = 0; t < s_.topics; ++t) published_to_[t] = expected;
    for (auto const& c : clients_) {
      if (c->state_ == client::state::body && c->events_ < expected) {
        outstanding_ += expected - c->events_;
      }
    }
  }
  nanoseconds drain_until = std::min(deadline, published_at + seconds_to_ns(s_.drain));
  if (s_.publisher == publish_kind::none && s_.events) drain_until = deadline;
  for (;;) {
    bool caught_up = outstanding_ == 0 && pub_out_.empty() && pub_responses_ >= pub_requests_;
    if (caught_up) break;
    nanoseconds now = now_ns();
    if (now >= drain_until) {
      timed_out = timed_out || now >= deadline;
      break;
    }
    poll(wait_ms(now, drain_until));
  }
  nanoseconds const done_at = now_ns();
  server_sample const after = sample_server(s_.server_pids);

  // 5. Report.
  result r;
  r.connect_s = static_cast<double>(connected_at - start) / 1e9;
  r.run_s = static_cast<double>(done_at - start) / 1e9;
  r.expected = expected;
  r.timed_out = timed_out;
  bool any = false;
  bool exact = true;
  for (auto const& c : clients_) {
    std::uint64_t owed = published_to_[c->topic_];
    if (!c->streamed_) {  // never got its 200: everything its topic had is missed
      r.missed += owed;
      exact = false;
      continue;
    }
    r.events_min = any ? std::min(r.events_min, c->events_) : c->events_;
    r.events_max = any ? std::max(r.events_max, c->events_) : c->events_;
    any = true;
    r.order_errors += c->order_errors_;
    r.malformed += c->malformed_;
    if (c->events_ < owed) r.missed += owed - c->events_;
    if (c->events_ != owed) exact = false;
  }
  r.all_delivered = connected_ == s_.clients && failed_ == 0 && lost_ == 0 && exact &&
                    r.order_errors == 0 && r.malformed == 0 && framing_errors_ == 0 &&
                    pub_errors_ == 0 && pub_responses_ == pub_requests_;
  if (latency_.count() > 0) {
    r.p50_ms = static_cast<double>(latency_.quantile(0.50)) / 1e6;
    r.p99_ms = static_cast<double>(latency_.quantile(0.99)) / 1e6;
    r.max_ms = static_cast<double>(latency_.max()) / 1e6;
  }
  if (delivered_ > 0 && last_delivery_ > first_publish_) {
    r.seconds = static_cast<double>(last_delivery_ - first_publish_) / 1e9;
    r.delivered_per_s = static_cast<double>(delivered_) / r.seconds;
  }
  if (last_publish_ > first_publish_) {
    r.offered_per_s =
        static_cast<double>(offered_) / (static_cast<double>(last_publish_ - first_publish_) / 1e9);
  }
  if (pub_responses_ > 0 && last_response_ > first_publish_) {
    r.publish_per_s = static_cast<double>(pub_responses_) /
                      (static_cast<double>(last_response_ - first_publish_) / 1e9);
  }
  report(r, before, connected, after);
  return r.all_delivered && !timed_out ? 0 : 1;
}

void load_run::report(result const& r, server_sample const& before, server_sample const& connected,
                      server_sample const& after) const {
  bool server = !s_.server_pids.empty() && before.ok && connected.ok && after.ok;
  double per_client_kib = 0;
  if (server && connected_ > 0) {
    per_client_kib =
        (static_cast<double>(connected.rss_kib) - static_cast<double>(before.rss_kib)) /
        static_cast<double>(connected_);
  }
  double cpu_s = server ? after.cpu_s - connected.cpu_s : 0;
  double cpu_us_per_event = delivered_ > 0 ? cpu_s * 1e6 / static_cast<double>(delivered_) : 0;
  // Shares of one CPU while publishing and draining: the side near 1.0 was the bottleneck.
  double window_s = static_cast<double>(after.at - connected.at) / 1e9;
  bool flowed = (delivered_ > 0 || pub_responses_ > 0) && window_s > 0;
  double server_share = flowed ? cpu_s / window_s : 0;
  double loadgen_share = flowed ? (after.own_cpu_s - connected.own_cpu_s) / window_s : 0;
  double late_ms = static_cast<double>(late_max_) / 1e6;
  if (s_.json) {
    std::printf(
        "{\"clients\": %zu, \"topics\": %zu, \"connected\": %zu, \"failed\": %zu, \"lost\": %zu, "
        "\"published\": %" PRIu64 ", \"expected\": %" PRIu64 ", \"events_min\": %" PRIu64
        ", \"events_max\": %" PRIu64 ", \"missed\": %" PRIu64 ", \"order_errors\": %" PRIu64
        ", \"malformed\": %" PRIu64 ", \"framing_errors\": %" PRIu64
        ", \"publish_requests\": %" PRIu64 ", \"publish_responses\": %" PRIu64
        ", \"publish_errors\": %" PRIu64
        ", \"publish_first_error\": %d"
        ", \"all_delivered\": %s, \"timed_out\": %s, \"delivered\": %" PRIu64
        ", \"seconds\": %.3f, \"delivered_per_s\": %.0f, \"offered_per_s\": %.0f"
        ", \"publish_per_s\": %.0f, \"publish_late_max_ms\": %.3f, \"latency_samples\": %" PRIu64
        ", \"latency_p50_ms\": %.3f, \"latency_p99_ms\": %.3f, \"latency_max_ms\": %.3f"
        ", \"parser\": \"%s\", \"tls\": %s, \"tls_errors\": %" PRIu64
        ", \"loadgen_cpu_share\": %.3f, \"connect_s\": %.3f, \"run_s\": %.3f",
        s_.clients, s_.topics, connected_, failed_, lost_, published_, r.expected, r.events_min,
        r.events_max, r.missed, r.order_errors, r.malformed, framing_errors_, pub_requests_,
        pub_responses_, pub_errors_, pub_first_error_, r.all_delivered ? "true" : "false",
        r.timed_out ? "true" : "false", delivered_, r.seconds, r.delivered_per_s, r.offered_per_s,
        r.publish_per_s, late_ms, latency_.count(), r.p50_ms, r.p99_ms, r.max_ms,
        s_.full_parser ? "libsse" : "scan", s_.tls ? "true" : "false", tls_errors_, loadgen_share,
        r.connect_s, r.run_s);
    if (server) {
      std::printf(", \"server_rss_before_kib\": %" PRIu64 ", \"server_rss_connected_kib\": %" PRIu64
                  ", \"server_rss_after_kib\": %" PRIu64
                  ", \"kib_per_client\": %.3f, \"server_cpu_s\": %.3f, \"cpu_us_per_event\": %.3f"
                  ", \"server_cpu_share\": %.3f, \"server_user_s\": %.3f",
                  before.rss_kib, connected.rss_kib, after.rss_kib, per_client_kib, cpu_s,
                  cpu_us_per_event, server_share, after.user_s - connected.user_s);
    }
    std::printf("}\n");
    return;
  }
  std::printf(
      "clients         %zu requested over %zu topic(s), %zu connected, %zu failed, %zu lost\n",
      s_.clients, s_.topics, connected_, failed_, lost_);
  std::printf("events          %" PRIu64 " published; per client min %" PRIu64 ", max %" PRIu64
              "; %" PRIu64 " missed, %" PRIu64 " out of order, %" PRIu64 " malformed\n",
              published_, r.events_min, r.events_max, r.missed, r.order_errors, r.malformed);
  if (s_.tls) std::printf("tls             TLS 1.3, %" PRIu64 " TLS errors\n", tls_errors_);
  std::printf("all delivered   %s%s\n", r.all_delivered ? "yes" : "no",
              r.timed_out ? " (timed out)" : "");
  std::printf("delivered       %" PRIu64 " events in %.3f s: %.0f events/s (%.0f/s offered)\n",
              delivered_, r.seconds, r.delivered_per_s, r.offered_per_s);
  std::printf("latency         p50 %.3f ms, p99 %.3f ms, max %.3f ms (%" PRIu64 " samples)\n",
              r.p50_ms, r.p99_ms, r.max_ms, latency_.count());
  if (s_.publisher == publish_kind::http) {
    std::printf("publishing      %" PRIu64 " POSTs, %" PRIu64 " answered (%.0f/s), %" PRIu64
                " errors (first: %d)\n",
                pub_requests_, pub_responses_, r.publish_per_s, pub_errors_, pub_first_error_);
  }
  if (s_.rate > 0) std::printf("pacing          the latest burst went out %.3f ms late\n", late_ms);
  if (server) {
    std::printf("server RSS      %" PRIu64 " KiB before, %" PRIu64
                " KiB connected (%.3f KiB per client), %" PRIu64 " KiB after\n",
                before.rss_kib, connected.rss_kib, per_client_kib, after.rss_kib);
    std::printf(
        "server CPU      %.3f s (%.3f s user): %.3f us per delivered event; %.0f%% of a CPU\n",
        cpu_s, after.user_s - connected.user_s, cpu_us_per_event, server_share * 100);
  }
  std::printf("load generator  %.0f%% of a CPU while publishing and draining\n",
              loadgen_share * 100);
  std::printf("timing          all connected after %.3f s, all caught up after %.3f s\n",
              r.connect_s, r.run_s);
}

// Prints a TCP port on 127.0.0.1 that is free now, for servers that cannot take port 0 (nginx).
int print_free_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die_errno("socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    die_errno("bind");
  }
  std::printf("%u\n", static_cast<unsigned>(ntohs(a.sin_port)));
  close(fd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == "--free-port") return print_free_port();
  load_run run(parse_settings(argc, argv));
  return run.run();
}
