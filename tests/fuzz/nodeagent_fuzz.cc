// libFuzzer target for the node agent's decoders of outside input, the first byte choosing:
//  0: a pod (JSON from the API server) -> BuildPodPlan and ComputePodStatus must not crash, and a
//     plan error must carry a waiting reason;
//  1: the image map (YAML file) -> ParseImageMap; every parsed entry must be found again;
//  2: the agent's own state file (PodRecord JSON) -> a parsed record serializes and parses back
//     to itself;
//  3: /proc/<pid>/stat content and a recorded process identity.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nodeagent/plan/image_map.h"
#include "nodeagent/plan/pod_plan.h"
#include "nodeagent/runtime/pod_record.h"
#include "nodeagent/sandbox/process.h"
#include "nodeagent/status/pod_status.h"

namespace {

using rmq::nodeagent::Json;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

void FuzzPod(std::string_view text) {
  Json pod = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (pod.is_discarded()) return;
  static const rmq::nodeagent::ImageMap images = *rmq::nodeagent::ParseImageMap(
      "- {image: app, root: /img, entrypoint: [/bin/app], cmd: [serve], env: {A: b}}\n",
      [](std::string_view) { return std::optional<std::string>(); });
  rmq::nodeagent::PlanContext ctx{.node_name = "n",
                                  .node_ip = "10.0.0.1",
                                  .pod_ip = "10.0.0.2",
                                  .pod_dir = "/pods/u",
                                  .pv_root = "/pv",
                                  .lookup = [&pod](std::string_view kind, std::string_view,
                                                   std::string_view) -> absl::StatusOr<Json> {
                                    // The pod's own "lookup" key stands in for every object.
                                    if (pod.is_object() && pod.contains("lookup")) {
                                      return pod["lookup"];
                                    }
                                    return absl::NotFoundError(std::string(kind));
                                  },
                                  .images = &images};
  absl::StatusOr<rmq::nodeagent::PodPlan> plan = rmq::nodeagent::BuildPodPlan(pod, ctx);
  if (!plan.ok()) Check(!rmq::nodeagent::PlanErrorReason(plan.status()).empty());
  rmq::nodeagent::PodRuntimeView view{.sandbox_ready = true, .pod_ip = "10.0.0.2"};
  const Json previous = pod.is_object() && pod.contains("status") ? pod["status"] : Json();
  Json status = rmq::nodeagent::ComputePodStatus(pod, previous, view, {});
  Check(status.is_object());
}

void FuzzImageMap(std::string_view text) {
  absl::StatusOr<rmq::nodeagent::ImageMap> images =
      rmq::nodeagent::ParseImageMap(text, [](std::string_view name) -> std::optional<std::string> {
        if (name == "SET") return std::string("/set");
        return std::nullopt;
      });
  if (!images.ok()) return;
  for (const rmq::nodeagent::ImageEntry& e : images->entries()) {
    Check(!e.root.empty() && e.root[0] == '/');
    Check(images->Find(e.image) != nullptr);
  }
}

void FuzzRecord(std::string_view text) {
  absl::StatusOr<rmq::nodeagent::PodRecord> record = rmq::nodeagent::ParsePodRecord(text);
  if (!record.ok()) return;
  absl::StatusOr<rmq::nodeagent::PodRecord> again =
      rmq::nodeagent::ParsePodRecord(rmq::nodeagent::SerializePodRecord(*record));
  Check(again.ok() && *again == *record);
}

void FuzzProc(std::string_view text) {
  (void)rmq::nodeagent::ParseProcStat(text);
  absl::StatusOr<rmq::nodeagent::ProcessIdentity> id = rmq::nodeagent::ParseProcessIdentity(text);
  if (id.ok()) {
    absl::StatusOr<rmq::nodeagent::ProcessIdentity> again =
        rmq::nodeagent::ParseProcessIdentity(id->ToString());
    Check(again.ok() && *again == *id);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      FuzzPod(input);
      break;
    case 1:
      FuzzImageMap(input);
      break;
    case 2:
      FuzzRecord(input);
      break;
    default:
      FuzzProc(input);
      break;
  }
  return 0;
}
