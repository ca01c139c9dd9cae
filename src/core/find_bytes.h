// find_bytes(): where a short needle first occurs in a haystack. glibc's memmem is not vectorised
// and string_view::find runs memchr for each occurrence of the needle's first byte (JSON is full
// of quotes); this tests sixteen positions at a time for the needle's first and last bytes
// together (SSE2, every x86-64) and compares the rest only where both match.
#pragma once

#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace accord {

// Always inlined: with a constant needle the compiler hoists its bytes and turns the memcmp of its
// middle into a load and compare (out of line, the SSE relay ran 9k instructions more a stream).
[[gnu::always_inline]] inline size_t find_bytes(std::string_view haystack,
                                                std::string_view needle) {
  const size_t k = needle.size();
  if (k == 0) return 0;
  if (haystack.size() < k) return std::string_view::npos;
  const char* const h = haystack.data();
  size_t i = 0;
#if defined(__SSE2__)
  if (k >= 2) {
    const __m128i first = _mm_set1_epi8(needle.front());
    const __m128i last = _mm_set1_epi8(needle.back());
    for (; i + (k - 1) + 16 <= haystack.size(); i += 16) {
      const __m128i at_first = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i));
      const __m128i at_last = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i + k - 1));
      auto mask = static_cast<unsigned>(_mm_movemask_epi8(
          _mm_and_si128(_mm_cmpeq_epi8(at_first, first), _mm_cmpeq_epi8(at_last, last))));
      while (mask != 0) {
        const auto bit = static_cast<size_t>(__builtin_ctz(mask));
        if (std::memcmp(h + i + bit + 1, needle.data() + 1, k - 2) == 0) return i + bit;
        mask &= mask - 1;
      }
    }
  }
#endif
  for (; i + k <= haystack.size(); ++i) {
    if (h[i] == needle.front() && std::memcmp(h + i, needle.data(), k) == 0) return i;
  }
  return std::string_view::npos;
}

}  // namespace accord
