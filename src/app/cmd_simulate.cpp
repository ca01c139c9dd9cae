// accord simulate: the agreement's own schedulers, limits and engine models on a trace or a
// traffic file, in virtual time.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "agreement/loader.h"
#include "app/commands.h"
#include "core/clock.h"
#include "core/rfc3339.h"
#include "core/strings.h"
#include "sim/sim_report.h"
#include "sim/simulator.h"
#include "sim/traffic.h"

namespace accord {
namespace {

// A progress bar on stderr, shown only once a run has taken more than a second.
class Progress {
 public:
  void operator()(double fraction) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (elapsed < 1.0) return;
    shown_ = true;
    const int width = 40;
    const int done = static_cast<int>(fraction * width);
    fmt::print(stderr, "\rsimulating [{}{}] {:3.0f}%", std::string(static_cast<size_t>(done), '#'),
               std::string(static_cast<size_t>(width - done), ' '), fraction * 100);
  }
  ~Progress() {
    if (shown_) fmt::print(stderr, "\r{:60}\r", "");
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  bool shown_ = false;
};

}  // namespace

int run_simulate(const SimulateOptions& options) {
  const LoadResult loaded = load_agreement_file(options.config, {.read_credentials = false});
  if (!loaded.ok()) {
    for (const std::string& line : loaded.messages()) fmt::print(stderr, "{}\n", line);
    return 1;
  }
  const Agreement& a = *loaded.agreement;
  UnixMillis start = SystemClock::instance().wall_now();
  if (!options.start.empty()) {
    const auto t = parse_rfc3339(options.start);
    if (!t) {
      fmt::print(stderr, "--start: not an RFC 3339 time: {}\n", options.start);
      return 2;
    }
    start = *t;
  }
  Result<std::vector<Arrival>> arrivals = Error::internal(ErrorKind::kInternal, "no traffic");
  if (!options.trace.empty()) {
    TraceOptions t;
    t.rate_scale = options.rate_scale;
    t.seed = options.seed;
    t.start = start;
    for (std::string_view item : split_string(options.party_map, ',')) {
      const size_t eq = item.find('=');
      if (item.empty()) continue;
      double weight = 1;
      if (eq != std::string_view::npos) {
        try {
          weight = std::stod(std::string(item.substr(eq + 1)));
        } catch (const std::exception&) {
          weight = -1;
        }
      }
      if (weight <= 0) {
        fmt::print(stderr, "--party-map: '{}': expected party=weight with weight > 0\n", item);
        return 2;
      }
      t.party_map[std::string(item.substr(0, eq))] = weight;
    }
    arrivals = load_trace(options.trace, a, t);
  } else {
    arrivals = load_traffic(options.traffic, a, options.duration_s, options.seed, start);
  }
  if (!arrivals.ok()) {
    fmt::print(stderr, "{}\n", arrivals.error().message);
    return 1;
  }
  SimOptions so;
  so.fcfs = options.scheduler == "fcfs";
  so.duration_s = options.duration_s;
  so.start = start;
  Progress progress;
  if (isatty(STDERR_FILENO)) so.progress = [&progress](double f) { progress(f); };
  const SimResult result = simulate(a, arrivals.value(), so);
  if (options.format == "json") {
    fmt::print("{}\n", sim_json(result));
  } else {
    fmt::print("{}", sim_table(result));
  }
  if (!options.html.empty()) {
    std::ofstream out(options.html);
    out << sim_html(result, fmt::format("accord simulate — {}", options.config));
    if (!out) {
      fmt::print(stderr, "cannot write {}\n", options.html);
      return 1;
    }
  }
  return 0;
}

}  // namespace accord
