#include "nodeagent/node/volume_provisioner.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/k8s/api.h"
#include "common/k8s/objects.h"
#include "common/log/logger.h"

namespace rmq::nodeagent {
namespace {

namespace asio = boost::asio;
using k8s::Json;

std::shared_ptr<spdlog::logger> Log() { return log::Get("nodeagent.volumes"); }

std::string StringAt(const Json& obj, const char* a, const char* b) {
  if (!obj.is_object() || !obj.contains(a) || !obj[a].is_object()) return "";
  const Json& inner = obj[a];
  auto it = inner.find(b);
  return it != inner.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

bool NeedsProvisioning(const Json& claim, const std::set<std::string>& storage_classes) {
  if (!claim.is_object() || !claim.contains("spec")) return false;
  if (claim["metadata"].contains("deletionTimestamp")) return false;
  if (!StringAt(claim, "spec", "volumeName").empty()) return false;
  const std::string phase = StringAt(claim, "status", "phase");
  if (!phase.empty() && phase != "Pending") return false;
  const Json& spec = claim["spec"];
  auto cls = spec.find("storageClassName");
  if (cls == spec.end() || cls->is_null()) return true;
  const std::string name = cls->is_string() ? cls->get<std::string>() : "";
  return name.empty() || storage_classes.contains(name);
}

Json ProvisionedVolume(const Json& claim, const std::string& directory) {
  const Json& spec = claim["spec"];
  std::string storage = "1Gi";
  if (spec.contains("resources") && spec["resources"].contains("requests") &&
      spec["resources"]["requests"].contains("storage") &&
      spec["resources"]["requests"]["storage"].is_string()) {
    storage = spec["resources"]["requests"]["storage"].get<std::string>();
  }
  Json modes =
      spec.contains("accessModes") && spec["accessModes"].is_array() && !spec["accessModes"].empty()
          ? spec["accessModes"]
          : Json::array({"ReadWriteOnce"});
  std::string cls = StringAt(claim, "spec", "storageClassName");
  Json pv = {{"apiVersion", "v1"},
             {"kind", "PersistentVolume"},
             {"metadata",
              {{"name", absl::StrCat("pvc-", k8s::Uid(claim))},
               {"labels", {{"rocketmq.apache.org/provisioned-by", "rmq-node-agent"}}},
               {"annotations", {{"pv.kubernetes.io/provisioned-by", "rmq-node-agent"}}}}},
             {"spec",
              {{"capacity", {{"storage", storage}}},
               {"accessModes", modes},
               {"persistentVolumeReclaimPolicy", "Retain"},
               {"storageClassName", cls},
               {"volumeMode", "Filesystem"},
               {"hostPath", {{"path", directory}, {"type", "DirectoryOrCreate"}}},
               {"claimRef",
                {{"apiVersion", "v1"},
                 {"kind", "PersistentVolumeClaim"},
                 {"namespace", k8s::Namespace(claim)},
                 {"name", k8s::Name(claim)},
                 {"uid", k8s::Uid(claim)}}}}}};
  return pv;
}

VolumeProvisioner::VolumeProvisioner(k8s::Client& client, const asio::any_io_executor& executor,
                                     std::string pv_root, std::set<std::string> storage_classes)
    : client_(client),
      executor_(executor),
      pv_root_(std::move(pv_root)),
      storage_classes_(std::move(storage_classes)),
      informer_(client, k8s::PersistentVolumeClaims(), {}),
      controller_(executor,
                  [this](const std::string& key) -> asio::awaitable<k8s::Controller::Result> {
                    k8s::Controller::Result result = co_await Provision(key);
                    co_return result;
                  },
                  {.workers = 2}) {
  informer_.AddHandler([this](const k8s::ObjectEvent& event) {
    if (event.type != k8s::ObjectEvent::Type::kDeleted &&
        NeedsProvisioning(event.object, storage_classes_)) {
      controller_.Enqueue(k8s::ObjectStore::KeyOf(event.object));
    }
  });
}

void VolumeProvisioner::Stop() {
  informer_.Stop();
  controller_.Stop();
}

asio::awaitable<k8s::Controller::Result> VolumeProvisioner::Provision(const std::string& key) {
  const Json* found = informer_.store().Get(key);
  if (found == nullptr || !NeedsProvisioning(*found, storage_classes_)) {
    co_return k8s::Controller::Result{};
  }
  const Json claim = *found;
  const std::string dir = absl::StrCat(pv_root_, "/", k8s::Namespace(claim), "/", k8s::Name(claim));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    co_return k8s::Controller::Result{
        .status = absl::InternalError(absl::StrCat("mkdir ", dir, ": ", ec.message()))};
  }
  absl::StatusOr<Json> created =
      co_await client_.Create(k8s::PersistentVolumes(), ProvisionedVolume(claim, dir));
  if (created.ok() || k8s::IsApiAlreadyExists(created.status())) {
    if (created.ok()) {
      ++provisioned_;
      Log()->info("provisioned volume pvc-{} at {} for claim {}", k8s::Uid(claim), dir, key);
    }
    co_return k8s::Controller::Result{};
  }
  Log()->warn("provisioning a volume for claim {}: {}", key, created.status().ToString());
  co_return k8s::Controller::Result{.status = created.status()};
}

asio::awaitable<void> VolumeProvisioner::Run() {
  co_await k8s::RunInformerAndController(executor_, informer_, controller_);
}

}  // namespace rmq::nodeagent
