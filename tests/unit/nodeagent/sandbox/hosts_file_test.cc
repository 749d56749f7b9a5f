// The pod's /etc/hosts: localhost lines, the pod itself, peers of its headless Service under
// their stable DNS names; written in place (same inode).
#include "nodeagent/sandbox/hosts_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace rmq::nodeagent {
namespace {

constexpr const char* kHeader =
    "# Kubernetes-managed hosts file (rmq node agent).\n"
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "fe00::0\tip6-mcastprefix\n"
    "fe00::1\tip6-allnodes\n"
    "fe00::2\tip6-allrouters\n";

TEST(HostsFileTest, StatefulSetPodWithPeers) {
  const std::string hosts = RenderHostsFile({
      .pod_name = "broker-0",
      .pod_ip = "10.244.0.7",
      .subdomain = "broker",
      .pod_namespace = "rocketmq",
      .peers = {{.hostname = "broker-2", .ip = "10.244.0.9"},
                {.hostname = "broker-0", .ip = "10.244.0.7"},  // itself: skipped
                {.hostname = "broker-1", .ip = "10.244.0.8"},
                {.hostname = "broker-3", .ip = ""}},  // no IP yet: skipped
  });
  EXPECT_EQ(hosts, std::string(kHeader) +
                       "10.244.0.7\tbroker-0.broker.rocketmq.svc.cluster.local "
                       "broker-0.broker.rocketmq.svc broker-0.broker broker-0\n"
                       "10.244.0.8\tbroker-1.broker.rocketmq.svc.cluster.local "
                       "broker-1.broker.rocketmq.svc broker-1.broker\n"
                       "10.244.0.9\tbroker-2.broker.rocketmq.svc.cluster.local "
                       "broker-2.broker.rocketmq.svc broker-2.broker\n");
}

TEST(HostsFileTest, SameInputInAnyOrderRendersTheSameBytes) {
  PodHostsSpec a{
      .pod_name = "n-0",
      .pod_ip = "10.244.0.2",
      .subdomain = "n",
      .pod_namespace = "ns",
      .peers = {{.hostname = "n-1", .ip = "10.244.0.3"}, {.hostname = "n-2", .ip = "10.244.0.4"}}};
  PodHostsSpec b = a;
  std::swap(b.peers[0], b.peers[1]);
  EXPECT_EQ(RenderHostsFile(a), RenderHostsFile(b));
  // A name listed twice (a stale entry next to the new one) gets one line.
  b.peers.push_back({.hostname = "n-2", .ip = "10.244.0.9"});
  EXPECT_EQ(RenderHostsFile(b), RenderHostsFile(a));
}

TEST(HostsFileTest, PodsOfOtherServicesAndNamespacesResolveToo) {
  // A broker resolves its name server's pod (another headless Service) and pods of other
  // namespaces, as cluster DNS would; a pod without a subdomain still resolves the others.
  const std::vector<HostsPeer> peers = {
      {.hostname = "namesrv-0", .ip = "10.244.0.3", .subdomain = "namesrv", .pod_namespace = "mq"},
      {.hostname = "web-0", .ip = "10.244.0.4", .subdomain = "web", .pod_namespace = "shop"}};
  EXPECT_EQ(RenderHostsFile({.pod_name = "broker-0",
                             .pod_ip = "10.244.0.7",
                             .subdomain = "broker",
                             .pod_namespace = "mq",
                             .peers = peers}),
            std::string(kHeader) +
                "10.244.0.7\tbroker-0.broker.mq.svc.cluster.local broker-0.broker.mq.svc "
                "broker-0.broker broker-0\n"
                "10.244.0.3\tnamesrv-0.namesrv.mq.svc.cluster.local namesrv-0.namesrv.mq.svc "
                "namesrv-0.namesrv\n"
                "10.244.0.4\tweb-0.web.shop.svc.cluster.local web-0.web.shop.svc web-0.web.shop\n");
  EXPECT_EQ(RenderHostsFile({.pod_name = "client",
                             .pod_ip = "10.244.0.9",
                             .pod_namespace = "mq",
                             .peers = {peers[0]}}),
            std::string(kHeader) + "10.244.0.9\tclient\n" +
                "10.244.0.3\tnamesrv-0.namesrv.mq.svc.cluster.local namesrv-0.namesrv.mq.svc "
                "namesrv-0.namesrv\n");
}

TEST(HostsFileTest, PlainPodHasOnlyItsName) {
  const std::string hosts = RenderHostsFile({.pod_name = "web-7d9f",
                                             .pod_ip = "10.244.0.5",
                                             .pod_namespace = "default",
                                             .peers = {{.hostname = "other", .ip = "10.244.0.6"}}});
  EXPECT_EQ(hosts, std::string(kHeader) + "10.244.0.5\tweb-7d9f\n");
}

TEST(HostsFileTest, HostnameDiffersFromPodName) {
  const std::string hosts = RenderHostsFile({.pod_name = "p-xyz",
                                             .pod_ip = "10.244.0.5",
                                             .hostname = "db",
                                             .subdomain = "svc",
                                             .pod_namespace = "ns",
                                             .cluster_domain = "example.org"});
  EXPECT_EQ(hosts, std::string(kHeader) +
                       "10.244.0.5\tdb.svc.ns.svc.example.org db.svc.ns.svc db.svc db p-xyz\n");
}

TEST(HostsFileTest, NoAddressYetMeansOnlyLocalhost) {
  EXPECT_EQ(RenderHostsFile({.pod_name = "p"}), kHeader);
}

TEST(HostsFileTest, DnsNames) {
  EXPECT_EQ(PodDnsNames("broker-1", "broker", "ns", "cluster.local"),
            (std::vector<std::string>{"broker-1.broker.ns.svc.cluster.local",
                                      "broker-1.broker.ns.svc", "broker-1.broker"}));
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(HostsFileTest, WriteInPlaceKeepsTheInode) {
  std::string dir_template = ::testing::TempDir() + "hosts_test_XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template.data()), nullptr);
  const std::string path = dir_template + "/hosts";
  ASSERT_TRUE(WriteFileInPlace(path, "a long first version of the file\n").ok());
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  EXPECT_EQ(before.st_mode & 0777, 0644U);
  ASSERT_TRUE(WriteFileInPlace(path, "short\n").ok());
  struct stat after {};
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_EQ(ReadAll(path), "short\n");
  ASSERT_TRUE(WriteFileInPlace(path, "").ok());
  EXPECT_EQ(ReadAll(path), "");
  EXPECT_EQ(WriteFileInPlace(dir_template + "/missing/hosts", "x").code(),
            absl::StatusCode::kInternal);
  ::unlink(path.c_str());
  ::rmdir(dir_template.c_str());
}

}  // namespace
}  // namespace rmq::nodeagent
