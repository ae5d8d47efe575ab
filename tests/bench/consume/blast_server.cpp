// blast_server: the far end of the consumption benchmark. It answers every GET with one pre-built
// text/event-stream corpus, written as fast as the client reads it, then closes the connection, so
// what is measured is the client alone (parsing, printing, syscalls), not the server.
//
// POSIX sockets, one thread, one connection at a time, loopback only: the benchmark runs one client
// at a time, and anything fancier would only add noise to the measurement.
//
//   blast_server [--port N] [--events N | --bytes N]     serve /CORPUS for each corpus below
//   blast_server --dump CORPUS [--events N | --bytes N]  write that corpus to stdout and exit
//
// Corpora (issue 5's three shapes, then issue 10's feeds whose data is JSON):
//   tiny       "data: x\n\n" repeated
//   typical    "id: N\nevent: update\ndata: <200 bytes of JSON-like ASCII>\n\n"
//   large      "data: <64 KiB of ASCII>\n\n"
//   feed       a realistic JSON feed: "id: N", "event: " create, update or delete, then 1-4 data
//              lines: one JSON object, or an array with one object per line ("[{…},", "{…},",
//              "{…}]"), each with quoted strings (escaped quotes inside some), about 4% of the
//              bytes non-ASCII; a ": keep-alive" comment before every 50th event. The first
//              object's "seq" is N.
//   openai     the OpenAI chat-completions stream: per completion, a role chunk, 40 content
//              chunks, a finish chunk ("data: {\"id\":\"chatcmpl-…\",\"object\":
//              \"chat.completion.chunk\",…}") and "data: [DONE]"; type "message", no ids.
//   anthropic  the Anthropic messages stream: per message, message_start, content_block_start,
//              ping, 40 content_block_delta ({"type":"content_block_delta","index":0,"delta":
//              {"type":"text_delta","text":"…"}}), content_block_stop, message_delta and
//              message_stop; each event's type is its data's "type".
// The generated text (tokens, names, ids) is pseudo-random but fixed: each event is a function of
// its number alone, so a corpus is the same bytes on every run and in --dump.
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
  std::fprintf(stderr, "usage: blast_server [--port N] [--events N | --bytes N] [--dump CORPUS]\n");
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
      std::printf(
          "usage: blast_server [--port N] [--events N | --bytes N] [--dump CORPUS]\n"
          "corpora: tiny typical large feed openai anthropic\n");
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

// A fixed pseudo-random sequence per event (splitmix64), so each event of the JSON corpora is a
// function of its number alone and every run serves the same bytes.
class rng {
 public:
  explicit rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  template <std::size_t N>
  std::string_view pick(std::string_view const (&from)[N]) {
    return from[below(N)];
  }

 private:
  std::uint64_t state_;
};

// Words of the feed's free text, already JSON-escaped. Mostly ASCII; the non-ASCII ones (and the
// names below) make about 4% of the feed's bytes non-ASCII, as in a feed of user-written text.
constexpr std::string_view ascii_words[] = {
    "the",    "deploy", "build",  "queue",   "server",   "request", "latency", "cache",
    "region", "retry",  "failed", "passed",  "user",     "order",   "payment", "shipped",
    "alert",  "cpu",    "memory", "disk",    "node",     "cluster", "release", "version",
    "is",     "on",     "of",     "timeout", "config",   "account", "and",     "to",
    "for",    "with",   "a",      "in",      "rollback", "invoice", "was",     "after"};
constexpr std::string_view other_words[] = {"caf\u00e9",
                                            "Z\u00fcrich",
                                            "na\u00efve",
                                            "S\u00e3o Paulo",
                                            "fa\u00e7ade",
                                            "M\u00fcnchen",
                                            "Krak\u00f3w",
                                            "Stra\u00dfe",
                                            "r\u00e9sum\u00e9",
                                            "\u2014",
                                            "\u20ac12.50",
                                            "\u6771\u4eac",
                                            "\u0391\u03b8\u03ae\u03bd\u03b1",
                                            "\U0001F44D"};
