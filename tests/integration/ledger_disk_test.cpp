// The ledger's disk fails under a running gateway: it fills up, or is read-only. accord refuses
// new requests (503) rather than serve them unbilled, loses nothing it has committed, and, once
// there is room again, commits what it had answered and serves again.
//
// A real filesystem does the failing: this executable moves into its own mount namespace (as
// root, or as root of a new user namespace otherwise) and mounts a small tmpfs there, so its
// mounts are invisible to the rest of the machine and go when it exits. The gateways it starts
// inherit the namespace.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "agreements.h"
#include "harness.h"

namespace accord::testing {
namespace {

bool write_file(const char* path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out.flush());
}

// Own mount namespace, with mounts that do not propagate back. Must run before any thread.
std::string enter_mount_namespace() {
  if (unshare(CLONE_NEWNS) != 0) {
    const uid_t uid = getuid();
    const gid_t gid = getgid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
      return std::string("unshare: ") + std::strerror(errno);
    }
    write_file("/proc/self/setgroups", "deny");
    if (!write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1\n") ||
        !write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1\n")) {
      return "cannot map the user namespace's root";
    }
  }
  // In a chroot "/" is not a mount point (EINVAL) and cannot be made private: the mounts below
  // are then as private as the mount that holds the test's directory, and each test removes its
  // own either way.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 && errno != EINVAL) {
    return std::string("mount --make-rprivate /: ") + std::strerror(errno);
  }
  return "";
}

std::string g_namespace_error;  // set by main()

class LedgerDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(g_namespace_error, "") << "this test needs a mount namespace";
    disk_ = dir_.path() + "/disk";
    std::filesystem::create_directory(disk_);
    // 1 MiB: a few thousand ledger rows.
    ASSERT_EQ(mount("tmpfs", disk_.c_str(), "tmpfs", 0, "size=1m"), 0) << std::strerror(errno);
    TestAgreement t;
    t.ledger_path = disk_ + "/ledger.db";
    config_ = dir_.write("a.yaml", agreement_yaml(t, dir_));
  }
  void TearDown() override { umount2(disk_.c_str(), MNT_DETACH); }

  HttpResponse send(int port, const std::string& id) {
    auto headers = bearer(kAcmeKey);
    headers["X-Request-Id"] = id;
    return http(port, "POST", "/v1/chat/completions", chat_, headers);
  }
  bool wait_rows(const std::string& where, int64_t n) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (count_rows(ledger(), where) != n) {
      if (std::chrono::steady_clock::now() > give_up) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }
  std::string ledger() const { return disk_ + "/ledger.db"; }
  std::string integrity() const {
    sqlite3* db = nullptr;
    sqlite3_open_v2(ledger().c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* stmt = nullptr;
    std::string result = "cannot read";
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return result;
  }

  TempDir dir_;
  std::string disk_, config_;
  const std::string chat_ =
      R"({"model":"m-local","messages":[{"role":"user","content":"hi"}],"max_tokens":2})";
};

// Fills the disk with a file of zeros; returns its path.
std::string fill(const std::string& disk) {
  std::string path = disk + "/filler";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const std::string block(4096, '\0');
  while (::write(fd, block.data(), block.size()) > 0) {
  }
  const int error = errno;
  ::close(fd);
  EXPECT_EQ(error, ENOSPC);
  return path;
}

TEST_F(LedgerDisk, AFullDiskRefusesNewRequestsLosesNothingAndRecovers) {
  Served s = start_serve(config_, {"--workers", "1"});
  std::vector<std::string> answered;
  for (int i = 0; i < 20; ++i) {
    const std::string id = "before-" + std::to_string(i);
    ASSERT_EQ(send(s.port, id).status, 200);
    answered.push_back(id);
  }
  ASSERT_TRUE(wait_rows("request_id LIKE 'before-%'", 20));

  const std::string filler = fill(disk_);
  // Requests are answered until a commit fails for want of room (the WAL may have some left);
  // from then on they are refused.
  HttpResponse refused;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (int i = 0; std::chrono::steady_clock::now() < give_up; ++i) {
    const std::string id = "full-" + std::to_string(i);
    HttpResponse r = send(s.port, id);
    if (r.status == 503) {
      refused = r;
      break;
    }
    ASSERT_EQ(r.status, 200) << r.body;
    answered.push_back(id);
  }
  ASSERT_EQ(refused.status, 503) << "the gateway never noticed the full disk";
  EXPECT_NE(refused.body.find("ledger cannot be written"), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("\"type\":\"server_error\""), std::string::npos) << refused.body;
  // Refused, not served: nothing reaches the engine while the ledger is down.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(send(s.port, "refused").status, 503);
  // What was committed before is intact.
  EXPECT_EQ(count_rows(ledger(), "request_id LIKE 'before-%'"), 20);

  // Room again: what was answered is committed, and requests are served.
  std::filesystem::remove(filler);
  int status = 0;
  while (status != 200 && std::chrono::steady_clock::now() < give_up + std::chrono::seconds(30)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    status = send(s.port, "after").status;
  }
  ASSERT_EQ(status, 200);
  s.process->signal(SIGTERM);
  EXPECT_EQ(s.process->wait_exit(), 0);
  for (const std::string& id : answered) {
    EXPECT_EQ(count_rows(ledger(), "request_id = '" + id + "'"), 1) << id;
  }
  EXPECT_EQ(count_rows(ledger(), "request_id = 'after' AND status = 200"), 1);
  EXPECT_EQ(integrity(), "ok");
}

TEST_F(LedgerDisk, AReadOnlyLedgerIsRefusedAtStartAndLeftAsItWas) {
  {
    Served s = start_serve(config_, {"--workers", "1"});
    for (int i = 0; i < 10; ++i) ASSERT_EQ(send(s.port, "ro-" + std::to_string(i)).status, 200);
    s.process->signal(SIGTERM);
    ASSERT_EQ(s.process->wait_exit(), 0);
  }
  ASSERT_EQ(count_rows(ledger(), "request_id LIKE 'ro-%'"), 10);
  ASSERT_EQ(mount(nullptr, disk_.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr), 0)
      << std::strerror(errno);

  // accord will not serve requests it cannot bill: it says why and exits.
  Process p({accord_binary(), "serve", "--config", config_, "--listen", "127.0.0.1:0",
             "--access-log", "off"});
  EXPECT_NE(p.wait_exit(), 0);
  EXPECT_NE(p.captured().find(ledger()), std::string::npos) << p.captured();
  EXPECT_NE(p.captured().find("read-only"), std::string::npos) << p.captured();
  EXPECT_EQ(count_rows(ledger(), "request_id LIKE 'ro-%'"), 10);
  EXPECT_EQ(integrity(), "ok");
}

}  // namespace
}  // namespace accord::testing

int main(int argc, char** argv) {
  accord::testing::g_namespace_error = accord::testing::enter_mount_namespace();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
