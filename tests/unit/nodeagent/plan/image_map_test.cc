// The image map file and image reference normalisation.
#include "nodeagent/plan/image_map.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace rmq::nodeagent {
namespace {

using ::testing::HasSubstr;

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

constexpr char kExample[] = R"(
images:
- image: apache/rocketmq          # any tag
  root: ${RMQ_IMAGES}/rocketmq-5.3.3
  workingDir: /home/rocketmq/rocketmq-5.3.3
  entrypoint: []
  cmd: ["sh", "mqnamesrv"]
  env: {ROCKETMQ_HOME: /home/rocketmq/rocketmq-5.3.3, JAVA_HOME: /usr/lib/jvm/java-17, DEBUG: yes}
- image: apache/rocketmq:4.9.8
  root: /images/rocketmq-4.9.8
- image: registry.local:5000/rmq/operator:dev
  root: /build
  entrypoint: [/build/rocketmq-operator]
)";

TEST(ImageReferenceTest, NormalisesDockerHubNames) {
  EXPECT_EQ(*ParseImageReference("apache/rocketmq:5.3.3"),
            (ImageReference{.repository = "docker.io/apache/rocketmq", .tag = "5.3.3"}));
  EXPECT_EQ(*ParseImageReference("docker.io/apache/rocketmq:5.3.3"),
            *ParseImageReference("apache/rocketmq:5.3.3"));
  EXPECT_EQ(*ParseImageReference("index.docker.io/apache/rocketmq:5.3.3"),
            *ParseImageReference("apache/rocketmq:5.3.3"));
  EXPECT_EQ(ParseImageReference("busybox")->repository, "docker.io/library/busybox");
  EXPECT_EQ(ParseImageReference("busybox")->tag, "");
  EXPECT_EQ(ParseImageReference("docker.io/busybox:1.36")->repository, "docker.io/library/busybox");
}

TEST(ImageReferenceTest, KeepsOtherRegistriesAndDigests) {
  const std::string digest = "sha256:" + std::string(64, 'a');
  ImageReference r = *ParseImageReference("registry.local:5000/team/app:v1@" + digest);
  EXPECT_EQ(r.repository, "registry.local:5000/team/app");
  EXPECT_EQ(r.tag, "v1");
  EXPECT_EQ(r.digest, digest);
  EXPECT_EQ(ParseImageReference("localhost/app")->repository, "localhost/app");
  EXPECT_EQ(ParseImageReference("localhost:5000/app")->repository, "localhost:5000/app");
  // A port without a registry-looking first component is a tag.
  EXPECT_EQ(ParseImageReference("app:5000")->tag, "5000");
}

TEST(ImageReferenceTest, RejectsMalformedReferences) {
  for (const char* bad :
       {"", "Apache/RocketMQ", "apache//rocketmq", "apache/rocketmq:", "apache/rocketmq:-x",
        "apache/rocketmq@sha256:abc", "a b", "apache/rocketmq@md5", "/rocketmq"}) {
    EXPECT_FALSE(ParseImageReference(bad).ok()) << bad;
  }
}

TEST(ImageMapTest, ParsesTheExample) {
  absl::StatusOr<ImageMap> images = ParseImageMap(kExample, Env({{"RMQ_IMAGES", "/opt/img"}}));
  ASSERT_TRUE(images.ok()) << images.status();
  ASSERT_EQ(images->entries().size(), 3U);
  const ImageEntry& rmq = images->entries()[0];
  EXPECT_EQ(rmq.image, "apache/rocketmq");
  EXPECT_EQ(rmq.root, "/opt/img/rocketmq-5.3.3");
  EXPECT_EQ(rmq.working_dir, "/home/rocketmq/rocketmq-5.3.3");
  EXPECT_TRUE(rmq.entrypoint.empty());
  EXPECT_EQ(rmq.cmd, (std::vector<std::string>{"sh", "mqnamesrv"}));
  // File order, and scalars as written ("yes" is not turned into "true").
  EXPECT_EQ(rmq.env, (EnvList{{"ROCKETMQ_HOME", "/home/rocketmq/rocketmq-5.3.3"},
                              {"JAVA_HOME", "/usr/lib/jvm/java-17"},
                              {"DEBUG", "yes"}}));
  EXPECT_EQ(images->entries()[2].entrypoint,
            (std::vector<std::string>{"/build/rocketmq-operator"}));
}

