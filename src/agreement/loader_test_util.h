// Shared by the loader's tests: a minimal agreement to vary, and a temporary file.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "agreement/loader.h"

namespace accord::loader_test {

// A minimal valid agreement: only the three required sections.
inline constexpr const char* kMinimal = R"(parties:
  lab: { role: provider }
  acme: { role: customer, tier: standard }
tiers:
  standard: { weight: 1 }
models:
  m1: { owner: lab, pool: p1 }
pools:
  p1: { engine: builtin, gpu: h100, gpus: 1, model_params_b: 8 }
)";

inline std::vector<std::string> errors_of(const std::string& yaml) {
  return load_agreement(yaml, "a.yaml").messages();
}

// kMinimal with pool p1 replaced by `pool` (a flow mapping).
inline std::string with_pool(const std::string& pool) {
  std::string y = kMinimal;
  y.replace(y.find("{ engine: builtin, gpu: h100, gpus: 1, model_params_b: 8 }"), 58, pool);
  return y;
}

// A file in the temporary directory holding `text`, removed with the object.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    std::string pattern = (std::filesystem::temp_directory_path() / "accord-ca-XXXXXX").string();
    const int fd = mkstemp(pattern.data());
    path_ = pattern;
    std::ofstream(path_, std::ios::binary) << text;
    close(fd);
  }
  ~TempFile() { std::filesystem::remove(path_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace accord::loader_test
