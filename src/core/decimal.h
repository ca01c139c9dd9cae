// Exact decimal → integer conversion for money and shares, never through floating point:
// "2.50" USD per million tokens is 2'500'000 micro-dollars, "0.8" of revenue is 800'000 ppm.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace accord {

constexpr int64_t kMicrosPerUnit = 1'000'000;

// Parses an unsigned or signed decimal ("12", "-0.5", "2.50", "1e3" is rejected) and returns it
// multiplied by 10^6, exactly. nullopt when it is not a decimal, has more than six fraction
// digits that are not zero, or overflows.
std::optional<int64_t> parse_decimal_micros(std::string_view text);

// The inverse: 2'500'000 → "2.5", -1 → "-0.000001", 3'000'000 → "3".
std::string format_micros(int64_t micros);

}  // namespace accord
