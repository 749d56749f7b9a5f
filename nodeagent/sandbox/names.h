// names.h: names of a pod's network objects, derived from its UID (pure).
//
// A pod's network namespace is `<netns_prefix><uid hex>` (a file under /run/netns, no length
// limit) and the host end of its veth pair is `<veth_prefix><leading uid hex>` cut to 15 bytes
// (IFNAMSIZ - 1). Both are deterministic, so an agent that restarts finds what its predecessor
// made (ListPodNetworks by prefix) and can tell its objects from a second agent's (other prefixes,
// as the integration test uses).
//
// Example:
//   auto names = PodNetworkNamesFor("3f2a9c1e-5b7d-4e0f-9a8b-0c1d2e3f4a5b");
//   // names->netns == "rmqpod-3f2a9c1e5b7d4e0f9a8b0c1d2e3f4a5b", names->host_veth ==
//   "rmqv3f2a9c1e5b7"
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rmq::nodeagent {

// Longest Linux network interface name (IFNAMSIZ - 1).
inline constexpr size_t kMaxInterfaceNameLength = 15;
// Fewest UID characters a host veth name keeps (so that prefixes cannot eat the whole name).
inline constexpr size_t kMinVethUidChars = 8;

struct PodNetworkNames {
  std::string netns{};      // network namespace name (/run/netns/<netns>)
  std::string host_veth{};  // host end of the veth pair, on the bridge
};

struct PodNetworkNamePrefixes {
  std::string netns = "rmqpod-";
  std::string veth = "rmqv";  // at most kMaxInterfaceNameLength - kMinVethUidChars bytes
};

// The names for the pod with `pod_uid` (a Kubernetes UID: letters, digits and '-'; dashes are
// dropped, letters lower-cased). InvalidArgument for an empty or malformed UID or prefix.
absl::StatusOr<PodNetworkNames> PodNetworkNamesFor(std::string_view pod_uid,
                                                   const PodNetworkNamePrefixes& prefixes = {});

// A name `ip link` accepts: 1-15 bytes, no '/', ':', whitespace, not "." or "..".
bool IsValidInterfaceName(std::string_view name);
// A name `ip netns add` accepts as a file under /run/netns: 1-255 bytes, no '/', not "." or "..",
// no whitespace or control characters (our own rule: the name is passed around in argv and logs).
bool IsValidNetnsName(std::string_view name);

}  // namespace rmq::nodeagent
