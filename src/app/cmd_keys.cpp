#include <fmt/format.h>

#include <array>

#include "agreement/loader.h"
#include "app/commands.h"
#include "core/crypto.h"
#include "keys/key_secret.h"

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
  const std::string key = new_api_key();
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
