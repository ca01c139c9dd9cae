#include "keys/key_secret.h"

#include <array>
#include <cstdint>
#include <string_view>

#include "core/crypto.h"

namespace accord {

std::string new_api_key() {
  static constexpr std::string_view kAlphabet =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::array<uint8_t, 64> random{};
  random_bytes(random);
  std::string key = "sk-accord-";
  for (size_t i = 0; i < 32; ++i) {
    // Rejection sampling keeps every character equally likely.
    uint8_t r = random[i];
    size_t j = 32;
    while (r >= 248 && j < random.size()) r = random[j++];
    key.push_back(kAlphabet[r % 62]);
  }
  return key;
}

}  // namespace accord
