// YAML agreement file → validated, immutable Agreement. Every problem found is reported (not only
// the first), each as FILE:LINE:COL: message naming the key.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agreement/agreement.h"
#include "agreement/diagnostics.h"

namespace accord {

struct LoadResult {
  std::shared_ptr<const Agreement> agreement;  // null when there are errors
  std::string source;
  Diagnostics diagnostics;

  bool ok() const { return agreement != nullptr; }
  std::vector<std::string> messages() const { return diagnostics.format(source); }
};

struct LoadOptions {
  // Read the upstreams' keys (agreement/credentials.h) and report those that cannot be read: for
  // `accord check` and serving. Reports, plans and simulations send nothing upstream and leave
  // it off, so they run where the keys are not.
  bool read_credentials = true;
};

LoadResult load_agreement(std::string_view yaml_text, const std::string& source_name,
                          const LoadOptions& options = {});
LoadResult load_agreement_file(const std::string& path, const LoadOptions& options = {});

// "3 parties, 2 tiers, 2 models, 2 pools, 1 reservation, 4 keys".
std::string summarize(const Agreement& agreement);

}  // namespace accord
