#include "agreement/diagnostics.h"

#include <fmt/format.h>

#include <algorithm>

namespace accord {

std::vector<std::string> Diagnostics::format(const std::string& file) const {
  std::vector<Diagnostic> sorted = items_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.pos.line != b.pos.line ? a.pos.line < b.pos.line : a.pos.column < b.pos.column;
  });
  std::vector<std::string> lines;
  lines.reserve(sorted.size());
  for (const Diagnostic& d : sorted) {
    lines.push_back(fmt::format("{}:{}:{}: {}", file, d.pos.line, d.pos.column, d.message));
  }
  return lines;
}

}  // namespace accord
