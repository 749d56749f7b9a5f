#include "nodeagent/runtime/pod_record.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace rmq::nodeagent {
namespace {

PodRecord Sample() {
  PodRecord r{.uid = "3f2a-1",
              .namespace_name = "ns",
              .name = "web-0",
              .ip = "10.244.0.7",
              .netns = "rmqpod-3f2a1",
              .accepted_at_ns = 1'700'000'000'123'456'789};
  r.containers.push_back(
      {.name = "init", .init = true, .identity = {}, .started_at_ns = 5, .completed = true});
  r.containers.push_back({.name = "web",
                          .init = false,
                          .identity = {.pid = 4242, .start_time = 99},
                          .started_at_ns = 7,
                          .completed = false});
  return r;
}

TEST(PodRecordTest, RoundTrips) {
  const PodRecord r = Sample();
  absl::StatusOr<PodRecord> back = ParsePodRecord(SerializePodRecord(r));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, r);
}

TEST(PodRecordTest, RejectsBadText) {
  EXPECT_FALSE(ParsePodRecord("").ok());
  EXPECT_FALSE(ParsePodRecord("[]").ok());
  EXPECT_FALSE(ParsePodRecord(R"({"namespace":"a","name":"b"})").ok());  // no uid
  EXPECT_FALSE(ParsePodRecord(R"({"uid":"","namespace":"a","name":"b"})").ok());
  EXPECT_FALSE(ParsePodRecord(R"({"uid":"u","namespace":"a","name":"b","containers":{}})").ok());
  absl::StatusOr<PodRecord> bad_pid = ParsePodRecord(
      R"({"uid":"u","namespace":"a","name":"b","containers":[{"name":"c","process":"x:1"}]})");
  ASSERT_FALSE(bad_pid.ok());
  EXPECT_NE(bad_pid.status().message().find("container c"), std::string::npos);
  EXPECT_FALSE(ParsePodRecord(R"({"uid":"u","namespace":"a","name":"b","acceptedAtNs":"1"})").ok());
}

TEST(PodRecordTest, WritesAndReadsBackWithBrokenOnesReported) {
  char tmpl[] = "/tmp/podrecord-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  EXPECT_TRUE(ReadPodRecords(dir)->records.empty());  // no pods/ directory yet
  ASSERT_TRUE(WritePodRecord(dir, Sample()).ok());
  PodRecord second = Sample();
  second.uid = "other";
  second.containers.clear();
  ASSERT_TRUE(WritePodRecord(dir, second).ok());
  std::filesystem::create_directories(dir + "/pods/broken");
  std::ofstream(dir + "/pods/broken/state.json") << "{not json";
  std::filesystem::create_directories(dir + "/pods/empty");
  // A record whose uid does not match its directory is broken too.
  PodRecord moved = Sample();
  moved.uid = "moved";
  ASSERT_TRUE(WritePodRecord(dir, moved).ok());
  std::filesystem::rename(dir + "/pods/moved", dir + "/pods/elsewhere");

  absl::StatusOr<PodRecords> all = ReadPodRecords(dir);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->records.size(), 2u);
  std::sort(all->broken.begin(), all->broken.end());
  EXPECT_EQ(all->broken, (std::vector<std::string>{"broken", "elsewhere", "empty"}));
  EXPECT_FALSE(std::filesystem::exists(dir + "/pods/3f2a-1/state.json.tmp"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rmq::nodeagent
