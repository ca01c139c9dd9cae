#include <fmt/format.h>

#include <array>

#include "agreement/loader.h"
#include "app/commands.h"
#include "core/crypto.h"

namespace accord {

int run_keys_new(const KeysNewOptions& o) {
  if (!o.config.empty()) {
    const LoadResult loaded = load_agreement_file(o.config, {.read_credentials = false});
    if (!loaded.ok()) {
      for (const std::string& line : loaded.messages()) fmt::print(stderr, "{}\n", line);
      return 1;
    }
    if (!loaded.agreement->find_party(o.party)) {
      fmt::print(stderr, "{}: no party '{}'\n", o.config, o.party);
      return 1;
    }
  }
  // 32 random bytes in base62: about 190 bits, well beyond guessing.
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
  std::array<uint8_t, 3> suffix{};
  random_bytes(suffix);
  const std::string id = o.id.empty() ? fmt::format("{}-{}", o.party, to_hex(suffix)) : o.id;
  fmt::print("# The key, shown this once (give it to {}; accord stores only its hash):\n{}\n\n",
             o.party, key);
  fmt::print(
      "# Paste under `keys:` in the agreement:\n  - {{ id: {}, party: {}, sha256: \"{}\" }}\n", id,
      o.party, to_hex(sha256(key)));
  return 0;
}

}  // namespace accord
