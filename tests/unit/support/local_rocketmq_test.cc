// The real-RocketMQ fixture must fail loudly, never skip, when a component is missing.
#include "tests/support/local_rocketmq.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

namespace rmq::testing {
namespace {

// Sets an environment variable for the scope of the test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(LocalRocketMQTest, MissingJavaIsAnErrorThatSaysWhatToDo) {
  ScopedEnv java_home("JAVA_HOME", "/nonexistent");
  ScopedEnv path("PATH", "/nonexistent");
  absl::StatusOr<std::string> java = LocalRocketMQ::JavaBinary();
  ASSERT_FALSE(java.ok());
  EXPECT_EQ(java.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(java.status().message().find("setup.sh"), absl::string_view::npos);
  auto mq = LocalRocketMQ::Start({});
  EXPECT_EQ(mq.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(LocalRocketMQTest, EmptyJarDirectoryIsAnError) {
  std::string dir = (std::filesystem::temp_directory_path() / "rmq-empty-jars-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  ScopedEnv jars("RMQ_JARS_DIR", dir.c_str());
  absl::StatusOr<std::string> got = LocalRocketMQ::JarsDir();
  EXPECT_EQ(got.status().code(), absl::StatusCode::kFailedPrecondition);
  std::filesystem::remove(dir);
}

TEST(LocalRocketMQTest, FreePortIsBindable) {
  absl::StatusOr<int> port = FreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  EXPECT_GT(*port, 0);
  EXPECT_LT(*port, 65536);
}

}  // namespace
}  // namespace rmq::testing
