// Problems found in an agreement file, each with its position: printed as FILE:LINE:COL: message.
#pragma once

#include <string>
#include <vector>

namespace accord {

struct SourcePos {
  int line = 1;    // 1-based
  int column = 1;  // 1-based
};

struct Diagnostic {
  SourcePos pos;
  std::string message;  // names the key: "models.frontier-2.pool: unknown pool 'x'"
};

class Diagnostics {
 public:
  void add(SourcePos pos, std::string message) { items_.push_back({pos, std::move(message)}); }
  bool empty() const { return items_.empty(); }
  const std::vector<Diagnostic>& items() const { return items_; }
  // Sorted by position, one line each, "FILE:LINE:COL: message".
  std::vector<std::string> format(const std::string& file) const;

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace accord
