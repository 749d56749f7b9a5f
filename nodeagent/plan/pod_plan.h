// pod_plan.h: what the node agent must do to run a pod, decided from the pod's JSON (pure).
//
// BuildPodPlan() turns a Pod (as the API server returns it, defaults applied) into a PodPlan: the
// hostname, every volume's host directory and the files to write into it, and for each init
// container and container the argv, environment, working directory, mounts and probes. It does
// no I/O: ConfigMaps, Secrets and PersistentVolumeClaims come from `PlanContext::lookup`, images
// from an ImageMap, addresses and directories from the context. The caller (the agent's runtime)
// creates directories, writes files, fetches service-account tokens and starts processes.
//
// Kubernetes rules followed (kubelet 1.36: kubelet_pods.go, kuberuntime, volume plugins):
//  - hostname: spec.hostname if set, else the pod name, cut to 63 characters (trailing '-'/'.'
//    dropped); with spec.subdomain the domain is "<subdomain>.<namespace>.svc.<clusterDomain>",
//    and setHostnameAsFQDN makes the FQDN the kernel hostname.
//  - argv: no command and no args -> image entrypoint + cmd; args only -> image entrypoint +
//    args; command (with or without args) -> command + args, the image's ignored. $(VAR) in
//    command and args is expanded with the container's env (env.h), not with the image's.
//  - env, in the order containerd merges it: its default PATH and HOSTNAME (the UTS hostname),
//    the image's env, then what the kubelet computes: envFrom (in order, with prefix; keys that
//    are not valid names skipped), env (value with $(VAR) expanded against what envFrom and the
//    earlier entries defined, and PlanContext::service_env; valueFrom fieldRef /
//    resourceFieldRef / configMapKeyRef / secretKeyRef, whose values are not expanded), then the
//    service_env entries the pod did not define. Later entries override earlier ones in place.
//  - volumes: emptyDir and the projected kinds get "<pod_dir>/volumes/<plugin>/<name>" (the
//    kubelet's layout, e.g. kubernetes.io~configmap); hostPath is the path itself;
//    persistentVolumeClaim and generic ephemeral volumes get "<pv_root>/<namespace>/<claim>",
//    so a StatefulSet pod recreated under the same name finds its data. configMap, secret,
//    downwardAPI and projected volumes carry the files to write, honouring items (key, path,
//    mode), defaultMode (0644 when unset) and optional; Secret and binaryData values are
//    base64-decoded. A serviceAccountToken projection is a request the caller fulfils.
//  - mounts: a volume's directory (plus subPath, or subPathExpr expanded with the env) at
//    mountPath; configMap, secret, downwardAPI and projected mounts are always read-only.
//  - probes and lifecycle handlers are copied with Kubernetes' defaults (period 10 s, timeout
//    1 s, success 1, failure 3), named ports resolved against the container's ports, and
//    $(VAR) in exec commands expanded with the container's literal env values only.
//
// Errors carry the waiting reason a kubelet would report (PlanErrorReason()):
//  - a missing required ConfigMap or Secret, or a missing key in one, referenced from env:
//    CreateContainerConfigError ("container \"broker\": configmap \"ns/conf\" not found");
//  - the same from a volume, or a missing PVC: ContainerCreating (the kubelet keeps retrying
//    the mount and reports FailedMount events);
//  - an image missing from the image map: ErrImagePull; a malformed one: InvalidImageName;
//  - no command at all (neither the pod nor the image gives one): CreateContainerError;
//  - an invalid spec (a path with "..", an unknown fieldPath): CreateContainerConfigError.
// Optional references that are missing are skipped, as the kubelet skips them.
//
// Not handled (the caller's business or out of scope): service links for Services other than
// what service_env carries, resources/cgroups, securityContext, fsGroup, image pulls.
// Thread-compatible: BuildPodPlan is a pure function of its arguments (plus the lookup).
//
// Example:
//   PlanContext ctx{.node_name = "node-1", .node_ip = "10.244.0.1", .pod_ip = "10.244.0.7",
//                   .pod_dir = "/var/lib/rmq-node/pods/" + uid, .pv_root = "/var/lib/rmq-node/pv",
//                   .lookup = store_lookup, .images = &images};
//   absl::StatusOr<PodPlan> plan = BuildPodPlan(pod, ctx);
//   if (!plan.ok()) return ReportWaiting(pod, PlanErrorReason(plan.status()), plan.status());
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/k8s/watch_stream.h"
#include "nodeagent/plan/env.h"
#include "nodeagent/plan/image_map.h"

