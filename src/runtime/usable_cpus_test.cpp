#include "runtime/usable_cpus.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace accord {
namespace {

namespace fs = std::filesystem;

// A fake root: /proc/self/cgroup and the cgroup files below it.
class FakeCgroups {
 public:
  FakeCgroups() : root_(fs::temp_directory_path() / ("accord-cg-" + std::to_string(::getpid()))) {
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  ~FakeCgroups() { fs::remove_all(root_); }
  void write(const std::string& path, const std::string& text) {
    const fs::path p = root_ / path;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  std::string root() const { return root_.string(); }
  std::string self() const { return (root_ / "self-cgroup").string(); }

 private:
  fs::path root_;
};

TEST(UsableCpus, CgroupV2QuotaIsQuotaOverPeriodAndTheTightestAncestorCounts) {
  FakeCgroups cg;
  cg.write("self-cgroup", "0::/kubepods/pod1/ctr\n");
  cg.write("sys/fs/cgroup/kubepods/pod1/ctr/cpu.max", "max 100000\n");
  cg.write("sys/fs/cgroup/kubepods/pod1/cpu.max", "150000 100000\n");
  cg.write("sys/fs/cgroup/kubepods/cpu.max", "400000 100000\n");
  EXPECT_DOUBLE_EQ(*cgroup_cpu_quota(cg.root(), cg.self()), 1.5);
}

TEST(UsableCpus, CgroupV2WithoutAQuotaIsNone) {
  FakeCgroups cg;
  cg.write("self-cgroup", "0::/user.slice\n");
  cg.write("sys/fs/cgroup/user.slice/cpu.max", "max 100000\n");
  EXPECT_FALSE(cgroup_cpu_quota(cg.root(), cg.self()));
}

TEST(UsableCpus, CgroupV1QuotaUnderTheCpuController) {
  FakeCgroups cg;
  cg.write("self-cgroup", "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n");
  cg.write("sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "200000\n");
  cg.write("sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");
  EXPECT_DOUBLE_EQ(*cgroup_cpu_quota(cg.root(), cg.self()), 2.0);
  cg.write("sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "-1\n");
  EXPECT_FALSE(cgroup_cpu_quota(cg.root(), cg.self()));
}

TEST(UsableCpus, MissingOrMalformedFilesMeanNoQuota) {
  FakeCgroups cg;
  EXPECT_FALSE(cgroup_cpu_quota(cg.root(), cg.self()));
  cg.write("self-cgroup", "0::/x\n");
  cg.write("sys/fs/cgroup/x/cpu.max", "lots 0\n");
  EXPECT_FALSE(cgroup_cpu_quota(cg.root(), cg.self()));
}

TEST(UsableCpus, ThisProcessHasAtLeastOne) {
  const UsableCpus u = usable_cpus();
  EXPECT_GE(u.count, 1);
  EXPECT_FALSE(u.describe().empty());
}

}  // namespace
}  // namespace accord
