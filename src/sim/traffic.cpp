#include "sim/traffic.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <numbers>
#include <random>

#include "core/rfc3339.h"
#include "core/strings.h"
#include "policy/entitle.h"

namespace accord {
namespace {

// A prompt or an output longer than any model's context is a mistake in the input.
constexpr int64_t kMaxTokens = 10'000'000;

// "2023-11-16 18:15:46.6805900" → Unix seconds; or a plain number of seconds.
std::optional<double> parse_time(std::string_view s) {
  double seconds = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), seconds);
  if (ec == std::errc() && end == s.data() + s.size()) {
    if (!std::isfinite(seconds)) return std::nullopt;  // "nan", "inf"
    return seconds;
  }
  if (s.size() < 19) return std::nullopt;
  std::string rfc(s.substr(0, 19));
  rfc[10] = 'T';
  const auto ms = parse_rfc3339(rfc + "Z");
  if (!ms) return std::nullopt;
  double frac = 0;
  if (s.size() > 20 && s[19] == '.') {
    double scale = 0.1;
    for (char c : s.substr(20)) {
      if (c < '0' || c > '9') return std::nullopt;
      frac += (c - '0') * scale;
      scale /= 10;
    }
  }
  return static_cast<double>(*ms) / 1000.0 + frac;
}

}  // namespace

ModelId first_callable_model(const Agreement& a, PartyId party, UnixMillis now) {
  for (size_t m = 0; m < a.models.size(); ++m) {
    if (a.models[m].kind == ModelKind::kEmbedding) continue;
    if (entitlement(a, party, static_cast<ModelId>(m), now) == Entitlement::kAllowed) {
      return static_cast<ModelId>(m);
    }
  }
  return kNone;
}

Result<std::vector<Arrival>> load_trace(const std::string& path, const Agreement& a,
                                        const TraceOptions& options) {
  std::ifstream in(path);
  if (!in) return Error::client(ErrorKind::kInvalidRequest, fmt::format("{}: cannot read", path));
  return read_trace(in, path, a, options);
}

