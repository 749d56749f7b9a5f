// kubeconfig and in-cluster config variants and their errors, over an in-memory file system.
#include "common/k8s/rest_config.h"

#include <gtest/gtest.h>

#include <map>

#include "absl/strings/escaping.h"

namespace rmq::k8s {
namespace {

class RestConfigTest : public ::testing::Test {
 protected:
  FileReader Reader() {
    return [this](const std::string& path) -> absl::StatusOr<std::string> {
      auto it = files_.find(path);
      if (it == files_.end()) return absl::NotFoundError("does not exist");
      return it->second;
    };
  }
  absl::StatusOr<RestConfig> Parse(const std::string& yaml, const std::string& context = "") {
    return ParseKubeconfig(yaml, "/home/u/.kube/config", context, Reader());
  }
  std::map<std::string, std::string> files_;
};

constexpr const char* kWithFiles = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority: pki/ca.crt
    tls-server-name: kubernetes
contexts:
- name: dev
  context: {cluster: local, user: admin, namespace: rocketmq}
- name: other
  context: {cluster: local, user: tokens}
users:
- name: admin
  user:
    client-certificate: /abs/admin.crt
    client-key: pki/admin.key
- name: tokens
  user:
    token: s3cret
    tokenFile: token.txt
)";

TEST_F(RestConfigTest, CurrentContextWithFilesResolvesRelativePaths) {
  files_["/home/u/.kube/pki/ca.crt"] = "CA PEM";
  files_["/abs/admin.crt"] = "CERT PEM";
  files_["/home/u/.kube/pki/admin.key"] = "KEY PEM";
  auto c = Parse(kWithFiles);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->server, "https://127.0.0.1:6443");
  EXPECT_EQ(c->ca_pem, "CA PEM");
  EXPECT_EQ(c->tls_server_name, "kubernetes");
  EXPECT_EQ(c->client_cert_pem, "CERT PEM");
  EXPECT_EQ(c->client_key_pem, "KEY PEM");
  EXPECT_EQ(c->namespace_name, "rocketmq");
  EXPECT_NE(c->source.find("context dev"), std::string::npos);
}

TEST_F(RestConfigTest, NamedContextWithTokens) {
  files_["/home/u/.kube/pki/ca.crt"] = "CA PEM";
  auto c = Parse(kWithFiles, "other");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->bearer_token, "s3cret");
  EXPECT_EQ(c->token_file, "/home/u/.kube/token.txt");
  EXPECT_EQ(c->namespace_name, "default");
  EXPECT_TRUE(c->client_cert_pem.empty());
}

TEST_F(RestConfigTest, InlineDataIsBase64Decoded) {
  const std::string yaml =
      "current-context: c\nclusters:\n- name: k\n  cluster:\n    server: "
      "https://h:1\n    certificate-authority-data: " +
      absl::Base64Escape("CA") +
      "\ncontexts:\n- name: c\n  context: "
      "{cluster: k, user: u}\nusers:\n- name: u\n  user:\n    "
      "client-certificate-data: " +
      absl::Base64Escape("CERT") + "\n    client-key-data: " + absl::Base64Escape("KEY") + "\n";
  auto c = Parse(yaml);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->ca_pem, "CA");
  EXPECT_EQ(c->client_cert_pem, "CERT");
  EXPECT_EQ(c->client_key_pem, "KEY");
}

TEST_F(RestConfigTest, ErrorsNameWhatIsWrong) {
  struct Case {
    std::string yaml;
    std::string context;
    absl::StatusCode code;
    std::string mentions;
  };
  const std::string cluster = "clusters:\n- name: k\n  cluster: {server: 'https://h:1'}\n";
  const std::vector<Case> cases = {
      {"a: [", "", absl::StatusCode::kInvalidArgument, "not valid YAML"},
      {"- 1\n- 2\n", "", absl::StatusCode::kInvalidArgument, "not a YAML map"},
      {cluster, "", absl::StatusCode::kInvalidArgument, "no current-context"},
      {cluster + "current-context: x\n", "", absl::StatusCode::kNotFound, "no context 'x'"},
      {"current-context: c\ncontexts:\n- name: c\n  context: {cluster: nope}\n", "",
       absl::StatusCode::kNotFound, "cluster 'nope'"},
      {"current-context: c\ncontexts:\n- name: c\n  context: {cluster: k}\nclusters:\n- name: "
       "k\n  cluster: {server: 'h:1'}\n",
       "", absl::StatusCode::kInvalidArgument, "server URL"},
      {cluster + "current-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n", "",
       absl::StatusCode::kNotFound, "user 'u'"},
      {cluster + "current-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: "
                 "u}\nusers:\n- name: u\n  user:\n    exec: {command: aws}\n",
       "", absl::StatusCode::kUnimplemented, "exec plugin"},
      {cluster + "current-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: "
                 "u}\nusers:\n- name: u\n  user: {client-certificate-data: Q0VSVA==}\n",
       "", absl::StatusCode::kInvalidArgument, "without a key"},
      {"current-context: c\ncontexts:\n- name: c\n  context: {cluster: k}\nclusters:\n- name: "
       "k\n  cluster: {server: 'https://h:1', certificate-authority-data: '!!!'}\n",
       "", absl::StatusCode::kInvalidArgument, "not base64"},
      {"current-context: c\ncontexts:\n- name: c\n  context: {cluster: k}\nclusters:\n- name: "
       "k\n  cluster: {server: 'https://h:1', certificate-authority: /missing/ca.crt}\n",
       "", absl::StatusCode::kNotFound, "/missing/ca.crt"},
      {"current-context: c\ncontexts:\n- name: c\n  context: [1]\n", "",
       absl::StatusCode::kNotFound, "no context 'c'"},
  };
  for (const Case& c : cases) {
    auto r = Parse(c.yaml, c.context);
    EXPECT_EQ(r.status().code(), c.code) << c.yaml << "\n" << r.status();
    EXPECT_NE(r.status().message().find(c.mentions), std::string::npos) << r.status();
  }
}

TEST_F(RestConfigTest, InCluster) {
  std::map<std::string, std::string> env = {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                                            {"KUBERNETES_SERVICE_PORT", "443"}};
  EnvLookup lookup = [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  const std::string sa = "/var/run/secrets/kubernetes.io/serviceaccount";
  auto missing = InClusterConfig(lookup, sa, Reader());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("token"), std::string::npos);

  files_[sa + "/token"] = "jwt";
  files_[sa + "/ca.crt"] = "CA";
  files_[sa + "/namespace"] = "rocketmq\n";
  auto c = InClusterConfig(lookup, sa, Reader());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->server, "https://10.96.0.1:443");
  EXPECT_EQ(c->token_file, sa + "/token");
  EXPECT_TRUE(c->bearer_token.empty());  // read (and re-read) by the client from token_file
  EXPECT_EQ(c->ca_pem, "CA");
  EXPECT_EQ(c->namespace_name, "rocketmq");

  env["KUBERNETES_SERVICE_HOST"] = "fd00::1";
  EXPECT_EQ(InClusterConfig(lookup, sa, Reader())->server, "https://[fd00::1]:443");
  env.clear();
  auto outside = InClusterConfig(lookup, sa, Reader());
  EXPECT_EQ(outside.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(outside.status().message().find("--kubeconfig"), std::string::npos);
}

TEST(LoadKubeconfigTest, MissingFileIsNotFoundWithThePath) {
  auto c = LoadKubeconfig("/nonexistent/kubeconfig");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(c.status().message().find("/nonexistent/kubeconfig"), std::string::npos);
}

}  // namespace
}  // namespace rmq::k8s
