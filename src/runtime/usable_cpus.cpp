#include "runtime/usable_cpus.h"

#include <fmt/format.h>
#include <sched.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace accord {
namespace {

std::optional<std::string> read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return line;
}

// cgroup v2 cpu.max: "QUOTA PERIOD" or "max PERIOD".
std::optional<double> v2_quota(const std::string& dir) {
  const auto line = read_first_line(dir + "/cpu.max");
  if (!line) return std::nullopt;
  std::istringstream in(*line);
  std::string quota;
  double period = 0;
  if (!(in >> quota >> period) || quota == "max" || period <= 0) return std::nullopt;
  try {
    const double q = std::stod(quota);
    return q > 0 ? std::optional<double>(q / period) : std::nullopt;
  } catch (...) {  // not the request path: a malformed file means no quota
    return std::nullopt;
  }
}

// cgroup v1: cpu.cfs_quota_us (-1: none) over cpu.cfs_period_us.
std::optional<double> v1_quota(const std::string& dir) {
  const auto quota = read_first_line(dir + "/cpu.cfs_quota_us");
  const auto period = read_first_line(dir + "/cpu.cfs_period_us");
  if (!quota || !period) return std::nullopt;
  try {
    const double q = std::stod(*quota);
    const double p = std::stod(*period);
    return q > 0 && p > 0 ? std::optional<double>(q / p) : std::nullopt;
  } catch (...) {
    return std::nullopt;
  }
}

// The tightest quota on `dir` and its parents below `mount`.
std::optional<double> tightest(const std::string& mount, std::string path, bool v2) {
  std::optional<double> best;
  for (;;) {
    const std::string dir = mount + (path == "/" ? "" : path);
    const auto q = v2 ? v2_quota(dir) : v1_quota(dir);
    if (q && (!best || *q < *best)) best = q;
    if (path.empty() || path == "/") break;
    const size_t slash = path.rfind('/');
    path = slash == 0 ? "/" : path.substr(0, slash);
  }
  return best;
}

}  // namespace

std::string UsableCpus::describe() const {
  std::string out = fmt::format("{} CPU{}", count, count == 1 ? "" : "s");
  std::vector<std::string> why;
  if (affinity > 0) why.push_back(fmt::format("affinity {}", affinity));
  if (quota) why.push_back(fmt::format("cgroup quota {:.2g}", *quota));
  if (!why.empty()) out += " (" + fmt::format("{}", fmt::join(why, ", ")) + ")";
  return out;
}

std::optional<double> cgroup_cpu_quota(const std::string& root,
                                       const std::string& proc_self_cgroup) {
  std::ifstream in(proc_self_cgroup);
  std::string line;
  std::optional<double> best;
  const std::string base = root == "/" ? "/sys/fs/cgroup" : root + "/sys/fs/cgroup";
  while (std::getline(in, line)) {
    // "ID:CONTROLLERS:PATH"; v2 is "0::PATH".
    const size_t a = line.find(':');
    const size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1);
    const std::string path = line.substr(b + 1);
    std::optional<double> q;
    if (controllers.empty()) {
      q = tightest(base, path, true);
    } else if (std::string list = "," + controllers;
               list.append(",").find(",cpu,") != std::string::npos) {
      std::string mount = base;
      q = tightest(mount.append("/").append(controllers), path, false);
      if (!q) q = tightest(base + "/cpu", path, false);
    }
    if (q && (!best || *q < *best)) best = q;
  }
  return best;
}

UsableCpus usable_cpus() {
  UsableCpus u;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) u.affinity = CPU_COUNT(&set);
  u.quota = cgroup_cpu_quota();
  int n = u.affinity > 0 ? u.affinity
                         : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  if (u.quota) n = std::min(n, std::max(1, static_cast<int>(std::ceil(*u.quota))));
  u.count = std::max(1, n);
  return u;
}

}  // namespace accord
