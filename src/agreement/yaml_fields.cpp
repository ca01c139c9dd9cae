#include "agreement/yaml_fields.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "core/decimal.h"
#include "core/rfc3339.h"

namespace accord::yaml {
namespace {

bool is_quoted(const YAML::Node& n) {
  return n.Tag() == "!";
}

bool looks_numeric(const YAML::Node& n) {
  if (!n.IsScalar() || is_quoted(n)) return false;
  double d = 0;
  return YAML::convert<double>::decode(n, d);
}

void expected(const YAML::Node& n, const std::string& path, std::string_view what,
              Diagnostics& diag) {
  diag.add(pos_of(n), fmt::format("{}: expected {}, got {}", path, what, describe(n)));
}

}  // namespace

SourcePos pos_of(const YAML::Node& node) {
  const YAML::Mark m = node.Mark();
  if (m.is_null()) return SourcePos{1, 1};
  return SourcePos{m.line + 1, m.column + 1};
}

std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Undefined:
      return "nothing";
    case YAML::NodeType::Scalar:
      break;
  }
  if (is_quoted(n)) return fmt::format("the string '{}'", n.Scalar());
  bool b = false;
  if (looks_numeric(n)) return fmt::format("the number {}", n.Scalar());
  if (YAML::convert<bool>::decode(n, b)) return fmt::format("the boolean {}", n.Scalar());
  return fmt::format("the string '{}'", n.Scalar());
}

std::optional<std::string> read_string(const YAML::Node& n, const std::string& path,
                                       Diagnostics& diag) {
  if (!n.IsScalar()) {
    expected(n, path, "a string", diag);
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<double> read_number(const YAML::Node& n, const std::string& path, Diagnostics& diag) {
  double d = 0;
  if (!n.IsScalar() || is_quoted(n) || !YAML::convert<double>::decode(n, d)) {
    expected(n, path, "a number", diag);
    return std::nullopt;
  }
  return d;
}

std::optional<int64_t> read_integer(const YAML::Node& n, const std::string& path,
                                    Diagnostics& diag) {
  if (!n.IsScalar() || is_quoted(n)) {
    expected(n, path, "an integer", diag);
    return std::nullopt;
  }
  const std::string& s = n.Scalar();
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    expected(n, path, "an integer", diag);
    return std::nullopt;
  }
  return v;
}

std::optional<bool> read_bool(const YAML::Node& n, const std::string& path, Diagnostics& diag) {
  if (n.IsScalar() && !is_quoted(n)) {
    if (n.Scalar() == "true") return true;
    if (n.Scalar() == "false") return false;
  }
  expected(n, path, "true or false", diag);
  return std::nullopt;
}

std::optional<int64_t> read_micros(const YAML::Node& n, const std::string& path,
                                   Diagnostics& diag) {
  if (!looks_numeric(n)) {
    expected(n, path, "a number", diag);
    return std::nullopt;
  }
  const auto v = parse_decimal_micros(n.Scalar());
  if (!v) {
    diag.add(pos_of(n), fmt::format("{}: {} is not a decimal with at most 6 fraction digits", path,
                                    n.Scalar()));
  }
  return v;
}

std::optional<UnixMillis> read_timestamp(const YAML::Node& n, const std::string& path,
                                         Diagnostics& diag) {
  if (!n.IsScalar()) {
    expected(n, path, "an RFC 3339 timestamp", diag);
    return std::nullopt;
  }
  const auto t = parse_rfc3339(n.Scalar());
  if (!t) {
    diag.add(pos_of(n), fmt::format("{}: '{}' is not an RFC 3339 timestamp (like "
                                    "2026-11-01T00:00:00Z)",
                                    path, n.Scalar()));
  }
  return t;
}

std::optional<std::vector<std::pair<std::string, YAML::Node>>> read_string_list(
    const YAML::Node& n, const std::string& path, Diagnostics& diag) {
  std::vector<std::pair<std::string, YAML::Node>> out;
  if (n.IsScalar()) {
    out.emplace_back(n.Scalar(), n);
    return out;
  }
  if (!n.IsSequence()) {
    expected(n, path, "a list", diag);
    return std::nullopt;
  }
  for (size_t i = 0; i < n.size(); ++i) {
    const YAML::Node item = n[i];
    if (auto s = read_string(item, fmt::format("{}[{}]", path, i), diag)) {
      out.emplace_back(std::move(*s), item);
    }
  }
  return out;
}

bool check_non_negative(double v, const YAML::Node& n, const std::string& path, Diagnostics& diag) {
  if (v >= 0) return true;
  diag.add(pos_of(n), fmt::format("{}: must not be negative (got {})", path, n.Scalar()));
  return false;
}

bool check_positive(double v, const YAML::Node& n, const std::string& path, Diagnostics& diag) {
  if (v > 0) return true;
  diag.add(pos_of(n), fmt::format("{}: must be greater than 0 (got {})", path, n.Scalar()));
  return false;
}

Fields::Fields(const YAML::Node& node, std::string path, Diagnostics& diag,
               std::initializer_list<std::string_view> known)
    : node_(node), path_(std::move(path)), diag_(diag) {
  if (!node.IsMap()) {
    diag.add(pos_of(node), fmt::format("{}: expected a mapping, got {}", path_, describe(node)));
    return;
  }
  ok_ = true;
  std::vector<std::string> seen;
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      diag.add(pos_of(kv.first), fmt::format("{}: unknown key", path_of(key)));
    } else if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      diag.add(pos_of(kv.first), fmt::format("{}: key given twice", path_of(key)));
    }
    seen.push_back(key);
  }
}

