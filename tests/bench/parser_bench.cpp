// libsse throughput: the parser over in-memory corpora (fed in 64 KiB chunks, as a socket delivers
// them, and whole), memchr/memcpy over the same buffers as ceilings, and the encoder.
//
//   parser_bench [--write-corpus DIR] [google benchmark flags]
//
// --write-corpus DIR writes every corpus as DIR/NAME.sse plus DIR/manifest.json (byte, event and
// data counts) and exits, so the npm eventsource-parser run (tests/bench/js/parser_bench.mjs)
// measures the very same bytes. Every parser run checks its event and data byte counts against
// the corpus; a mismatch fails the benchmark and makes the exit status 1.
#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <sse/encoder.hpp>
#include <sse/event.hpp>
#include <sse/parser.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::size_t corpus_bytes = std::size_t{8} << 20;  // each corpus is at least this long
constexpr std::size_t chunk_bytes = std::size_t{64} << 10;
constexpr std::size_t typical_data_bytes = 200;
constexpr std::size_t large_data_bytes = std::size_t{64} << 10;
constexpr std::size_t encode_batch_bytes = std::size_t{1} << 20;  // output per encoder batch

bool any_failed = false;  // a benchmark saw wrong results: main returns 1

// xorshift64: the corpora must be identical on every run and every machine.
class rng {
 public:
  std::uint64_t next() noexcept {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return state_;
  }
  std::size_t below(std::size_t n) noexcept { return static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_ = 0x9E3779B97F4A7C15u;
};

// One event's fields as the generators produce them.
struct event_fields {
  std::string id;    // empty: no id line
  std::string type;  // empty: no event line
  std::string data;  // a single line
};

enum class kind { tiny, typical, large, typical_crlf, typical_utf8 };

struct corpus_spec {
  kind k;
  char const* name;
};

constexpr std::array<corpus_spec, 5> corpus_specs{{
    {kind::tiny, "tiny"},
    {kind::typical, "typical"},
    {kind::large, "large"},
    {kind::typical_crlf, "typical-crlf"},
    {kind::typical_utf8, "typical-utf8"},
}};

std::string ascii_text(rng& r, std::size_t n) {
  static constexpr std::string_view alphabet =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,.:;{}[]\"'_-+=/";
  std::string s(n, ' ');
  for (char& c : s) c = alphabet[r.below(alphabet.size())];
  return s;
}

// About `n` bytes (never more) of mixed text: ASCII words and 2-, 3- and 4-byte UTF-8 sequences.
std::string utf8_text(rng& r, std::size_t n) {
  static constexpr std::array<std::string_view, 16> pieces{
      {"a", "e", "s", "t", " ", "0", "\xC3\xA9" /* é */, "\xC3\xBC" /* ü */, "\xD0\xB6" /* ж */,
       "\xCE\xBB" /* λ */, "\xE4\xB8\xAD" /* 中 */, "\xE6\x96\x87" /* 文 */, "\xE2\x82\xAC" /* € */,
       "\xE3\x81\x82" /* あ */, "\xF0\x9F\x98\x80" /* 😀 */, "\xF0\x9F\x9A\x80" /* 🚀 */}};
  std::string s;
  s.reserve(n);
  for (;;) {
    std::string_view const p = pieces[r.below(pieces.size())];
    if (s.size() + p.size() > n) break;
    s.append(p);
  }
  return s;
}

event_fields make_event(kind k, rng& r, std::size_t index) {
  switch (k) {
    case kind::tiny:
      return {{}, {}, "x"};
    case kind::large:
      return {{}, {}, ascii_text(r, large_data_bytes)};
    case kind::typical_utf8:
      return {std::to_string(index + 1), "update", utf8_text(r, typical_data_bytes)};
    case kind::typical:
    case kind::typical_crlf:
      break;
  }
  return {std::to_string(index + 1), "update", ascii_text(r, typical_data_bytes)};
}

void append_wire(std::string& out, event_fields const& ev, std::string_view eol) {
  if (!ev.id.empty()) out.append("id: ").append(ev.id).append(eol);
  if (!ev.type.empty()) out.append("event: ").append(ev.type).append(eol);
  out.append("data: ").append(ev.data).append(eol).append(eol);
}

// UTF-16 code units of valid UTF-8 text: what JavaScript's String length reports for it.
std::size_t utf16_units(std::string_view s) noexcept {
  std::size_t n = 0;
  for (char c : s) {
    auto const b = static_cast<unsigned char>(c);
    if ((b & 0xC0) != 0x80) ++n;  // a character starts here
    if (b >= 0xF0) ++n;           // beyond the BMP: a surrogate pair
  }
  return n;
}

struct corpus {
  std::string name;
  std::string bytes;
  std::size_t events = 0;
  std::size_t data_bytes = 0;  // sum of every event's data size
  std::size_t data_units = 0;  // the same in UTF-16 code units
};

corpus build_corpus(corpus_spec const& spec) {
  corpus c;
  c.name = spec.name;
  c.bytes.reserve(corpus_bytes + 2 * large_data_bytes);
  std::string_view const eol = spec.k == kind::typical_crlf ? "\r\n" : "\n";
  rng r;
  while (c.bytes.size() < corpus_bytes) {
    event_fields const ev = make_event(spec.k, r, c.events);
    append_wire(c.bytes, ev, eol);
    ++c.events;
    c.data_bytes += ev.data.size();
    c.data_units += utf16_units(ev.data);
  }
  return c;
}

// Corpora are built on first use, outside any timed region, so a filtered run builds only its own.
corpus const& get_corpus(std::size_t i) {
  static std::array<std::unique_ptr<corpus>, corpus_specs.size()> cache;
  if (!cache[i]) cache[i] = std::make_unique<corpus>(build_corpus(corpus_specs[i]));
  return *cache[i];
}

class counting_handler final : public sse::handler {
 public:
  sse::action on_event(sse::event_view const& ev) override {
    ++events;
    data_bytes += ev.data.size();
    return sse::action::proceed;
  }
  std::size_t events = 0;
  std::size_t data_bytes = 0;
};

void fail(benchmark::State& state, char const* why) {
  any_failed = true;
  state.SkipWithError(why);
}

void set_rates(benchmark::State& state, std::size_t bytes_per_iteration, std::size_t events) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(bytes_per_iteration));
  state.counters["events"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}

