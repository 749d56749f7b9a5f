// MakeSubPath: a volumeMount's missing subPath directory, created as the kubelet creates it.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "nodeagent/sandbox/process.h"

namespace rmq::nodeagent {
namespace {

TEST(MakeSubPath, CreatesMissingDirectoriesAndRefusesSymlinks) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("subpath-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "vol");
  ASSERT_TRUE(MakeSubPath((dir / "vol").string(), "ns/pod-0/logs").ok());
  EXPECT_TRUE(std::filesystem::is_directory(dir / "vol/ns/pod-0/logs"));
  // Existing: left alone (a file too: the kubelet mounts a file subPath as a file).
  std::ofstream(dir / "vol/file") << "x";
  EXPECT_TRUE(MakeSubPath((dir / "vol").string(), "file").ok());
  EXPECT_TRUE(std::filesystem::is_regular_file(dir / "vol/file"));
  // A symlink on the way is refused, and nothing is created behind it.
  std::filesystem::create_directories(dir / "outside");
  std::filesystem::create_directory_symlink(dir / "outside", dir / "vol/link");
  absl::Status s = MakeSubPath((dir / "vol").string(), "link/escape");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_FALSE(std::filesystem::exists(dir / "outside/escape"));
  EXPECT_EQ(MakeSubPath((dir / "vol").string(), "a/../b").code(),
            absl::StatusCode::kInvalidArgument);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rmq::nodeagent
