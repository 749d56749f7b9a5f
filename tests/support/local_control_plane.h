// local_control_plane.h: a real Kubernetes control plane (etcd + kube-apiserver, optionally
// kube-controller-manager) for tests, run by scripts/local-control-plane.sh.
//
// Start() runs `local-control-plane.sh start --owner-pid <this process>` (binaries from
// scripts/k8s-bins.sh, or RMQ_K8S_BIN_DIR), which returns once the apiserver is ready, and reads
// the URLs from DIR/state.env. The plane listens on 127.0.0.1 only and stops by itself when the
// test process is gone, even if it was killed outright. Restart() stops it and starts it again on
// the same directory and ports: same server(), same certificates and kubeconfig, same etcd data
// (objects and resourceVersions kept), so a client can be tested across an apiserver outage.
// The destructor stops the plane and removes the directory (unless keep_dir or
// RMQ_KEEP_TEST_DIRS=1).
//
// Missing binaries, a missing script or tool, or a component that does not come up make Start()
// fail with the script's own explanation (its stderr); nothing skips.
//
// Not thread-safe; one instance per test suite (a start takes about 3 s).
//
// Example:
//   absl::StatusOr<std::unique_ptr<LocalControlPlane>> plane = LocalControlPlane::Start({});
//   absl::StatusOr<std::string> out = (*plane)->Kubectl({"get", "ns", "-o", "name"});
//   ASSERT_TRUE((*plane)->Restart().ok());  // (*plane)->server() is unchanged
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rmq::testing {

struct LocalControlPlaneOptions {
  bool with_controller_manager = false;
  // Extra kube-apiserver flags (RMQ_APISERVER_ARGS), e.g. "--watch-cache=false". No spaces
  // inside a flag: the script word-splits them.
  std::vector<std::string> apiserver_args{};
  // Keep the state directory (logs, etcd data) after the fixture is destroyed.
  bool keep_dir = false;
  // State directory; empty: a fresh temporary one, removed by the destructor. A given directory
  // is reused (its certificates, data and ports) and never removed.
  std::string dir{};
  // Directory with the binaries (RMQ_K8S_BIN_DIR); empty: RMQ_K8S_BIN_DIR from the environment,
  // else scripts/k8s-bins.sh's cache (built there on a cache miss, ~8 min).
  std::string bin_dir{};
  std::chrono::seconds start_timeout{180};
};

class LocalControlPlane {
 public:
  static absl::StatusOr<std::unique_ptr<LocalControlPlane>> Start(LocalControlPlaneOptions options);
  ~LocalControlPlane();
  LocalControlPlane(const LocalControlPlane&) = delete;
  LocalControlPlane& operator=(const LocalControlPlane&) = delete;

  // "https://127.0.0.1:<port>"; the same after Restart().
  const std::string& server() const { return server_; }
  // "http://127.0.0.1:<port>"; the same after Restart().
  const std::string& etcd_url() const { return etcd_url_; }
  // The apiserver's port (from server()).
  int api_port() const { return api_port_; }
  // DIR/kubeconfig: admin client certificate (system:masters), CA embedded.
  std::string kubeconfig_path() const { return dir_ + "/kubeconfig"; }
  // DIR/pki: ca.crt, admin.crt, admin.key (for clients that take files).
  std::string pki_dir() const { return dir_ + "/pki"; }
  const std::string& dir() const { return dir_; }
  // The directory with etcd, kube-apiserver, kube-controller-manager and kubectl.
  const std::string& bin_dir() const { return bin_dir_; }
  // "https://127.0.0.1:<port>" of the controller manager, empty without it.
  const std::string& controller_manager_url() const { return kcm_url_; }
  bool running() const { return running_; }

  // Stops every process of the plane, keeping the directory (idempotent).
  absl::Status Stop();
  // Stops the plane if it runs and starts it again on the same directory, apiserver port and
  // etcd port (an error if another process took one of them meanwhile).
  absl::Status Restart();

  // Runs bin_dir()'s kubectl with `args` and KUBECONFIG=kubeconfig_path(); its stdout, or an
  // error with its stderr when it exits non-zero (NotFound when stderr says "(NotFound)", else
  // Unknown; DeadlineExceeded after `timeout`).
  absl::StatusOr<std::string> Kubectl(const std::vector<std::string>& args,
                                      std::chrono::seconds timeout = std::chrono::seconds(60));

  // etcd's current revision (v3 JSON gateway, POST /v3/kv/range): every write to the apiserver
  // raises it; resourceVersions are etcd revisions.
  absl::StatusOr<int64_t> EtcdRevision();
  // Compacts etcd's history up to `revision` (POST /v3/kv/compaction, physical): watches and
  // lists from an older resourceVersion then fail with 410 Gone, unless the apiserver's watch
  // cache still serves them (start with apiserver_args {"--watch-cache=false"} to see etcd's).
  absl::Status CompactEtcd(int64_t revision);

 private:
  explicit LocalControlPlane(LocalControlPlaneOptions options);

  // Runs the script's start with `extra` arguments and reads DIR/state.env.
  absl::Status RunStart(const std::vector<std::string>& extra);
  absl::Status ReadState();

  LocalControlPlaneOptions options_;
  std::string script_;
  std::string dir_;
  bool owns_dir_ = false;  // created by the script for us: removed by the destructor
  bool running_ = false;
  std::string server_;
  std::string etcd_url_;
  std::string etcd_host_;
  int etcd_port_ = 0;
  int api_port_ = 0;
  std::string bin_dir_;
  std::string kcm_url_;
};

}  // namespace rmq::testing
