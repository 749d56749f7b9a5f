// volume_provisioner.h: PersistentVolumes for the claims of pods on this node (a local
// provisioner, so StatefulSet volumeClaimTemplates work without a storage driver).
//
// VolumeProvisioner::Run() watches PersistentVolumeClaims in every namespace. For each claim that
// is Pending with no spec.volumeName, and whose storageClassName is empty, unset, or one of
// `storage_classes`, it creates the directory "<pv_root>/<namespace>/<claim>" (the path the pod
// plan mounts) and a PersistentVolume "pvc-<claim uid>": hostPath of that directory, the claim's
// access modes, capacity = the claim's request (1Gi when it has none), the claim's storage class,
// reclaim policy Retain, and a claimRef pre-binding it to the claim. kube-controller-manager's
// PersistentVolume controller then binds the two (claim phase Bound). Data outlives pods: a pod
// recreated under the same name finds its claim, its volume and its directory. Deleting the claim
// leaves the volume Released and the directory in place (Retain); nothing is deleted on disk.
// A 409 (the volume exists) counts as done; other failures are retried with the controller's
// per-key back-off.
//
// Threading: confined to one executor; Stop() must be called from it.
#pragma once

#include <set>
#include <string>

#include "common/k8s/client.h"
#include "common/k8s/controller.h"
#include "common/k8s/informer.h"
#include "common/net/asio.h"

namespace rmq::nodeagent {

// The PersistentVolume for `claim` (pure).
k8s::Json ProvisionedVolume(const k8s::Json& claim, const std::string& directory);

// Whether the provisioner serves `claim` (pure): Pending, unbound, a class it serves.
bool NeedsProvisioning(const k8s::Json& claim, const std::set<std::string>& storage_classes);

class VolumeProvisioner {
 public:
  VolumeProvisioner(k8s::Client& client, const boost::asio::any_io_executor& executor,
                    std::string pv_root,
                    std::set<std::string> storage_classes = {"standard", "local-path"});

  boost::asio::awaitable<void> Run();
  void Stop();

  int64_t provisioned() const { return provisioned_; }

 private:
  boost::asio::awaitable<k8s::Controller::Result> Provision(const std::string& key);

  k8s::Client& client_;
  boost::asio::any_io_executor executor_;
  std::string pv_root_;
  std::set<std::string> storage_classes_;
  k8s::Informer informer_;
  k8s::Controller controller_;
  int64_t provisioned_ = 0;
};

}  // namespace rmq::nodeagent