namespace rmq::nodeagent {

using Json = rmq::k8s::Json;

// ---------------------------------------------------------------------------------------------
// Inputs.

// An object the pod references: kind is "ConfigMap", "Secret" or "PersistentVolumeClaim".
// NotFound when it does not exist (optional references are then skipped); any other error is
// passed on as is.
using ObjectLookup = std::function<absl::StatusOr<Json>(
    std::string_view kind, std::string_view namespace_name, std::string_view name)>;

struct PlanContext {
  std::string node_name{};             // spec.nodeName when the pod has none yet
  std::string node_ip{};               // status.hostIP / hostIPs
  std::string pod_ip{};                // status.podIP (the node's IP for a hostNetwork pod)
  std::vector<std::string> pod_ips{};  // status.podIPs; {pod_ip} when empty
  std::string pod_dir{};               // the pod's own directory: "/var/lib/rmq-node/pods/<uid>"
  std::string pv_root{};               // claims live in "<pv_root>/<namespace>/<claimName>"
  std::string cluster_domain = "cluster.local";
  ObjectLookup lookup{};
  const ImageMap* images = nullptr;  // required, borrowed
  // Variables a kubelet adds for Services (KUBERNETES_SERVICE_HOST, ...): usable in $(VAR) and
  // added after the pod's own env unless the pod defines the same name.
  EnvList service_env{};
  // What a resourceFieldRef reads for a limit the container does not set (the kubelet uses the
  // node's allocatable resources). Keys: "cpu", "memory", "ephemeral-storage".
  std::map<std::string, std::string> node_allocatable{
      {"cpu", "2"}, {"memory", "8Gi"}, {"ephemeral-storage", "100Gi"}};
};

// ---------------------------------------------------------------------------------------------
// The plan.

enum class RestartPolicy { kAlways, kOnFailure, kNever };

// "Always", "OnFailure", "Never"; nullopt for anything else.
std::optional<RestartPolicy> ParseRestartPolicy(std::string_view text);
const char* RestartPolicyName(RestartPolicy policy);

enum class VolumeKind {
  kEmptyDir,
  kHostPath,
  kConfigMap,
  kSecret,
  kDownwardApi,
  kProjected,
  kPersistentVolumeClaim,  // also generic ephemeral volumes (claim "<pod>-<volume>")
};

// A serviceAccountToken projection: the caller obtains the token with the TokenRequest API
// (POST .../serviceaccounts/<name>/token, bound to the pod) and writes it as the file's content.
struct TokenRequest {
  std::string service_account{};
  std::string audience{};  // "" = the API server's default audiences
  int64_t expiration_seconds = 3600;

  friend bool operator==(const TokenRequest&, const TokenRequest&) = default;
};

struct VolumeFile {
  std::string path{};     // relative to the volume's directory; may contain '/'; never ".."
  std::string content{};  // bytes (decoded)
  uint32_t mode = 0644;
  std::optional<TokenRequest> token{};  // set: content is to be fetched by the caller

  friend bool operator==(const VolumeFile&, const VolumeFile&) = default;
};

struct VolumePlan {
  std::string name{};
  VolumeKind kind = VolumeKind::kEmptyDir;
  std::string host_path{};  // the directory (for hostPath: the path, which may be a file)
  // hostPath only: spec.volumes[].hostPath.type ("", "DirectoryOrCreate", "Directory",
  // "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice"); the caller checks it.
  std::string host_path_type{};
  bool memory_medium = false;  // emptyDir.medium: Memory (a tmpfs for a kubelet)
  std::string claim_name{};    // persistentVolumeClaim / ephemeral
  bool read_only = false;      // the source is read-only (PVC readOnly, or a projected kind)
  // configMap, secret, downwardAPI, projected: the complete content, sorted by path. The caller
  // replaces the directory's content with exactly these files.
  std::vector<VolumeFile> files{};
};

// A volume (or a part of it) at a path in the container. (The sandbox's Mount is the lower-level
// host path -> container path a process gets.)
struct VolumeMount {
  std::string volume{};          // the volume's name
  std::string host_path{};       // the volume's host path, plus "/<subPath>" when one is given
  std::string container_path{};  // mountPath
  bool read_only = false;
  std::string sub_path{};  // as resolved (subPathExpr expanded); "" for the whole volume

  friend bool operator==(const VolumeMount&, const VolumeMount&) = default;
};

struct ContainerPort {
  std::string name{};
  int32_t container_port = 0;
  std::string protocol = "TCP";
  int32_t host_port = 0;

  friend bool operator==(const ContainerPort&, const ContainerPort&) = default;
};

struct HttpHeader {
  std::string name{};
  std::string value{};

  friend bool operator==(const HttpHeader&, const HttpHeader&) = default;
};

// One probe or lifecycle action (core/v1 ProbeHandler / LifecycleHandler).
struct Handler {
  enum class Kind { kExec, kHttpGet, kTcpSocket, kGrpc, kSleep };
  Kind kind = Kind::kExec;
  std::vector<std::string> command{};  // exec: run in the container's context, $(VAR) expanded
  std::string scheme = "HTTP";         // httpGet: HTTP or HTTPS
  std::string host{};                  // httpGet/tcpSocket: as given, else the pod IP
  std::string path{};                  // httpGet: as given, else "/"
  std::vector<HttpHeader> headers{};   // httpGet
  int32_t port = 0;                    // httpGet/tcpSocket/grpc, names resolved
  // A named port the container does not declare: the kubelet runs the pod and fails every probe
  // with this message; so does the caller. `port` is then 0.
  std::string port_error{};
  std::string grpc_service{};  // grpc: the service name for grpc.health.v1 ("" = server)
  int64_t sleep_seconds = 0;   // sleep (lifecycle only)

