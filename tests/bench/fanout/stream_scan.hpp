// The fan-out load generator's stream decoding: HTTP/1.1 chunked framing, a reduced event scanner
// and a latency histogram. At 10,000 clients the load generator reads millions of events a second
// on one core, so both decoders work on views of the bytes read: nothing is copied but a line
// that a read cut in two. scan_test.cpp checks them against libsse's parser at every split point.
#ifndef FANOUT_STREAM_SCAN_HPP
#define FANOUT_STREAM_SCAN_HPP

#include <algorithm>
#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>

namespace fanout {

// HTTP/1.1 chunked transfer coding, decoded in place: the body pieces are views into the input.
class chunked_decoder {
 public:
  // Passes each piece of body to sink. Returns false on a framing error.
  template <class Sink>
  bool feed(std::string_view in, Sink&& sink) {
    std::size_t i = 0;
    while (i < in.size()) {
      char c = in[i];
      switch (state_) {
        case state::size: {
          int digit = hex_value(c);
          if (digit >= 0) {
            if (size_ > (std::uint64_t{1} << 56)) return false;
            size_ = size_ * 16 + static_cast<std::uint64_t>(digit);
            has_digit_ = true;
          } else if (c == '\r' && has_digit_) {
            state_ = state::size_lf;
          } else if ((c == ';' || c == ' ' || c == '\t') && has_digit_) {
            state_ = state::extension;
          } else {
            return false;
          }
          ++i;
          break;
        }
        case state::extension:
          if (c == '\r') state_ = state::size_lf;
          ++i;
          break;
        case state::size_lf:
          if (c != '\n') return false;
          state_ = size_ == 0 ? state::trailer : state::data;
          ++i;
          break;
        case state::data: {
          std::size_t n = static_cast<std::size_t>(
              std::min<std::uint64_t>(size_, static_cast<std::uint64_t>(in.size() - i)));
          sink(in.substr(i, n));
          i += n;
          size_ -= n;
          if (size_ == 0) state_ = state::data_cr;
          break;
        }
        case state::data_cr:
          if (c != '\r') return false;
          state_ = state::data_lf;
          ++i;
          break;
        case state::data_lf:
          if (c != '\n') return false;
          state_ = state::size;
          has_digit_ = false;
          ++i;
          break;
        case state::trailer:
          // The last chunk came: the stream is over, whatever follows.
          ended_ = true;
          return true;
      }
    }
    if (state_ == state::trailer) ended_ = true;
    return true;
  }

  bool ended() const noexcept { return ended_; }

