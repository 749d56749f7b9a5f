// The pure parts of process handling: /proc/<pid>/stat parsing, process identities, wait
// statuses as container exit codes.
#include "nodeagent/sandbox/process.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <string>

#include "nodeagent/sandbox/process_watcher.h"

namespace rmq::nodeagent {
namespace {

// A real line (bash in a container), comm with spaces and parentheses patched in.
constexpr const char* kStat =
    "4242 (my (odd) prog) S 1 4242 4242 0 -1 4194560 1043 0 0 0 1 0 0 0 20 0 1 0 987654321 "
    "9318400 949 18446744073709551615 94347032825856 94347033720109 140733437409120 0 0 0 65536 "
    "3670020 1266777851 1 0 0 17 1 0 0 0 0 0 94347033960624 94347034008964 94347038584832 "
    "140733437416209 140733437416214 140733437416214 140733437419502 0\n";

TEST(ProcStatTest, ParsesTheFieldsAfterAnOddCommandName) {
  absl::StatusOr<ProcStat> stat = ParseProcStat(kStat);
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->pid, 4242);
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->ppid, 1);
  EXPECT_EQ(stat->pgrp, 4242);
  EXPECT_EQ(stat->session, 4242);
  EXPECT_EQ(stat->start_time, 987654321U);
}

TEST(ProcStatTest, RejectsMalformedContent) {
  for (const char* bad : {"", "4242", "4242 (x", "x (y) S 1 2 3", "4242 (x) S 1 2 3 4",
                          "4242 (x) SS 1 4242 4242 0 -1 0 0 0 0 0 0 0 0 0 0 0 0 0 5 0"}) {
    EXPECT_EQ(ParseProcStat(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ProcStatTest, ReadsThisProcess) {
  absl::StatusOr<ProcStat> stat = ReadProcStat(::getpid());
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->pid, ::getpid());
  EXPECT_EQ(stat->ppid, ::getppid());
  EXPECT_GT(stat->start_time, 0U);
  EXPECT_TRUE(Alive(::getpid()));
  EXPECT_EQ(ReadProcStat(0x3fffffff).status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(Alive(0x3fffffff));
}

TEST(ProcessIdentityTest, RoundTrips) {
  ProcessIdentity id{.pid = 4242, .start_time = 987654321};
  EXPECT_EQ(id.ToString(), "4242:987654321");
  absl::StatusOr<ProcessIdentity> parsed = ParseProcessIdentity(id.ToString());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, id);
  for (const char* bad : {"", "4242", "4242:", ":1", "0:1", "-1:5", "4242:x", "1:2:3"}) {
    EXPECT_FALSE(ParseProcessIdentity(bad).ok()) << bad;
  }
}

TEST(ExitStatusTest, FromWaitStatus) {
  // Wait statuses as the kernel encodes them: exit code in bits 8-15, signal in bits 0-6.
  const ExitStatus exited = ExitStatusFromWait(3 << 8);
  EXPECT_EQ(exited, (ExitStatus{.kind = ExitStatus::Kind::kExited, .code = 3}));
  EXPECT_EQ(exited.ContainerExitCode(), 3);
  EXPECT_EQ(exited.ToString(), "exited 3");
  const ExitStatus killed = ExitStatusFromWait(SIGKILL);
  EXPECT_EQ(killed, (ExitStatus{.kind = ExitStatus::Kind::kSignaled, .code = SIGKILL}));
  EXPECT_EQ(killed.ContainerExitCode(), 137);
  EXPECT_EQ(killed.ToString(), "killed by signal 9");
  const ExitStatus unknown;
  EXPECT_EQ(unknown.ContainerExitCode(), std::nullopt);
  EXPECT_EQ(unknown.ToString(), "exit status unknown");
}

}  // namespace
}  // namespace rmq::nodeagent