Result<std::vector<Arrival>> read_trace(std::istream& in, const std::string& path,
                                        const Agreement& a, const TraceOptions& options) {
  auto fail = [&](int line, const std::string& message) -> Error {
    return Error::client(ErrorKind::kInvalidRequest,
                         line > 0 ? fmt::format("{}:{}: {}", path, line, message) : message);
  };
  std::string line;
  if (!std::getline(in, line)) return fail(1, "empty trace");
  const auto header = split_string(line, ',');
  int col_time = -1, col_in = -1, col_out = -1, col_party = -1, col_model = -1, col_max = -1;
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string_view h = header[i];
    const int c = static_cast<int>(i);
    if (h == "TIMESTAMP" || h == "timestamp") col_time = c;
    if (h == "ContextTokens" || h == "prompt_tokens") col_in = c;
    if (h == "GeneratedTokens" || h == "output_tokens") col_out = c;
    if (h == "party") col_party = c;
    if (h == "model") col_model = c;
    if (h == "max_tokens") col_max = c;
  }
  if (col_time < 0 || col_in < 0 || col_out < 0) {
    return fail(1, "the header must name TIMESTAMP, ContextTokens and GeneratedTokens");
  }
  // Who gets the rows that name no party.
  std::vector<std::pair<PartyId, ModelId>> targets;
  std::vector<double> weights;
  if (options.party_map.empty()) {
    for (size_t p = 0; p < a.parties.size(); ++p) {
      if (a.parties[p].role != PartyRole::kCustomer) continue;
      const ModelId m = first_callable_model(a, static_cast<PartyId>(p), options.start);
      if (m != kNone) targets.emplace_back(static_cast<PartyId>(p), m), weights.push_back(1);
    }
  } else {
    for (const auto& [name, weight] : options.party_map) {
      const auto p = a.find_party(name);
      if (!p) return fail(0, fmt::format("--party-map: no party '{}' in the agreement", name));
      const ModelId m = first_callable_model(a, *p, options.start);
      if (m == kNone) return fail(0, fmt::format("--party-map: '{}' may call no model", name));
      targets.emplace_back(*p, m);
      weights.push_back(weight);
    }
  }
  std::mt19937_64 rng(options.seed);
  std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
  const bool round_robin = options.party_map.empty();
  size_t next_target = 0;
  std::vector<Arrival> out;
  double t0 = NAN;
  for (int n = 2; std::getline(in, line); ++n) {
    if (line.empty() || line == "\r") continue;
    const auto f = split_string(line, ',');
    const size_t need =
        static_cast<size_t>(std::max({col_time, col_in, col_out, col_party, col_model, col_max}));
    if (f.size() <= need) return fail(n, fmt::format("expected {} fields", need + 1));
    const auto t = parse_time(f[static_cast<size_t>(col_time)]);
    if (!t) return fail(n, fmt::format("bad timestamp '{}'", f[static_cast<size_t>(col_time)]));
    Arrival r;
    int64_t in_tokens = 0, out_tokens = 0;
    const auto in_f = f[static_cast<size_t>(col_in)], out_f = f[static_cast<size_t>(col_out)];
    if (std::from_chars(in_f.data(), in_f.data() + in_f.size(), in_tokens).ec != std::errc() ||
        std::from_chars(out_f.data(), out_f.data() + out_f.size(), out_tokens).ec != std::errc() ||
        in_tokens < 0 || out_tokens < 0 || in_tokens > kMaxTokens || out_tokens > kMaxTokens) {
      return fail(n, fmt::format("token counts must be integers from 0 to {}", kMaxTokens));
    }
    if (std::isnan(t0)) t0 = *t;
    r.time = (*t - t0) / options.rate_scale;
    r.prompt_tokens = static_cast<int32_t>(std::max<int64_t>(1, in_tokens));
    r.output_tokens = static_cast<int32_t>(std::max<int64_t>(1, out_tokens));
    if (col_max >= 0 && !f[static_cast<size_t>(col_max)].empty()) {  // empty: it sent none
      const auto m = f[static_cast<size_t>(col_max)];
      int64_t max_tokens = 0;
      if (std::from_chars(m.data(), m.data() + m.size(), max_tokens).ec != std::errc() ||
          max_tokens < 1 || max_tokens > kMaxTokens) {
        return fail(n,
                    fmt::format("max_tokens must be empty or an integer from 1 to {}", kMaxTokens));
      }
      r.max_tokens = static_cast<int32_t>(max_tokens);
      r.output_tokens = std::min(r.output_tokens, r.max_tokens);
    }
    if (col_party >= 0 && !f[static_cast<size_t>(col_party)].empty()) {
      const auto p = a.find_party(f[static_cast<size_t>(col_party)]);
      if (!p) {
        return fail(
            n, fmt::format("no party '{}' in the agreement", f[static_cast<size_t>(col_party)]));
      }
      r.party = *p;
      if (col_model >= 0 && !f[static_cast<size_t>(col_model)].empty()) {
        const auto m = a.find_model(f[static_cast<size_t>(col_model)]);
        if (!m) {
          return fail(
              n, fmt::format("no model '{}' in the agreement", f[static_cast<size_t>(col_model)]));
        }
        r.model = *m;
      } else {
        r.model = first_callable_model(a, r.party, options.start);
        if (r.model == kNone)
          return fail(n, fmt::format("party '{}' may call no model", a.parties[r.party].name));
      }
    } else {
      if (targets.empty()) return fail(n, "no customer party may call a model");
      const size_t i = round_robin ? next_target++ % targets.size() : pick(rng);
      r.party = targets[i].first;
      r.model = targets[i].second;
    }
    out.push_back(r);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Arrival& x, const Arrival& y) { return x.time < y.time; });
  return out;
}

