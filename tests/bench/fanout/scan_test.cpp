// The load generator's decoders against the real thing: the event scanner must find exactly the
// events (and read exactly the numbers) that libsse's WHATWG parser finds, however the stream is
// cut into reads; the chunked decoder must give back the body at every split; the histogram's
// percentiles must stay within its stated error.
#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <random>
#include <sse/parser.hpp>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "stream_scan.hpp"

namespace {

using fanout::scanned_event;
using found = std::tuple<std::uint64_t, std::int64_t, bool>;

std::vector<found> with_libsse(std::string_view stream) {
  std::vector<found> out;
  for (auto const& ev : sse::parse_all(stream)) {
    if (ev.type != "message") continue;
    scanned_event e = fanout::parse_benchmark_data(ev.data);
    out.emplace_back(e.seq, e.sent_ns, e.well_formed);
  }
  return out;
}

std::vector<found> with_scanner(std::vector<std::string_view> const& pieces) {
  std::vector<found> out;
  fanout::event_scanner scanner;
  for (std::string_view piece : pieces) {
    scanner.feed(
        piece, [&](scanned_event const& e) { out.emplace_back(e.seq, e.sent_ns, e.well_formed); });
  }
  return out;
}

// Every shape of line a server might send around the benchmark's events.
std::string const mixed_stream =
    ": sse-serve\n"
    "retry: 2000\n"
    "\n"
    "id: 1\n"
    "data: 1 1000 xxxxxxxx\n"
    "\n"
    "id: 1634567890:0\r\n"
    "data: 2 2000 pad\r\n"
    "\r\n"
    "event: sse-topic\n"
    "data: t5\n"
    "\n"
    "data:3 3000\n"
    "\n"
    "event:\n"
    "data: 4 4000 with an empty type\n"
    "\n"
    "event: other\n"
    "event: message\n"
    "data: 5 5000 the last type wins\n"
    "\n"
    "data: 6 6000 first line\n"
    "data: 7 7000 second line is not read\n"
    "\n"
    "id: 8\n"
    "\n"
    "dataX: 9 9000 not a data field\n"
    "data\n"
    "\n"
    "data:  10 10000 two spaces\n"
    "\n"
    "data: 11\n"
    "\n"
    "data: x y\n"
    "\n"
    ": a comment with data: 12 12000\n"
    "data: 13 -5 negative is read as sent\n"
    "\n"
    "data: 14 14000 cut off by the end, never dispatched\n";

TEST(EventScanner, FindsWhatTheParserFindsInOneRead) {
  auto expected = with_libsse(mixed_stream);
  ASSERT_EQ(expected.size(),
            11u);  // the test stream's own sanity: typed and cut-off events left out
  EXPECT_EQ(with_scanner({mixed_stream}), expected);
}

TEST(EventScanner, FindsWhatTheParserFindsAtEverySplit) {
  auto expected = with_libsse(mixed_stream);
  std::string_view s = mixed_stream;
  for (std::size_t cut = 0; cut <= s.size(); ++cut) {
    ASSERT_EQ(with_scanner({s.substr(0, cut), s.substr(cut)}), expected) << "cut at " << cut;
  }
}

TEST(EventScanner, FindsWhatTheParserFindsByteByByte) {
  std::vector<std::string_view> bytes;
  std::string_view s = mixed_stream;
  for (std::size_t i = 0; i < s.size(); ++i) bytes.push_back(s.substr(i, 1));
  EXPECT_EQ(with_scanner(bytes), with_libsse(mixed_stream));
}

TEST(EventScanner, ReadsManyBackToBackEvents) {
  std::string stream;
  for (std::uint64_t i = 1; i <= 1000; ++i) {
    stream += "id: " + std::to_string(i) + "\ndata: " + std::to_string(i) + " " +
              std::to_string(i * 7) + " padpadpad\n\n";
  }
  auto got = with_scanner({stream});
  ASSERT_EQ(got.size(), 1000u);
  EXPECT_EQ(got.back(), found(1000, 7000, true));
  EXPECT_EQ(got, with_libsse(stream));
}

// What the original std::from_chars reading gave, for comparison with the eight-at-a-time one.
found with_from_chars(std::string_view d) {
  std::uint64_t seq = 0;
  std::int64_t ns = 0;
  char const* end = d.data() + d.size();
  auto [p1, e1] = std::from_chars(d.data(), end, seq);
  if (e1 != std::errc{} || p1 == end || *p1 != ' ') return found(seq, 0, false);
  auto [p2, e2] = std::from_chars(p1 + 1, end, ns);
  (void)p2;
  if (e2 != std::errc{}) return found(seq, 0, false);
  return found(seq, ns, true);
}

TEST(BenchmarkData, ReadsNumbersAsFromCharsDoes) {
  std::mt19937_64 rng(11);
  std::vector<std::string> cases = {"1 2",
                                    "1 2 pad",
                                    "12345678 87654321 x",
                                    "123456789 1234567890123",
                                    "0 -0",
                                    "7 -123456789012",
                                    "1",
                                    "1 ",
                                    " 1 2",
                                    "1  2",
                                    "x 1",
                                    "1 x",
                                    "99999999 9999999999999999999",
                                    "18446744073709551615 1",
                                    "1 9223372036854775807",
                                    "1 12345678:9",
                                    "1 1234567/"};
  for (int i = 0; i < 2000; ++i) {
    std::string seq = std::to_string(rng() >> (rng() % 64));
    std::string ns = std::to_string(static_cast<std::int64_t>(rng() >> (1 + rng() % 63)));
    std::string tail = i % 3 == 0 ? "" : (i % 3 == 1 ? " padpad" : "\nmore");
    cases.push_back(seq + " " + (i % 5 == 0 ? "-" : "") + ns + tail);
  }
  for (std::string const& c : cases) {
    scanned_event e = fanout::parse_benchmark_data(c);
    found expected = with_from_chars(c);
    // 20-digit numbers, which from_chars may take, are refused: the benchmark's are far shorter.
    if (c.find_first_of(' ') == 20) continue;
    ASSERT_EQ(e.well_formed, std::get<2>(expected)) << c;
    if (e.well_formed) {
      ASSERT_EQ(found(e.seq, e.sent_ns, true), expected) << c;
    }
  }
}

// The body, chunked with the sizes given (hex sizes, one with an extension), then the last chunk.
std::string chunked(std::string_view body, std::vector<std::size_t> const& sizes) {
  std::string out;
  std::size_t at = 0;
  char head[32];
  for (std::size_t k = 0; at < body.size(); ++k) {
    std::size_t n = std::min(sizes[k % sizes.size()], body.size() - at);
    std::snprintf(head, sizeof head, k == 1 ? "%zX;ext=1\r\n" : "%zx\r\n", n);
    out.append(head).append(body.substr(at, n)).append("\r\n");
    at += n;
  }
  return out + "0\r\n\r\n";
}

TEST(ChunkedDecoder, GivesBackTheBodyAtEverySplit) {
  std::string body;
  for (int i = 0; i < 40; ++i) body += "data: " + std::to_string(i) + " 1 pad\n\n";
  std::string wire = chunked(body, {1, 17, 300, 64});
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    fanout::chunked_decoder d;
    std::string got;
    auto sink = [&](std::string_view piece) { got.append(piece); };
    ASSERT_TRUE(d.feed(std::string_view(wire).substr(0, cut), sink));
    // The stream is over once the last chunk's size line ("0\r\n") is in, trailers or not.
    EXPECT_EQ(d.ended(), cut >= wire.size() - 2) << cut;
    ASSERT_TRUE(d.feed(std::string_view(wire).substr(cut), sink));
    ASSERT_EQ(got, body) << "cut at " << cut;
    EXPECT_TRUE(d.ended());
  }
}

