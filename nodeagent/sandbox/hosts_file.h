// hosts_file.h: a pod's /etc/hosts, standing in for cluster DNS (there is no CoreDNS locally).
//
// RenderHostsFile() is pure. It writes the kubelet's header and localhost lines, the pod's own
// line and one line per peer: any pod with a subdomain (a headless Service's pod, in any
// namespace), under the names cluster DNS resolves for it:
//   10.244.0.8  broker-1.broker.ns.svc.cluster.local  broker-1.broker.ns.svc  broker-1.broker
// (a peer of another namespace gets "<host>.<subdomain>.<namespace>" as its short name). The
// Service itself is not checked: a pod's subdomain is taken as its headless Service's name.
// A peer without an address (not running yet) is left out; peers are sorted by hostname so that
// the same set renders the same bytes (no rewrite when only the watch order changed).
//
// WriteFileInPlace() replaces a file's content keeping its inode: the file is bind-mounted over
// /etc/hosts in running pods, and a bind mount pins the inode (a rename would go unseen).
//
// Example:
//   std::string hosts = RenderHostsFile({.pod_name = "broker-0", .pod_ip = "10.244.0.7",
//                                        .subdomain = "broker", .pod_namespace = "rocketmq",
//                                        .peers = {{.hostname = "broker-1", .ip = "10.244.0.8"}}});
//   RMQ_RETURN_IF_ERROR(WriteFileInPlace(pod_dir + "/hosts", hosts));
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace rmq::nodeagent {

struct HostsPeer {
  std::string hostname{};       // the peer pod's hostname (a StatefulSet pod's name)
  std::string ip{};             // its pod IP; empty: not known yet (left out)
  std::string subdomain{};      // its spec.subdomain; empty: the pod's own
  std::string pod_namespace{};  // its namespace; empty: the pod's own
};

struct PodHostsSpec {
  std::string pod_name{};
  std::string pod_ip{};
  std::string hostname{};       // spec.hostname; empty: the pod name
  std::string subdomain{};      // spec.subdomain (the headless Service); empty: no DNS names
  std::string pod_namespace{};  // metadata.namespace
  std::string cluster_domain = "cluster.local";
  std::vector<HostsPeer> peers{};  // pods of the same headless Service; the pod itself is skipped
};

// The hosts file's content (ends with a newline).
std::string RenderHostsFile(const PodHostsSpec& spec);

// The names a pod of `subdomain` in `pod_namespace` has, longest first:
// "<host>.<subdomain>.<ns>.svc.<domain>", "<host>.<subdomain>.<ns>.svc", "<host>.<subdomain>".
std::vector<std::string> PodDnsNames(std::string_view hostname, std::string_view subdomain,
                                     std::string_view pod_namespace,
                                     std::string_view cluster_domain);

// Replaces the content of `path` (created with mode 0644 if missing) without replacing the file:
// writes `content` from offset 0, then truncates to its length. A reader may briefly see the new
// start followed by the old tail, never an empty file.
absl::Status WriteFileInPlace(const std::string& path, std::string_view content);

}  // namespace rmq::nodeagent
