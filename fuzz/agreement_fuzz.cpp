// Fuzzes the agreement loader (YAML → validated Agreement): any text gives either an agreement or
// FILE:LINE:COL diagnostics, never a crash; an accepted agreement can be summarised.
#include <cstdint>
#include <string_view>

#include "agreement/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // Keys are not read: an input may name any file (a FIFO would block) or variable.
  const accord::LoadResult result =
      accord::load_agreement(text, "fuzz.yaml", {.read_credentials = false});
  if (result.ok()) {
    (void)accord::summarize(*result.agreement);
  } else {
    if (result.messages().empty()) __builtin_trap();  // a refusal must say why
  }
  return 0;
}
