#include "agreement/credentials.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <system_error>

namespace accord {
namespace {

// A key is a token, not a document: a file much larger than any key is the wrong file.
constexpr size_t kMaxKeyBytes = size_t{64} * 1024;

Error credential_error(const UpstreamCredential& c, std::string problem) {
  return Error::internal(ErrorKind::kInvalidRequest, fmt::format("{}: {}", c.key, problem));
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// The file's whole content, or why it cannot be read (errno's text: never the content).
Result<std::string> read_key_file(const UpstreamCredential& c) {
  auto cannot_read = [&c](int error) {
    return credential_error(c,
                            fmt::format("cannot read {}: {}", c.file,
                                        std::error_code(error, std::generic_category()).message()));
  };
  // Not a FIFO or a device, which could block a load or never end.
  struct stat st {};
  if (::stat(c.file.c_str(), &st) != 0) return cannot_read(errno);
  if (!S_ISREG(st.st_mode)) return credential_error(c, c.file + " is not a regular file");
  std::FILE* f = std::fopen(c.file.c_str(), "rb");
  if (f == nullptr) return cannot_read(errno);
  std::string text;
  char buf[4096];
  size_t n = 0;
  while (text.size() <= kMaxKeyBytes && (n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    text.append(buf, n);
  }
  const int error = std::ferror(f) != 0 ? errno : 0;
  std::fclose(f);
  if (error != 0) return cannot_read(error);
  if (text.size() > kMaxKeyBytes) {
    return credential_error(
        c, fmt::format("{} is larger than {} KiB: not a key", c.file, kMaxKeyBytes / 1024));
  }
  return text;
}

}  // namespace

Result<std::string> read_credential(const UpstreamCredential& c) {
  if (c.empty()) return std::string();
  std::string raw;
  std::string where;
  if (!c.env.empty()) {
    const char* value = std::getenv(c.env.c_str());
    if (value == nullptr) {
      return credential_error(c, fmt::format("environment variable {} is not set", c.env));
    }
    raw = value;
    where = "environment variable " + c.env;
  } else {
    auto read = read_key_file(c);
    if (!read.ok()) return read.take_error();
    raw = std::move(read.value());
    where = c.file;
  }
  const std::string_view key = trimmed(raw);
  if (key.empty()) return credential_error(c, fmt::format("{} is empty", where));
  for (const char ch : key) {
    const auto u = static_cast<unsigned char>(ch);
    if (u < 0x20 || u == 0x7f) {
      return credential_error(
          c, fmt::format("{} holds a control character, which a header cannot carry", where));
    }
  }
  return std::string(key);
}

void check_credentials(const Agreement& agreement, Diagnostics& diagnostics) {
  std::set<std::string> checked;  // a pool's credential, shared by its endpoints, is read once
  for (const Pool& pool : agreement.pools) {
    for (const UpstreamEndpoint& e : pool.upstreams) {
      if (e.credential.empty() || !checked.insert(e.credential.key).second) continue;
      auto key = read_credential(e.credential);
      if (!key.ok()) diagnostics.add(e.credential.pos, key.error().message);
    }
  }
}

}  // namespace accord