// chunk == 0 feeds the whole corpus in one call.
void bm_parse(benchmark::State& state, std::size_t corpus_index, std::size_t chunk) {
  corpus const& c = get_corpus(corpus_index);
  std::string_view const all = c.bytes;
  std::size_t const step = chunk == 0 ? all.size() : chunk;
  std::size_t events = 0;
  for (auto _ : state) {
    counting_handler h;
    sse::parser p(h);
    std::size_t consumed = 0;
    for (std::size_t at = 0; at < all.size(); at += step) consumed += p.feed(all.substr(at, step));
    std::size_t const discarded = p.finish();
    benchmark::DoNotOptimize(h.data_bytes);
    if (consumed != all.size() || discarded != 0 || p.error() != sse::parse_error::none) {
      fail(state, "the parser did not consume the whole corpus cleanly");
      break;
    }
    if (h.events != c.events || h.data_bytes != c.data_bytes) {
      fail(state, "the parser's event or data byte count differs from the corpus");
      break;
    }
    events += h.events;
  }
  set_rates(state, all.size(), events);
}

// Ceiling: finding every LF with memchr, the least a line parser must do. Its "events" rate is the
// corpus's events at this speed, for comparison with the parser's.
void bm_memchr(benchmark::State& state, std::size_t corpus_index) {
  corpus const& c = get_corpus(corpus_index);
  char const* const begin = c.bytes.data();
  char const* const end = begin + c.bytes.size();
  for (auto _ : state) {
    std::size_t lines = 0;
    char const* p = begin;
    while (p != end) {
      auto const* lf =
          static_cast<char const*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
      if (lf == nullptr) break;
      ++lines;
      p = lf + 1;
    }
    benchmark::DoNotOptimize(lines);
  }
  set_rates(state, c.bytes.size(), c.events * static_cast<std::size_t>(state.iterations()));
}

// Ceiling: copying the buffer once.
void bm_memcpy(benchmark::State& state, std::size_t corpus_index) {
  corpus const& c = get_corpus(corpus_index);
  std::vector<char> copy(c.bytes.size());
  for (auto _ : state) {
    std::memcpy(copy.data(), c.bytes.data(), c.bytes.size());
    benchmark::DoNotOptimize(copy.data());
    benchmark::ClobberMemory();
  }
  set_rates(state, c.bytes.size(), c.events * static_cast<std::size_t>(state.iterations()));
}

// A batch of about encode_batch_bytes of output, as the same generator makes the corpus.
struct encode_batch {
  std::vector<event_fields> fields;
  std::vector<sse::event> events;  // views into fields
  std::size_t output_bytes = 0;
};