constexpr std::string_view names[] = {"Zo\u00eb Martin", "Jos\u00e9 \u00c1lvarez",
                                      "Ana Silva",       "Li Wei",
                                      "Kim Park",        "Olga Ivanova",
                                      "John Smith",      "Am\u00e9lie Dubois",
                                      "Sam Lee",         "Priya Nair",
                                      "Tom Baker",       "Mia Wong"};
constexpr std::string_view tags[] = {"ops",    "deploy", "billing", "eu",  "us",
                                     "urgent", "infra",  "web",     "api", "mobile"};

void append_number(std::string& out, std::uint64_t n) {
  out += std::to_string(n);
}

// n words of free text, now and then a quoted phrase (an escaped quote pair inside the string).
void append_text(std::string& out, rng& r, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) out += ' ';
    std::size_t const roll = r.below(100);
    if (roll < 5) {
      out += "\\\"";
      out += r.pick(ascii_words);
      out += ' ';
      out += r.pick(ascii_words);
      out += "\\\"";
    } else if (roll < 36) {
      out += r.pick(other_words);
    } else {
      out += r.pick(ascii_words);
    }
  }
}

// One JSON object of the feed, in one of three shapes real feeds carry.
void append_feed_object(std::string& out, rng& r, std::size_t seq, std::size_t part) {
  out += "{\"seq\":";
  append_number(out, seq);
  out += ",\"part\":";
  append_number(out, part);
  switch (r.below(3)) {
    case 0:
      out += ",\"kind\":\"comment\",\"user\":{\"id\":";
      append_number(out, 1000 + r.below(90000));
      out += ",\"name\":\"";
      out += r.pick(names);
      out += "\"},\"text\":\"";
      append_text(out, r, 8 + r.below(16));
      out += "\",\"tags\":[\"";
      out += r.pick(tags);
      out += "\",\"";
      out += r.pick(tags);
      out += "\"],\"ok\":";
      out += r.below(2) != 0 ? "true" : "false";
      out += '}';
      return;
    case 1:
      out += ",\"kind\":\"metric\",\"host\":\"web-";
      append_number(out, r.below(64));
      out += "\",\"region\":\"eu-west-1\",\"cpu\":0.";
      append_number(out, 10 + r.below(90));
      out += ",\"mem\":";
      append_number(out, r.below(1u << 30));
      out += ",\"labels\":{\"env\":\"prod\",\"team\":\"";
      out += r.pick(tags);
      out += "\"},\"note\":\"";
      append_text(out, r, 4 + r.below(8));
      out += "\"}";
      return;
    default:
      out += ",\"kind\":\"order\",\"order\":{\"id\":\"ord_";
      append_number(out, r.next() % 1000000000u);
      out += "\",\"items\":[{\"sku\":\"SKU-";
      append_number(out, r.below(5000));
      out += "\",\"qty\":";
      append_number(out, 1 + r.below(5));
      out += ",\"price\":\"";
      append_number(out, 1 + r.below(200));
      out += ".99\"}],\"currency\":\"EUR\"},\"customer\":\"";
      out += r.pick(names);
      out += "\",\"status\":\"";
      append_text(out, r, 2);
      out += "\"}";
      return;
  }
}

void append_feed_event(std::string& out, std::size_t seq) {
  static constexpr std::string_view types[] = {"update", "update", "create", "delete"};
  rng r(seq);
  if (seq % 50 == 0) out += ": keep-alive\n\n";
  out += "id: ";
  append_number(out, seq);
  out += "\nevent: ";
  out += r.pick(types);
  std::size_t const lines = 1 + r.below(4);
  for (std::size_t part = 1; part <= lines; ++part) {
    out += "\ndata: ";
    if (lines > 1 && part == 1) out += '[';
    append_feed_object(out, r, seq, part);
    if (lines > 1) out += part < lines ? "," : "]";
  }
  out += "\n\n";
}

// Tokens of LLM output, JSON-escaped: mostly short words with their leading space, some
// punctuation, markdown, escaped newlines and quotes, and a little non-ASCII.
constexpr std::string_view llm_tokens[] = {
    " The",    " planet",  " with",      " rings",      " is",      " Saturn", ".",
    " It",     "\u2019s",  " known",     " for",        " its",     " the",    " a",
    " of",     " and",     " to",        ",",           " in",      " data",   " stream",
    " event",  " JSON",    "\\n\\n",     "**",          "Note",     "**:",     " \\\"quoted",
    "\\\"",    " \u2014",  " caf\u00e9", " na\u00efve", " 42",      "%",       " server",
    " client", " request", " each",      " line",       " example", " you",    " can",
    " use",    " this",    " that",      " which",      " code",    "```"};
