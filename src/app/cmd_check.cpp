#include <fmt/format.h>

#include "agreement/loader.h"
#include "app/commands.h"

namespace accord {

int run_check(const std::string& path) {
  const LoadResult loaded = load_agreement_file(path);
  if (!loaded.ok()) {
    for (const std::string& line : loaded.messages()) fmt::print(stderr, "{}\n", line);
    return 1;
  }
  fmt::print("{}: OK ({})\n", path, summarize(*loaded.agreement));
  return 0;
}

}  // namespace accord