TEST(ImageMapTest, ExactTagWinsOverTaglessEntry) {
  ImageMap images = *ParseImageMap(kExample, Env({{"RMQ_IMAGES", "/opt/img"}}));
  EXPECT_EQ(images.Find("apache/rocketmq:4.9.8")->root, "/images/rocketmq-4.9.8");
  EXPECT_EQ(images.Find("docker.io/apache/rocketmq:4.9.8")->root, "/images/rocketmq-4.9.8");
  EXPECT_EQ(images.Find("apache/rocketmq:5.3.3")->root, "/opt/img/rocketmq-5.3.3");
  EXPECT_EQ(images.Find("apache/rocketmq")->root, "/opt/img/rocketmq-5.3.3");
  EXPECT_EQ(images.Find("apache/rocketmq@sha256:" + std::string(64, 'b'))->root,
            "/opt/img/rocketmq-5.3.3");
  EXPECT_EQ(images.Find("registry.local:5000/rmq/operator:dev")->root, "/build");
  EXPECT_EQ(images.Find("registry.local:5000/rmq/operator:other"), nullptr);
  EXPECT_EQ(images.Find("rmq/operator:dev"), nullptr);  // another registry
  EXPECT_EQ(images.Find("busybox"), nullptr);
  EXPECT_EQ(images.Find("Not A Reference"), nullptr);
}

TEST(ImageMapTest, NoTagMeansLatestAndDigestsAreDropped) {
  const std::string digest = "sha256:" + std::string(64, 'c');
  ImageMap images = *ParseImageMap(R"(
- {image: "busybox:1.36", root: /pinned}
- {image: "busybox:latest", root: /latest}
)",
                                   Env({}));
  EXPECT_EQ(images.Find("busybox")->root, "/latest");
  EXPECT_EQ(images.Find("busybox@" + digest)->root, "/latest");
  EXPECT_EQ(images.Find("docker.io/library/busybox:1.36")->root, "/pinned");
  EXPECT_EQ(images.Find("busybox:1.36@" + digest)->root, "/pinned");
  EXPECT_EQ(images.Find("busybox:1.37"), nullptr);
}

TEST(ImageMapTest, TaggedEntriesWinWhateverTheOrder) {
  ImageMap images = *ParseImageMap(R"(
- {image: apache/rocketmq, root: /any}
- {image: apache/rocketmq:5.1.4, root: /old}
)",
                                   Env({}));
  EXPECT_EQ(images.Find("apache/rocketmq:5.1.4")->root, "/old");
  EXPECT_EQ(images.Find("apache/rocketmq:5.3.3")->root, "/any");
}

TEST(ImageMapTest, OnlyRootIsExpanded) {
  EnvLookup env = Env({{"A", "x"}, {"EMPTY", ""}});
  EXPECT_EQ(*ExpandEnvironment("${A}/${EMPTY}b", env), "x/b");
  EXPECT_EQ(*ExpandEnvironment("$$A $HOME $", env), "$A $HOME $");
  EXPECT_EQ(*ExpandEnvironment("$${A}", env), "${A}");
  EXPECT_EQ(ExpandEnvironment("${UNSET}", env).status().message(),
            "environment variable UNSET is not set");
  EXPECT_FALSE(ExpandEnvironment("${A", env).ok());
  // The other fields are literal, as in an image's configuration.
  ImageMap images = *ParseImageMap(R"(
- image: app
  root: /${A}
  workingDir: /w/${A}
  entrypoint: ["/bin/${A}"]
  cmd: ["${UNSET}"]
  env: {V: "${A}$$"}
)",
                                   env);
  const ImageEntry& e = images.entries()[0];
  EXPECT_EQ(e.root, "/x");
  EXPECT_EQ(e.working_dir, "/w/${A}");
  EXPECT_EQ(e.entrypoint[0], "/bin/${A}");
  EXPECT_EQ(e.cmd[0], "${UNSET}");
  EXPECT_EQ(e.env[0].value, "${A}$$");
}

TEST(ImageMapTest, TheRepositorysImageMapParses) {
  std::ifstream in(std::string(RMQ_SOURCE_DIR) + "/deploy/local/images/images.yaml");
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<ImageMap> images =
      ParseImageMap(text.str(), Env({{"RMQ_IMAGES", "/cache/images"}, {"RMQ_BUILD_DIR", "/b"}}));
  ASSERT_TRUE(images.ok()) << images.status();
  const ImageEntry* rocketmq = images->Find("apache/rocketmq:5.3.3");
  ASSERT_NE(rocketmq, nullptr);
  EXPECT_EQ(rocketmq->root, "/cache/images/rocketmq-5.3.3");
  EXPECT_EQ(rocketmq->working_dir, "/home/rocketmq/rocketmq-5.3.3/bin");
  EXPECT_EQ(rocketmq->entrypoint, (std::vector<std::string>{"./docker-entrypoint.sh"}));
  EXPECT_EQ(rocketmq->cmd, (std::vector<std::string>{"dummy"}));
  EXPECT_EQ(FindEnv(rocketmq->env, "ROCKETMQ_HOME"), "/home/rocketmq/rocketmq-5.3.3");
  EXPECT_EQ(images->Find("docker.io/apache/rocketmq:5.1.4")->root, "/cache/images/rocketmq-5.1.4");
  const ImageEntry* host = images->Find("rmq-local/host");
  ASSERT_NE(host, nullptr);
  EXPECT_EQ(host->root, "/");
  EXPECT_EQ(images->Find("rocketmq-agent:dev")->entrypoint,
            (std::vector<std::string>{"/agent/main/rocketmq-agent"}));
}