constexpr std::size_t llm_deltas = 40;  // content chunks per completion or message

void append_alnum(std::string& out, rng& r, std::size_t n) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  for (std::size_t i = 0; i < n; ++i) out += alphabet[r.below(sizeof alphabet - 1)];
}

// OpenAI chat completions: a role chunk, the content chunks, a finish chunk, then [DONE].
void append_openai_event(std::string& out, std::size_t seq) {
  constexpr std::size_t per_completion = llm_deltas + 3;
  std::size_t const completion = (seq - 1) / per_completion;
  std::size_t const at = (seq - 1) % per_completion;
  if (at == per_completion - 1) {
    out += "data: [DONE]\n\n";
    return;
  }
  rng id_rng(0x6f70656e61690000u + completion);
  out += "data: {\"id\":\"chatcmpl-";
  append_alnum(out, id_rng, 29);
  out += "\",\"object\":\"chat.completion.chunk\",\"created\":";
  append_number(out, 1717000000 + completion * 7);
  out +=
      ",\"model\":\"gpt-4o-2024-08-06\",\"service_tier\":\"default\","
      "\"system_fingerprint\":\"fp_1827dd0c55\",\"choices\":[{\"index\":0,\"delta\":";
  rng r(seq);
  if (at == 0) {
    out +=
        "{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},\"logprobs\":null,"
        "\"finish_reason\":null}]";
  } else if (at == per_completion - 2) {
    out += "{},\"logprobs\":null,\"finish_reason\":\"stop\"}]";
  } else {
    out += "{\"content\":\"";
    out += r.pick(llm_tokens);
    out += "\"},\"logprobs\":null,\"finish_reason\":null}]";
  }
  out += ",\"obfuscation\":\"";
  append_alnum(out, r, 2 + r.below(12));
  out += "\"}\n\n";
}

// Anthropic messages: message_start, content_block_start, ping, the deltas, content_block_stop,
// message_delta, message_stop.
void append_anthropic_event(std::string& out, std::size_t seq) {
  constexpr std::size_t per_message = llm_deltas + 6;
  std::size_t const message = (seq - 1) / per_message;
  std::size_t const at = (seq - 1) % per_message;
  rng r(seq);
  if (at == 0) {
    rng id_rng(0x616e74680000u + message);
    out +=
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":"
        "\"claude-sonnet-4-20250514\",\"id\":\"msg_01";
    append_alnum(out, id_rng, 22);
    out +=
        "\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"stop_reason\":null,"
        "\"stop_sequence\":null,\"usage\":{\"input_tokens\":";
    append_number(out, 10 + r.below(2000));
    out +=
        ",\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":1,"
        "\"service_tier\":\"standard\"}}}\n\n";
  } else if (at == 1) {
    out +=
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
        "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
  } else if (at == 2) {
    out += "event: ping\ndata: {\"type\":\"ping\"}\n\n";
  } else if (at < 3 + llm_deltas) {
    out +=
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
        "\"delta\":{\"type\":\"text_delta\",\"text\":\"";
    out += r.pick(llm_tokens);
    out += "\"}}\n\n";
  } else if (at == 3 + llm_deltas) {
    out += "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n";
  } else if (at == 4 + llm_deltas) {
    out +=
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
        "\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":";
    append_number(out, llm_deltas + 1);
    out += "}}\n\n";
  } else {
    out += "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
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
  } else if (corpus == "feed") {
    append_feed_event(out, seq);
  } else if (corpus == "openai") {
    append_openai_event(out, seq);
  } else if (corpus == "anthropic") {
    append_anthropic_event(out, seq);
  } else {
    out += "data: ";
    std::string const seq_text = std::to_string(seq) + ' ';
    out += seq_text;
    append_filler(out, large_data_size - seq_text.size());
    out += "\n\n";
  }
}

bool is_corpus(std::string_view name) {
  return name == "tiny" || name == "typical" || name == "large" || name == "feed" ||
         name == "openai" || name == "anthropic";
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