namespace {

struct LengthSpec {
  std::string distribution = "exponential";  // exponential | constant | lognormal | uniform
  double mean = 256;
  double sigma = 1.0;  // lognormal
  int64_t min = 1;
  int64_t max = 32768;
};

Result<LengthSpec> length_spec(const YAML::Node& n, const std::string& where) {
  LengthSpec s;
  if (!n) return s;
  try {
    if (n.IsScalar()) {
      s.distribution = "constant";
      s.mean = n.as<double>();
      return s;
    }
    if (n["distribution"]) s.distribution = n["distribution"].as<std::string>();
    if (n["mean"]) s.mean = n["mean"].as<double>();
    if (n["sigma"]) s.sigma = n["sigma"].as<double>();
    if (n["min"]) s.min = n["min"].as<int64_t>();
    if (n["max"]) s.max = n["max"].as<int64_t>();
  } catch (const YAML::Exception& e) {
    return Error::client(ErrorKind::kInvalidRequest, fmt::format("{}: {}", where, e.what()));
  }
  if (!(s.mean > 0) || s.mean > kMaxTokens || s.min < 1 || s.max < s.min || s.max > kMaxTokens ||
      !(s.sigma >= 0) || s.sigma > 10) {
    return Error::client(ErrorKind::kInvalidRequest,
                         fmt::format("{}: needs 0 < mean <= {}, 1 <= min <= max <= {} and sigma in "
                                     "[0, 10]",
                                     where, kMaxTokens, kMaxTokens));
  }
  if (s.distribution != "exponential" && s.distribution != "constant" &&
      s.distribution != "lognormal" && s.distribution != "uniform") {
    return Error::client(ErrorKind::kInvalidRequest,
                         fmt::format("{}: distribution must be exponential, constant, lognormal "
                                     "or uniform",
                                     where));
  }
  return s;
}

int32_t draw(const LengthSpec& s, std::mt19937_64& rng) {
  double v = s.mean;
  if (s.distribution == "exponential") {
    v = std::exponential_distribution<double>(1.0 / s.mean)(rng);
  } else if (s.distribution == "lognormal") {
    // Mean of a lognormal is exp(mu + sigma²/2).
    const double mu = std::log(s.mean) - s.sigma * s.sigma / 2;
    v = std::lognormal_distribution<double>(mu, s.sigma)(rng);
  } else if (s.distribution == "uniform") {
    v = std::uniform_real_distribution<double>(static_cast<double>(s.min),
                                               2 * s.mean - static_cast<double>(s.min))(rng);
  }
  return static_cast<int32_t>(std::clamp<int64_t>(std::llround(v), s.min, s.max));
}

}  // namespace

Result<std::vector<Arrival>> load_traffic(const std::string& path, const Agreement& a,
                                          double duration_s, uint64_t seed, UnixMillis start) {
  std::ifstream in(path);
  if (!in) return Error::client(ErrorKind::kInvalidRequest, fmt::format("{}: cannot read", path));
  return read_traffic(in, path, a, duration_s, seed, start);
}