TEST(ImageMapTest, EmptyFilesAndOptionalNulls) {
  EXPECT_TRUE(ParseImageMap("", Env({}))->entries().empty());
  EXPECT_TRUE(ParseImageMap("images: []", Env({}))->entries().empty());
  EXPECT_TRUE(ParseImageMap("images:", Env({}))->entries().empty());
  EXPECT_TRUE(ParseImageMap("[]", Env({}))->entries().empty());
  ImageMap images =
      *ParseImageMap("images:\n- {image: a, root: /a, workingDir: , cmd: }\n", Env({}));
  EXPECT_EQ(images.entries()[0].working_dir, "");
  EXPECT_TRUE(images.entries()[0].cmd.empty());
}

TEST(ImageMapTest, ErrorsNameTheEntryLineAndField) {
  auto error = [](std::string_view yaml) {
    absl::StatusOr<ImageMap> images = ParseImageMap(yaml, Env({{"A", "x"}}));
    EXPECT_FALSE(images.ok()) << yaml;
    return images.ok() ? std::string() : std::string(images.status().message());
  };
  EXPECT_EQ(error("images:\n- image: app\n  root: /a\n- image: web\n  cmd: sh\n  root: /b\n"),
            "image map: images[1] (web), line 4: cmd: expected a list of strings");
  EXPECT_EQ(error("images:\n- image: app\n"),
            "image map: images[0] (app), line 2: root: required, a directory");
  EXPECT_EQ(error("images:\n- image: app\n  root: relative\n"),
            "image map: images[0] (app), line 2: root: must be an absolute path, got \"relative\"");
  EXPECT_EQ(error("images:\n- image: app\n  root: /${NOPE}\n"),
            "image map: images[0] (app), line 2: root: environment variable NOPE is not set");
  EXPECT_EQ(error("images:\n- root: /a\n"),
            "image map: images[0], line 2: image: required, a string");
  EXPECT_THAT(error("images:\n- image: app\n  root: /a\n  entrypiont: [x]\n"),
              HasSubstr("images[0] (app), line 2: unknown field \"entrypiont\""));
  EXPECT_THAT(error("images:\n- image: Bad/Name\n  root: /a\n"),
              HasSubstr("images[0] (Bad/Name), line 2: image: image \"Bad/Name\""));
  EXPECT_THAT(error("images:\n- {image: app, root: /a}\n- {image: 'docker.io/library/app', "
                    "root: /b}\n"),
              HasSubstr("images[1] (docker.io/library/app), line 3: image: the same image"));
  EXPECT_THAT(error("images:\n- image: app\n  root: /a\n  env: [A]\n"),
              HasSubstr("env: expected a map"));
  EXPECT_THAT(error("images:\n- image: app\n  root: /a\n  env: {A: [1]}\n"),
              HasSubstr("env.A: expected a string"));
  EXPECT_THAT(error("images:\n- image: app\n  root: /a\n  root: /b\n"),
              HasSubstr("root: given twice"));
  EXPECT_THAT(error("images:\n- image: app\n  root: /a\n  workingDir: w\n"),
              HasSubstr("workingDir: must be an absolute path"));
  EXPECT_THAT(error("image:\n- image: app\n"), HasSubstr("unknown top-level field \"image\""));
  EXPECT_THAT(error("images: {a: b}\n"), HasSubstr("images: expected a list"));
  EXPECT_THAT(error("just text\n"), HasSubstr("expected a list of images"));
  EXPECT_THAT(error("- {image: \"app@sha256:" + std::string(64, 'a') + "\", root: /a}\n"),
              HasSubstr("image: name repository[:tag]; digests are dropped"));
  EXPECT_THAT(error("images: [\n"), HasSubstr("image map: "));  // a yaml-cpp syntax error
}

}  // namespace
}  // namespace rmq::nodeagent
