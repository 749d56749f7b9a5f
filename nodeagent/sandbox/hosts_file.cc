#include "nodeagent/sandbox/hosts_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <tuple>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace rmq::nodeagent {

namespace {

std::string Sv(std::string_view s) { return std::string(s); }

absl::Status ErrnoError(std::string_view what, const std::string& path, int err) {
  return absl::InternalError(absl::StrCat(Sv(what), " ", path, ": ", std::strerror(err)));
}

}  // namespace

std::vector<std::string> PodDnsNames(std::string_view hostname, std::string_view subdomain,
                                     std::string_view pod_namespace,
                                     std::string_view cluster_domain) {
  const std::string short_name = absl::StrCat(Sv(hostname), ".", Sv(subdomain));
  const std::string svc_name = absl::StrCat(short_name, ".", Sv(pod_namespace), ".svc");
  return {absl::StrCat(svc_name, ".", Sv(cluster_domain)), svc_name, short_name};
}

std::string RenderHostsFile(const PodHostsSpec& spec) {
  // As the kubelet's managed file (managedHostsFileContent in pkg/kubelet/kubelet_pods.go):
  // header, IPv4/IPv6 localhost lines, then the pod's own line (with the shorter DNS forms too).
  std::string out =
      "# Kubernetes-managed hosts file (rmq node agent).\n"
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\n"
      "fe00::0\tip6-mcastprefix\n"
      "fe00::1\tip6-allnodes\n"
      "fe00::2\tip6-allrouters\n";
  const std::string& hostname = spec.hostname.empty() ? spec.pod_name : spec.hostname;
  const bool dns = !spec.subdomain.empty() && !spec.pod_namespace.empty();
  if (!spec.pod_ip.empty() && !hostname.empty()) {
    std::vector<std::string> names;
    if (dns) {
      names = PodDnsNames(hostname, spec.subdomain, spec.pod_namespace, spec.cluster_domain);
    }
    names.push_back(hostname);
    if (spec.pod_name != hostname && !spec.pod_name.empty()) names.push_back(spec.pod_name);
    absl::StrAppend(&out, spec.pod_ip, "\t", absl::StrJoin(names, " "), "\n");
  }
  if (spec.pod_namespace.empty()) return out;

  // Every pod that has DNS names (a subdomain): cluster DNS answers for them from any pod.
  struct Peer {
    std::string ns, subdomain, hostname, ip;
  };
  std::vector<Peer> peers;
  for (const HostsPeer& peer : spec.peers) {
    Peer p{.ns = peer.pod_namespace.empty() ? spec.pod_namespace : peer.pod_namespace,
           .subdomain = peer.subdomain.empty() ? spec.subdomain : peer.subdomain,
           .hostname = peer.hostname,
           .ip = peer.ip};
    if (p.ip.empty() || p.hostname.empty() || p.subdomain.empty()) continue;
    if (dns && p.ns == spec.pod_namespace && p.subdomain == spec.subdomain &&
        p.hostname == hostname) {
      continue;  // the pod itself
    }
    peers.push_back(std::move(p));
  }
  std::sort(peers.begin(), peers.end(), [](const Peer& a, const Peer& b) {
    return std::tie(a.ns, a.subdomain, a.hostname, a.ip) <
           std::tie(b.ns, b.subdomain, b.hostname, b.ip);
  });
  const Peer* previous = nullptr;
  for (const Peer& peer : peers) {
    if (previous != nullptr && previous->ns == peer.ns && previous->subdomain == peer.subdomain &&
        previous->hostname == peer.hostname) {
      continue;  // one line a name
    }
    previous = &peer;
    std::vector<std::string> names =
        PodDnsNames(peer.hostname, peer.subdomain, peer.ns, spec.cluster_domain);
    if (peer.ns != spec.pod_namespace) {
      // "<host>.<sub>" resolves through the search path of the pod's own namespace only; from
      // another namespace the short form is "<host>.<sub>.<ns>".
      names.back() = absl::StrCat(peer.hostname, ".", peer.subdomain, ".", peer.ns);
    }
    absl::StrAppend(&out, peer.ip, "\t", absl::StrJoin(names, " "), "\n");
  }
  return out;
}

absl::Status WriteFileInPlace(const std::string& path, std::string_view content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("open", path, errno);
  absl::Cleanup close_fd = [fd] { ::close(fd); };
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::pwrite(fd, content.data() + written, content.size() - written,
                               static_cast<off_t>(written));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("pwrite", path, errno);
    }
    written += static_cast<size_t>(n);
  }
  if (::ftruncate(fd, static_cast<off_t>(content.size())) != 0) {
    return ErrnoError("ftruncate", path, errno);
  }
  return absl::OkStatus();
}

}  // namespace rmq::nodeagent