namespace {

// More arrivals than this is a mistake in the file (10 million take about 40 s to simulate).
constexpr double kMaxTrafficArrivals = 50e6;

Result<std::vector<Arrival>> generate_traffic(const YAML::Node& root, const std::string& path,
                                              const Agreement& a, double duration_s, uint64_t seed,
                                              UnixMillis start) {
  auto fail = [&](const std::string& m) {
    return Error::client(ErrorKind::kInvalidRequest, fmt::format("{}: {}", path, m));
  };
  if (!root.IsMap()) return fail("a traffic file is a map with a parties: map");
  if (duration_s <= 0) duration_s = root["duration_s"] ? root["duration_s"].as<double>() : 60;
  if (!(duration_s > 0) || !std::isfinite(duration_s)) return fail("duration_s must be > 0");
  if (root["seed"]) seed = root["seed"].as<uint64_t>();
  if (!root["parties"] || !root["parties"].IsMap()) return fail("needs a parties: map");
  std::vector<Arrival> out;
  uint64_t stream = 0;
  double expected_arrivals = 0;
  for (const auto& entry : root["parties"]) {
    const std::string name = entry.first.as<std::string>();
    const YAML::Node& p = entry.second;
    const std::string where = fmt::format("parties.{}", name);
    const auto party = a.find_party(name);
    if (!party) return fail(fmt::format("{}: no such party in the agreement", where));
    ModelId model = kNone;
    if (p["model"]) {
      const auto m = a.find_model(p["model"].as<std::string>());
      if (!m) return fail(fmt::format("{}.model: no such model", where));
      model = *m;
    } else {
      model = first_callable_model(a, *party, start);
      if (model == kNone) return fail(fmt::format("{}: the party may call no model", where));
    }
    const double rate = p["rate_per_s"] ? p["rate_per_s"].as<double>() : 0;
    if (!(rate > 0) || !std::isfinite(rate)) {
      return fail(fmt::format("{}.rate_per_s must be > 0", where));
    }
    const std::string arrivals = p["arrivals"] ? p["arrivals"].as<std::string>() : "poisson";
    if (arrivals != "poisson" && arrivals != "bursty" && arrivals != "uniform") {
      return fail(fmt::format("{}.arrivals must be poisson, bursty or uniform", where));
    }
    const double burst_factor = p["burst_factor"] ? p["burst_factor"].as<double>() : 4;
    const double burst_period = p["burst_period_s"] ? p["burst_period_s"].as<double>() : 10;
    if (!(burst_factor >= 1 && burst_factor <= 1000)) {
      return fail(fmt::format("{}.burst_factor must be in [1, 1000]", where));
    }
    if (!(burst_period > 0) || !std::isfinite(burst_period)) {
      return fail(fmt::format("{}.burst_period_s must be > 0", where));
    }
    double amplitude = 0, period = 86400, peak = 14 * 3600;
    if (const YAML::Node& d = p["daily_cycle"]) {
      amplitude = d["amplitude"] ? d["amplitude"].as<double>() : 0.5;
      if (d["period_s"]) period = d["period_s"].as<double>();
      if (d["peak_s"]) peak = d["peak_s"].as<double>();
      if (!(amplitude >= 0 && amplitude < 1)) {
        return fail(fmt::format("{}.daily_cycle.amplitude must be in [0, 1)", where));
      }
      if (!(period > 0) || !std::isfinite(period) || !std::isfinite(peak)) {
        return fail(fmt::format("{}.daily_cycle: period_s must be > 0 and peak_s finite", where));
      }
    }
    // Thinning draws candidates at the bound's rate: that many draws, whatever is kept.
    expected_arrivals +=
        rate * (1 + amplitude) * (arrivals == "bursty" ? burst_factor : 1) * duration_s;
    if (expected_arrivals > kMaxTrafficArrivals) {
      return fail(fmt::format("more than {:.0f} million arrivals: lower rate_per_s or duration_s",
                              kMaxTrafficArrivals / 1e6));
    }
    auto prompt = length_spec(p["prompt_tokens"], where + ".prompt_tokens");
    if (!prompt.ok()) return fail(prompt.error().message);
    auto output = length_spec(p["output_tokens"], where + ".output_tokens");
    if (!output.ok()) return fail(output.error().message);
    int32_t max_tokens = 0;  // "none" (the default): the requests send no max_tokens
    if (p["max_tokens"] && p["max_tokens"].as<std::string>() != "none") {
      const auto m = p["max_tokens"].as<int64_t>();
      if (m < 1 || m > kMaxTokens) {
        return fail(fmt::format("{}.max_tokens must be none or an integer from 1 to {}", where,
                                kMaxTokens));
      }
      max_tokens = static_cast<int32_t>(m);
    }
    ServiceTier tier = ServiceTier::kDefault;
    if (p["service_tier"]) {
      const std::string t = p["service_tier"].as<std::string>();
      if (t == "priority") {
        tier = ServiceTier::kPriority;
      } else if (t == "flex") {
        tier = ServiceTier::kFlex;
      } else if (t != "default") {
        return fail(fmt::format("{}.service_tier must be default, priority or flex", where));
      }
    }
    std::mt19937_64 rng(seed * 1'000'003 + stream++);
    // The instantaneous rate, and its bound for thinning.
    auto rate_at = [&](double t) {
      double r = rate * (1 + amplitude * std::cos(2 * std::numbers::pi * (t - peak) / period));
      if (arrivals == "bursty") {
        const double phase = std::fmod(t, burst_period) / burst_period;
        r *= phase < 1.0 / burst_factor ? burst_factor : 0.0;
      }
      return r;
    };
    const double bound = rate * (1 + amplitude) * (arrivals == "bursty" ? burst_factor : 1);
    std::exponential_distribution<double> gap(bound);
    std::uniform_real_distribution<double> u(0, 1);
    for (double t = arrivals == "uniform" ? 0.5 / rate : gap(rng); t < duration_s;) {
      if (arrivals == "uniform" || u(rng) * bound <= rate_at(t)) {
        Arrival r{t, *party, model, draw(*prompt, rng), draw(*output, rng), max_tokens, tier};
        if (max_tokens > 0) r.output_tokens = std::min(r.output_tokens, max_tokens);
        out.push_back(r);
      }
      t += arrivals == "uniform" ? 1.0 / rate : gap(rng);
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Arrival& x, const Arrival& y) { return x.time < y.time; });
  return out;
}

}  // namespace

Result<std::vector<Arrival>> read_traffic(std::istream& in, const std::string& path,
                                          const Agreement& a, double duration_s, uint64_t seed,
                                          UnixMillis start) {
  // yaml-cpp reports a bad file, and a value of the wrong type, by throwing.
  try {
    return generate_traffic(YAML::Load(in), path, a, duration_s, seed, start);
  } catch (const YAML::Exception& e) {
    return Error::client(
        ErrorKind::kInvalidRequest,
        fmt::format("{}:{}:{}: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
}

}  // namespace accord
