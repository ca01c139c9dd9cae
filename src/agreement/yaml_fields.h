// Reading YAML with positions: typed scalar readers that report "path: expected a number, got a
// string" at the value's line and column, and Fields, which walks one mapping and reports unknown
// and duplicate keys. Used only by the agreement loader (never on the request path).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agreement/diagnostics.h"
#include "core/clock.h"

namespace accord::yaml {

SourcePos pos_of(const YAML::Node& node);
// "a mapping", "a list", "a string", "a number", "a boolean", "null".
std::string describe(const YAML::Node& node);

std::optional<std::string> read_string(const YAML::Node& n, const std::string& path,
                                       Diagnostics& diag);
std::optional<double> read_number(const YAML::Node& n, const std::string& path, Diagnostics& diag);
std::optional<int64_t> read_integer(const YAML::Node& n, const std::string& path,
                                    Diagnostics& diag);
std::optional<bool> read_bool(const YAML::Node& n, const std::string& path, Diagnostics& diag);
// A decimal number scaled by 10^6 without floating point ("2.50" → 2'500'000).
std::optional<int64_t> read_micros(const YAML::Node& n, const std::string& path, Diagnostics& diag);
std::optional<UnixMillis> read_timestamp(const YAML::Node& n, const std::string& path,
                                         Diagnostics& diag);
// A list of strings, or a single string taken as a list of one.
std::optional<std::vector<std::pair<std::string, YAML::Node>>> read_string_list(
    const YAML::Node& n, const std::string& path, Diagnostics& diag);

// Reports "path: must not be negative" (or "must be greater than 0") and returns false.
bool check_non_negative(double v, const YAML::Node& n, const std::string& path, Diagnostics& diag);
bool check_positive(double v, const YAML::Node& n, const std::string& path, Diagnostics& diag);

// One YAML mapping being read. The constructor reports a node that is not a mapping, keys not in
// `known`, and keys given twice; get() then hands out the values.
class Fields {
 public:
  Fields(const YAML::Node& node, std::string path, Diagnostics& diag,
         std::initializer_list<std::string_view> known);

  bool ok() const { return ok_; }
  const std::string& path() const { return path_; }
  SourcePos pos() const { return pos_of(node_); }
  std::string path_of(std::string_view key) const;

  // The value, or an undefined node when absent.
  YAML::Node get(std::string_view key) const;
  bool has(std::string_view key) const { return get(key).IsDefined(); }
  // Reports "path.key: required key missing" when absent.
  YAML::Node require(std::string_view key) const;

  std::optional<std::string> string(std::string_view key) const;
  std::optional<double> number(std::string_view key) const;
  std::optional<double> non_negative(std::string_view key) const;
  std::optional<double> positive(std::string_view key) const;
  std::optional<int64_t> integer(std::string_view key) const;
  std::optional<int64_t> non_negative_integer(std::string_view key) const;
  std::optional<bool> boolean(std::string_view key) const;
  std::optional<int64_t> micros(std::string_view key) const;
  std::optional<UnixMillis> timestamp(std::string_view key) const;

 private:
  YAML::Node node_;
  std::string path_;
  Diagnostics& diag_;
  bool ok_ = false;
};

}  // namespace accord::yaml