std::string Fields::path_of(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

YAML::Node Fields::get(std::string_view key) const {
  if (!ok_) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& kv : node_) {
    if (kv.first.Scalar() == key) return kv.second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

YAML::Node Fields::require(std::string_view key) const {
  YAML::Node n = get(key);
  if (ok_ && !n.IsDefined()) {
    diag_.add(pos(), fmt::format("{}: required key missing", path_of(key)));
  }
  return n;
}

std::optional<std::string> Fields::string(std::string_view key) const {
  const YAML::Node n = get(key);
  return n.IsDefined() ? read_string(n, path_of(key), diag_) : std::nullopt;
}

std::optional<double> Fields::number(std::string_view key) const {
  const YAML::Node n = get(key);
  return n.IsDefined() ? read_number(n, path_of(key), diag_) : std::nullopt;
}

std::optional<double> Fields::non_negative(std::string_view key) const {
  const YAML::Node n = get(key);
  if (!n.IsDefined()) return std::nullopt;
  auto v = read_number(n, path_of(key), diag_);
  if (v && !check_non_negative(*v, n, path_of(key), diag_)) return std::nullopt;
  return v;
}

std::optional<double> Fields::positive(std::string_view key) const {
  const YAML::Node n = get(key);
  if (!n.IsDefined()) return std::nullopt;
  auto v = read_number(n, path_of(key), diag_);
  if (v && !check_positive(*v, n, path_of(key), diag_)) return std::nullopt;
  return v;
}

std::optional<int64_t> Fields::integer(std::string_view key) const {
  const YAML::Node n = get(key);
  return n.IsDefined() ? read_integer(n, path_of(key), diag_) : std::nullopt;
}

std::optional<int64_t> Fields::non_negative_integer(std::string_view key) const {
  const YAML::Node n = get(key);
  if (!n.IsDefined()) return std::nullopt;
  auto v = read_integer(n, path_of(key), diag_);
  if (v && !check_non_negative(static_cast<double>(*v), n, path_of(key), diag_)) {
    return std::nullopt;
  }
  return v;
}

std::optional<bool> Fields::boolean(std::string_view key) const {
  const YAML::Node n = get(key);
  return n.IsDefined() ? read_bool(n, path_of(key), diag_) : std::nullopt;
}

std::optional<int64_t> Fields::micros(std::string_view key) const {
  const YAML::Node n = get(key);
  return n.IsDefined() ? read_micros(n, path_of(key), diag_) : std::nullopt;
}

std::optional<UnixMillis> Fields::timestamp(std::string_view key) const {
  const YAML::Node n = get(key);
  return n.IsDefined() ? read_timestamp(n, path_of(key), diag_) : std::nullopt;
}

}  // namespace accord::yaml