TEST(ChunkedDecoder, RejectsBrokenFraming) {
  for (std::string_view bad : {"zz\r\nab\r\n", "2\r\nabX\n", "2\nab\r\n", "\r\n"}) {
    fanout::chunked_decoder d;
    EXPECT_FALSE(d.feed(bad, [](std::string_view) {})) << bad;
  }
}

TEST(LatencyHistogram, PercentilesWithinOneSixtyFourth) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(14.0, 2.0);  // around a millisecond, wide
  std::vector<std::int64_t> samples;
  fanout::latency_histogram h;
  for (int i = 0; i < 100000; ++i) {
    auto v = static_cast<std::int64_t>(dist(rng));
    samples.push_back(v);
    h.add(v);
  }
  std::sort(samples.begin(), samples.end());
  ASSERT_EQ(h.count(), samples.size());
  EXPECT_EQ(h.max(), static_cast<std::uint64_t>(samples.back()));
  for (double q : {0.0, 0.5, 0.9, 0.99, 0.999, 1.0}) {
    auto exact = static_cast<double>(
        samples[static_cast<std::size_t>(q * static_cast<double>(samples.size() - 1))]);
    auto got = static_cast<double>(h.quantile(q));
    EXPECT_NEAR(got, exact, exact / 64 + 1) << "q " << q;
  }
}

TEST(LatencyHistogram, SmallValuesAreExactAndNegativeOnesZero) {
  fanout::latency_histogram h;
  h.add(-5);
  for (int i = 1; i <= 63; ++i) h.add(i);
  EXPECT_EQ(h.quantile(0.0), 0u);
  EXPECT_EQ(h.quantile(0.5), 31u);
  EXPECT_EQ(h.quantile(1.0), 63u);
}

}  // namespace