std::unique_ptr<encode_batch> build_encode_batch(kind k) {
  auto b = std::make_unique<encode_batch>();
  rng r;
  std::string wire;
  while (wire.size() < encode_batch_bytes) {
    b->fields.push_back(make_event(k, r, b->fields.size()));
    append_wire(wire, b->fields.back(), "\n");
  }
  for (event_fields const& f : b->fields) {
    sse::event ev;
    ev.data = f.data;
    ev.type = f.type;
    if (!f.id.empty()) ev.id = std::string_view(f.id);
    b->output_bytes += sse::encoded_size(ev);
    b->events.push_back(ev);
  }
  return b;
}

void bm_encode(benchmark::State& state, kind k) {
  std::unique_ptr<encode_batch> const batch = build_encode_batch(k);
  std::string out;
  out.reserve(batch->output_bytes);
  for (auto _ : state) {
    out.clear();
    bool ok = true;
    for (sse::event const& ev : batch->events)
      ok &= sse::encode(out, ev) == sse::encode_error::none;
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    if (!ok || out.size() != batch->output_bytes) {
      fail(state, "the encoder refused an event or wrote other than encoded_size() bytes");
      break;
    }
  }
  set_rates(state, batch->output_bytes,
            batch->events.size() * static_cast<std::size_t>(state.iterations()));
}

void register_benchmarks() {
  for (std::size_t i = 0; i < corpus_specs.size(); ++i) {
    std::string const name = corpus_specs[i].name;
    benchmark::RegisterBenchmark(("parse/" + name + "/64KiB").c_str(), bm_parse, i, chunk_bytes);
    benchmark::RegisterBenchmark(("parse/" + name + "/whole").c_str(), bm_parse, i, std::size_t{0});
    benchmark::RegisterBenchmark(("memchr/" + name).c_str(), bm_memchr, i);
    benchmark::RegisterBenchmark(("memcpy/" + name).c_str(), bm_memcpy, i);
  }
  benchmark::RegisterBenchmark("encode/tiny", bm_encode, kind::tiny);
  benchmark::RegisterBenchmark("encode/typical", bm_encode, kind::typical);
  benchmark::RegisterBenchmark("encode/large", bm_encode, kind::large);
}

bool write_corpora(std::string const& dir) {
  std::string manifest =
      "{\n  \"chunk_bytes\": " + std::to_string(chunk_bytes) + ",\n  \"corpora\": [";
  for (std::size_t i = 0; i < corpus_specs.size(); ++i) {
    corpus const& c = get_corpus(i);
    std::string const file = c.name + ".sse";
    std::ofstream out(dir + "/" + file, std::ios::binary | std::ios::trunc);
    out.write(c.bytes.data(), static_cast<std::streamsize>(c.bytes.size()));
    out.close();
    if (!out) {
      std::fprintf(stderr, "parser_bench: error: cannot write %s/%s\n", dir.c_str(), file.c_str());
      return false;
    }
    manifest += std::string(i == 0 ? "" : ",") + "\n    {\"name\": \"" + c.name +
                "\", \"file\": \"" + file + "\", \"bytes\": " + std::to_string(c.bytes.size()) +
                ", \"events\": " + std::to_string(c.events) +
                ", \"data_bytes\": " + std::to_string(c.data_bytes) +
                ", \"data_utf16_units\": " + std::to_string(c.data_units) + "}";
  }
  manifest += "\n  ]\n}\n";
  std::ofstream out(dir + "/manifest.json", std::ios::trunc);
  out << manifest;
  out.close();
  if (!out) {
    std::fprintf(stderr, "parser_bench: error: cannot write %s/manifest.json\n", dir.c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  // Take --write-corpus out before Google Benchmark sees the arguments.
  std::string corpus_dir;
  bool write_corpus = false;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    std::string_view const arg = argv[i];
    if (arg == "--write-corpus") {
      if (i + 1 == argc) {
        std::fprintf(stderr, "parser_bench: error: --write-corpus needs a directory\n");
        return 2;
      }
      write_corpus = true;
      corpus_dir = argv[++i];
    } else if (arg.substr(0, 15) == "--write-corpus=") {
      write_corpus = true;
      corpus_dir = std::string(arg.substr(15));
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  if (write_corpus) return write_corpora(corpus_dir) ? 0 : 1;

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  register_benchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return any_failed ? 1 : 0;
}
