// Cutting a fuzz input into chunks: the shared part of the targets that check that a result does
// not depend on how a stream arrives.
#ifndef SSE_TESTS_FUZZ_CHUNKING_HPP
#define SSE_TESTS_FUZZ_CHUNKING_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sse::fuzz {

// Calls feed(chunk) for consecutive chunks of input: the whole input at once when seed is 0,
// otherwise chunks of 1..max_chunk bytes drawn from a xorshift PRNG seeded with seed. Each chunk
// is an exactly-sized heap copy, so a read past it is caught by ASan. feed returns false to stop.
template <typename Feed>
void for_each_chunk(std::string_view input, std::uint32_t seed, std::size_t max_chunk,
                    Feed&& feed) {
  std::size_t pos = 0;
  std::uint32_t state = seed | 1;
  while (pos < input.size()) {
    std::size_t n = input.size() - pos;
    if (seed != 0) {
      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
      n = std::min<std::size_t>(n, 1 + state % max_chunk);
    }
    auto* chunk = new char[n];
    std::copy(input.data() + pos, input.data() + pos + n, chunk);
    bool const go_on = feed(std::string_view(chunk, n));
    delete[] chunk;
    if (!go_on) return;
    pos += n;
  }
}

}  // namespace sse::fuzz

#endif