  friend bool operator==(const Handler&, const Handler&) = default;
};

struct Probe {
  Handler handler{};
  int32_t initial_delay_seconds = 0;
  int32_t period_seconds = 10;
  int32_t timeout_seconds = 1;
  int32_t success_threshold = 1;  // 1 for liveness and startup probes (API validation)
  int32_t failure_threshold = 3;
  // Probe-level override of the pod's grace period when this probe kills the container.
  std::optional<int64_t> termination_grace_period_seconds{};

  friend bool operator==(const Probe&, const Probe&) = default;
};

struct ContainerPlan {
  std::string name{};
  std::string image{};       // as written in the pod
  std::string image_root{};  // the image's directory (ImageEntry::root)
  std::vector<std::string> argv{};
  EnvList env{};
  std::string working_dir{};  // workingDir, else the image's, else "/"
  std::vector<VolumeMount> mounts{};
  std::vector<ContainerPort> ports{};
  std::optional<Probe> startup_probe{};
  std::optional<Probe> readiness_probe{};
  std::optional<Probe> liveness_probe{};
  std::optional<Handler> post_start{};
  std::optional<Handler> pre_stop{};
  // Init containers only: restartPolicy Always makes a sidecar (it keeps running beside the
  // containers). Unset otherwise.
  std::optional<RestartPolicy> restart_policy{};
  std::string termination_message_path = "/dev/termination-log";
};

struct HostAlias {
  std::string ip{};
  std::vector<std::string> hostnames{};

  friend bool operator==(const HostAlias&, const HostAlias&) = default;
};

struct PodPlan {
  std::string name{};
  std::string namespace_name{};
  std::string uid{};
  std::string hostname{};     // the short host name: "web-0"
  std::string host_domain{};  // "nginx.default.svc.cluster.local" with a subdomain, else ""
  // What gethostname() returns: hostname, or the FQDN with setHostnameAsFQDN; for a hostNetwork
  // pod (no UTS namespace of its own) the node's name.
  std::string uts_hostname{};
  bool host_network = false;
  std::vector<HostAlias> host_aliases{};
  std::vector<VolumePlan> volumes{};
  std::vector<ContainerPlan> init_containers{};
  std::vector<ContainerPlan> containers{};
  RestartPolicy restart_policy = RestartPolicy::kAlways;
  int64_t termination_grace_period_seconds = 30;
};

// The plan for `pod`; errors as described in the banner, with a reason payload.
absl::StatusOr<PodPlan> BuildPodPlan(const Json& pod, const PlanContext& ctx);

// Waiting reasons a plan error maps to (the kubelet's vocabulary).
inline constexpr std::string_view kReasonCreateContainerConfigError = "CreateContainerConfigError";
inline constexpr std::string_view kReasonContainerCreating = "ContainerCreating";
inline constexpr std::string_view kReasonErrImagePull = "ErrImagePull";
inline constexpr std::string_view kReasonInvalidImageName = "InvalidImageName";
inline constexpr std::string_view kReasonCreateContainerError = "CreateContainerError";

// The waiting reason carried by an error of BuildPodPlan(); kReasonCreateContainerConfigError
// for any other non-OK status.
std::string PlanErrorReason(const absl::Status& status);

// ---------------------------------------------------------------------------------------------
// Pieces of the plan, exposed for the agent and for tests.

// The kubelet's pod hostname and domain (GeneratePodHostNameAndDomain): {hostname, domain}.
// InvalidArgument when spec.hostname or spec.subdomain is not a DNS-1123 label, or the
// truncated name is empty.
absl::StatusOr<std::pair<std::string, std::string>> PodHostnameAndDomain(
    const Json& pod, std::string_view cluster_domain);

// The downward API value of `field_path` for `pod` (env fieldRef and downwardAPI volumes):
// metadata.name, .namespace, .uid, .labels, .annotations, .labels['k'], .annotations['k'],
// spec.nodeName, spec.serviceAccountName, status.podIP, status.podIPs (comma-separated),
// status.hostIP, status.hostIPs. Whole label/annotation maps are `k="v"` lines sorted by key,
// values quoted as Go's %q quotes them. A missing label reads as "". InvalidArgument for any
// other path.
absl::StatusOr<std::string> PodFieldValue(const Json& pod, std::string_view field_path,
                                          const PlanContext& ctx);

// The resourceFieldRef value (limits.cpu, limits.memory, limits.ephemeral-storage, requests.*)
// of `container` (its JSON spec), in units of `divisor` ("" or "0" = "1"), rounded up. An unset
// limit reads as the node's allocatable amount, an unset request as 0.
absl::StatusOr<std::string> ContainerResourceValue(const Json& container, std::string_view resource,
                                                   std::string_view divisor,
                                                   const PlanContext& ctx);

}  // namespace rmq::nodeagent
