// How many CPUs this process may actually use: the CPUs its affinity mask allows (taskset,
// cpusets), further limited by a cgroup CPU quota where one is set (a container's `--cpus`), as
// Go and HAProxy count them. Used for the default number of event loops: more loops than usable
// CPUs only makes them take turns on the same cores.
#pragma once

#include <optional>
#include <string>

namespace accord {

struct UsableCpus {
  int count = 1;                 // what the process should plan for: at least 1
  int affinity = 0;              // CPUs in the affinity mask (0: unknown)
  std::optional<double> quota;   // cgroup quota in CPUs (quota / period), when one is set
  std::string describe() const;  // "2 CPUs (affinity 8, cgroup quota 1.5)"
};

// The cgroup CPU quota of the process, in CPUs, read below `root` (normally "/"): cgroup v2's
// cpu.max ("max 100000" is none) or v1's cpu.cfs_quota_us / cpu.cfs_period_us (-1 is none), in
// the process's own cgroup as /proc/self/cgroup names it, and its parents up to the root (the
// tightest one counts). nullopt where none is set or nothing can be read.
std::optional<double> cgroup_cpu_quota(const std::string& root = "/",
                                       const std::string& proc_self_cgroup = "/proc/self/cgroup");

UsableCpus usable_cpus();

}  // namespace accord
