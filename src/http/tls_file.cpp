#include "http/tls_file.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

namespace accord {

Result<std::string> read_tls_file(const std::string& path) {
  auto cannot_read = [&path](int error) {
    return Error::client(ErrorKind::kInvalidRequest,
                         fmt::format("cannot read {}: {}", path,
                                     std::error_code(error, std::generic_category()).message()));
  };
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return cannot_read(errno);
  std::string text;
  char buf[8192];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  const int error = std::ferror(f) != 0 ? errno : 0;
  std::fclose(f);
  if (error != 0) return cannot_read(error);
  return text;
}

}  // namespace accord
