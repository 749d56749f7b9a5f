// network.h: the node's pod network: one Linux bridge, one network namespace per pod.
//
// Layout (test-infra.md section 4.4): pods get addresses from `cidr` on a bridge that holds the
// gateway address; the host reaches every pod through the bridge and pods reach each other on
// it. Nothing leaves the machine: pods get no default route (only the on-link route of their
// prefix), host ip_forward is never touched (left as it is, off by default) and there is no NAT;
// the Service range is blackholed on the host because there is no kube-proxy (a ClusterIP fails
// at once instead of leaking to the host's default route).
//
// Each pod network is a named netns (/run/netns/<name>, as `ip netns add` makes it, so `ip netns
// exec` and `ip -n` work on it) with `eth0` inside, the peer of a host veth enslaved to the
// bridge. Every call is idempotent and safe after a crash: EnsureBridge() repairs what is
// missing; CreatePodNetwork() adopts a complete namespace with the requested address and
// recreates a half-made one; DeletePodNetwork() of a missing namespace is OK.
//
// Implementation: the `ip` command (iproute2, run without a shell; `ip -j` output parsed as
// JSON). Errors name the command and quote its stderr. Needs CAP_NET_ADMIN and CAP_SYS_ADMIN
// (root). Blocking (a few ms per call); thread-safe as far as the kernel is (distinct names).
//
// Example:
//   RMQ_RETURN_IF_ERROR(EnsureBridge({}));                  // rmqbr0, 10.244.0.1/16
//   auto names = PodNetworkNamesFor(pod_uid);
//   auto net = CreatePodNetwork({.netns = names->netns, .host_veth = names->host_veth,
//                                .ip = "10.244.0.7"});
//   ... SpawnInPod({.netns_path = net->netns_path, ...}) ...
//   RMQ_RETURN_IF_ERROR(DeletePodNetwork(names->netns));    // after the pod's processes exited
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rmq::nodeagent {

// Where `ip netns add` keeps named network namespaces.
inline constexpr std::string_view kNetnsDir = "/run/netns";

struct BridgeConfig {
  std::string name = "rmqbr0";
  std::string cidr = "10.244.0.0/16";         // the pod range
  std::string gateway = "10.244.0.1";         // the bridge's address, inside `cidr`
  std::string service_cidr = "10.96.0.0/16";  // blackholed on the host; empty: no route
};

// Makes sure the bridge exists (created with a fixed MAC derived from the gateway, so that it
// does not change as ports come and go), holds gateway/prefix, is up, and that the Service range
// is blackholed. FailedPrecondition if a link of that name exists and is not a bridge.
absl::Status EnsureBridge(const BridgeConfig& config);

// Removes the bridge and the blackhole route (either missing is fine). For tests and for a full
// node teardown; pod networks should be deleted first.
absl::Status DeleteBridge(const BridgeConfig& config);

struct PodNetworkSpec {
  std::string netns{};      // namespace name (PodNetworkNamesFor), /run/netns/<netns>
  std::string host_veth{};  // host end of the veth pair, <= 15 bytes
  std::string bridge = "rmqbr0";
  std::string ip{};     // the pod's address, from the bridge's CIDR (IpAllocator)
  int prefix_len = 16;  // the bridge CIDR's prefix: every pod is on-link, no gateway route
};

struct PodNetwork {
  std::string netns{};
  std::string netns_path{};  // /run/netns/<netns>, for SpawnSpec::netns_path
  std::string host_veth{};
  std::string ip{};
  int prefix_len = 0;
  bool adopted = false;  // the namespace was already complete (made by an earlier run)
};

// Creates the pod's namespace, veth pair (eth0 inside), address, and brings eth0 and lo up.
// Adopts an existing complete namespace that matches `spec`; deletes and recreates one that does
// not (half-made after a crash, or another address). On failure nothing is left behind.
absl::StatusOr<PodNetwork> CreatePodNetwork(const PodNetworkSpec& spec);

// What a pod namespace holds now.
struct PodNetworkState {
  std::string netns{};
  std::string ip{};  // eth0's only IPv4 address; empty if none (or several)
  int prefix_len = 0;
  bool eth0_up = false;
  bool lo_up = false;
  std::string host_veth{};  // the host peer of eth0; empty if it has none
  std::string bridge{};     // the host peer's master
  bool host_veth_up = false;
};

// Reads a pod namespace (e.g. to Adopt() its address into the IpAllocator after a restart).
// NotFound if there is no such namespace.
absl::StatusOr<PodNetworkState> InspectPodNetwork(std::string_view netns);

// Deletes the namespace and the host end of its veth pair (explicitly: a process still inside
// keeps the namespace alive, and would keep the veth on the bridge). Call it after the pod's
// processes exited. A missing namespace is OK.
absl::Status DeletePodNetwork(std::string_view netns);

// Names of the namespaces under /run/netns starting with `prefix`, sorted: what an earlier agent
// left behind, to adopt or delete after a restart.
absl::StatusOr<std::vector<std::string>> ListPodNetworks(std::string_view prefix);

// "/run/netns/<netns>".
std::string NetnsPath(std::string_view netns);

}  // namespace rmq::nodeagent
