// Fuzzes the simulator's inputs against the demo agreement: a trace CSV (first byte even) or a
// traffic YAML file (odd). Either gives arrivals or a FILE:LINE error, never a crash.
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "agreement/loader.h"
#include "sim/traffic.h"

namespace {

const accord::Agreement& demo() {
  static const accord::LoadResult loaded = [] {
    accord::LoadResult r = accord::load_agreement_file(ACCORD_DEMO_AGREEMENT);
    if (!r.ok()) std::abort();
    return r;
  }();
  return *loaded.agreement;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  if (data[0] % 2 == 0) {
    accord::TraceOptions options;
    options.rate_scale = 1 + data[0] % 7;
    (void)accord::read_trace(in, "fuzz.csv", demo(), options);
  } else {
    (void)accord::read_traffic(in, "fuzz.yaml", demo(), 0, 1, 0);
  }
  return 0;
}
