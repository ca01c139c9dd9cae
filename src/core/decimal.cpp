#include "core/decimal.h"

#include <limits>

namespace accord {

std::optional<int64_t> parse_decimal_micros(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool negative = false;
  size_t i = 0;
  if (s[0] == '-' || s[0] == '+') {
    negative = s[0] == '-';
    i = 1;
  }
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / 10;
  int64_t whole = 0;
  size_t digits = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
    if (whole > kMax / kMicrosPerUnit) return std::nullopt;
    whole = whole * 10 + (s[i] - '0');
  }
  int64_t fraction = 0;
  int64_t scale = kMicrosPerUnit / 10;
  if (i < s.size() && s[i] == '.') {
    ++i;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
      if (scale == 0) {
        if (s[i] != '0') return std::nullopt;  // finer than a millionth
        continue;
      }
      fraction += (s[i] - '0') * scale;
      scale /= 10;
    }
  }
  if (i != s.size() || digits == 0) return std::nullopt;
  const int64_t value = whole * kMicrosPerUnit + fraction;
  return negative ? -value : value;
}

std::string format_micros(int64_t micros) {
  const bool negative = micros < 0;
  const uint64_t v = negative ? -static_cast<uint64_t>(micros) : static_cast<uint64_t>(micros);
  std::string out = std::to_string(v / kMicrosPerUnit);
  uint64_t fraction = v % kMicrosPerUnit;
  if (fraction != 0) {
    std::string digits = std::to_string(fraction + kMicrosPerUnit).substr(1);  // 6 digits
    while (digits.back() == '0') digits.pop_back();
    out += '.';
    out += digits;
  }
  return negative ? "-" + out : out;
}

}  // namespace accord