 private:
  static int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  enum class state : unsigned char { size, extension, size_lf, data, data_cr, data_lf, trailer };
  state state_ = state::size;
  std::uint64_t size_ = 0;
  bool has_digit_ = false;
  bool ended_ = false;
};

// One benchmark event: its data is "SEQ SEND_NS PAD".
struct scanned_event {
  std::uint64_t seq = 0;
  std::int64_t sent_ns = 0;
  bool well_formed = false;
};

// Decimal digits at p, eight at a time where eight are there: at ten million events a second,
// reading two numbers per event with std::from_chars was a third of the load generator's CPU.
// Advances p past the digits; false when there are none or more than 19 (which could overflow).
inline bool parse_decimal(char const*& p, char const* end, std::uint64_t& out) noexcept {
  char const* const start = p;
  std::uint64_t v = 0;
  while (end - p >= 8) {
    std::uint64_t chunk = 0;
    std::memcpy(&chunk, p, 8);  // little-endian: the first digit in the lowest byte
    std::uint64_t const all_digits =
        (chunk & 0xF0F0F0F0F0F0F0F0ull) |
        (((chunk + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) >> 4);
    if (all_digits != 0x3333333333333333ull) break;
    chunk -= 0x3030303030303030ull;
    chunk = chunk * 10 + (chunk >> 8);  // pairs of digits
    chunk = (((chunk & 0x000000FF000000FFull) * (100 + (1000000ull << 32))) +
             (((chunk >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32)))) >>
            32;
    v = v * 100000000 + chunk;
    p += 8;
    if (p - start > 19) return false;
  }
  while (p < end && *p >= '0' && *p <= '9') {
    v = v * 10 + static_cast<std::uint64_t>(*p - '0');
    ++p;
  }
  out = v;
  return p != start && p - start <= 19;
}

// Reads SEQ and SEND_NS from the start of an event's data (as std::from_chars would: SEND_NS may
// be negative, neither may overflow).
inline scanned_event parse_benchmark_data(std::string_view d) noexcept {
  scanned_event e;
  char const* p = d.data();
  char const* const end = p + d.size();
  if (!parse_decimal(p, end, e.seq) || p == end || *p != ' ') return e;
  ++p;
  bool negative = p < end && *p == '-';
  if (negative) ++p;
  std::uint64_t ns = 0;
  if (!parse_decimal(p, end, ns) || ns > static_cast<std::uint64_t>(INT64_MAX)) return e;
  e.sent_ns = negative ? -static_cast<std::int64_t>(ns) : static_cast<std::int64_t>(ns);
  e.well_formed = true;
  return e;
}

// A reduced text/event-stream reader for the benchmark's own events. The full parser builds each
// event's data string; this one only finds the event's first "data" line and reads SEQ and
// SEND_NS from it, which gives the same answer for every stream the parser would accept as long
// as the first data line holds them (an event's joined data starts with its first line). Lines
// end in LF or CRLF (every server measured sends LF); comment, id, retry and unknown lines are
// skipped, and so is an event whose type is not "message" (sse-serve's topic hints for its live
// page). A lone CR as a line end is not understood: such a stream shows as events missing, never
// as wrong counts. --parser libsse in the load generator uses the full parser instead.
class event_scanner {
 public:
  // Calls sink(scanned_event const&) for each event dispatched.
  template <class Sink>
  void feed(std::string_view in, Sink&& sink) {
    char const* p = in.data();
    char const* const end = p + in.size();
    if (!carry_.empty()) {
      auto const* nl =
          static_cast<char const*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
      if (nl == nullptr) {
        carry_.append(p, end);
        return;
      }
      carry_.append(p, nl);
      line(carry_, sink);
      carry_.clear();
      p = nl + 1;
    }
    while (p < end) {
      auto const* nl =
          static_cast<char const*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
      if (nl == nullptr) {
        carry_.assign(p, end);
        return;
      }
      line(std::string_view(p, static_cast<std::size_t>(nl - p)), sink);
      p = nl + 1;
    }
  }

 private:
  static bool is_field(std::string_view l, std::string_view name) noexcept {
    return l.size() >= name.size() && l.compare(0, name.size(), name) == 0 &&
           (l.size() == name.size() || l[name.size()] == ':');
  }
  static std::string_view value_of(std::string_view l, std::size_t name_size) noexcept {
    if (l.size() <= name_size + 1) return {};
    std::string_view v = l.substr(name_size + 1);
    if (v.front() == ' ') v.remove_prefix(1);
    return v;
  }

  template <class Sink>
  void line(std::string_view l, Sink& sink) {
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (l.empty()) {
      if (has_data_ && !typed_) sink(event_);
      has_data_ = false;
      typed_ = false;
      return;
    }
    if (l[0] == 'd' && is_field(l, "data")) {
      if (!has_data_) event_ = parse_benchmark_data(value_of(l, 4));
      has_data_ = true;
    } else if (l[0] == 'e' && is_field(l, "event")) {
      std::string_view type = value_of(l, 5);
      typed_ = !type.empty() && type != "message";
    }
  }

  std::string carry_;  // a line cut by the end of a read
  scanned_event event_;
  bool has_data_ = false;
  bool typed_ = false;  // the event's type is not "message"
};

// Log-linear buckets over nanoseconds: values below 64 exact, then 64 buckets per power of two, so
// a percentile read from it is within 1/64 (1.6%) of the exact one. A sample costs one increment;
// ten million deliveries a second for a minute would take 4.8 GB as a vector of samples.
class latency_histogram {
 public:
  void add(std::int64_t ns) noexcept {
    auto v = static_cast<std::uint64_t>(std::max<std::int64_t>(ns, 0));
    ++counts_[index(v)];
    ++total_;
    max_ = std::max(max_, v);
  }

  std::uint64_t count() const noexcept { return total_; }
  std::uint64_t max() const noexcept { return max_; }

  // The q-quantile (0..1): the sample of rank q * (count - 1), as the middle of its bucket.
  std::uint64_t quantile(double q) const noexcept {
    if (total_ == 0) return 0;
    auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_ - 1));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen > rank) return std::min(middle(i), max_);
    }
    return max_;
  }

 private:
  static constexpr unsigned sub_bits = 6;
  static constexpr std::uint64_t sub = std::uint64_t{1} << sub_bits;

  static unsigned top_bit(std::uint64_t v) noexcept {  // v > 0
    return 63u - static_cast<unsigned>(__builtin_clzll(v));
  }
  static std::size_t index(std::uint64_t v) noexcept {
    if (v < sub) return static_cast<std::size_t>(v);
    unsigned e = top_bit(v);
    std::uint64_t mantissa = (v >> (e - sub_bits)) & (sub - 1);
    return static_cast<std::size_t>((e - sub_bits + 1) * sub + mantissa);
  }
  static std::uint64_t middle(std::size_t i) noexcept {
    if (i < sub) return i;
    unsigned e = static_cast<unsigned>(i / sub) + sub_bits - 1;
    std::uint64_t mantissa = i % sub;
    std::uint64_t low = (sub + mantissa) << (e - sub_bits);
    std::uint64_t width = std::uint64_t{1} << (e - sub_bits);
    return low + width / 2;
  }

  std::array<std::uint64_t, (64 - sub_bits + 1) * sub> counts_{};
  std::uint64_t total_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace fanout

#endif
