// Fuzzes the operator's readers of user input: a NameService or Broker custom resource (any JSON
// the API server could hand over, including what a CRD without validation would let through)
// through spec parsing, the builders and the status computation, and a user's broker-common.conf
// through the broker.conf renderer, and a Broker's status (the operations' progress) read back and
// decided on. None may crash; built objects must serialize.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "controller/api/spec.h"
#include "controller/desired/broker.h"
#include "controller/desired/name_service.h"
#include "controller/operations/name_server_change.h"
#include "controller/reconcile/decisions.h"
#include "controller/status/status.h"

namespace {

using rmq::controller::Json;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  if (data[0] % 3 == 2) {
    // A user's broker-common.conf.
    rmq::controller::BrokerSpec spec;
    spec.name = "b";
    spec.ns = "n";
    rmq::controller::RenderedBrokerConf conf = rmq::controller::RenderBrokerConf(spec, text);
    for (const std::string& key : conf.ignored_keys) {
      Check(rmq::controller::IsOperatorOwnedBrokerKey(key));
    }
    return 0;
  }
  Json spec = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (spec.is_discarded()) return 0;
  Json cr = {{"apiVersion", rmq::controller::kApiVersion},
             {"kind", data[0] % 3 == 0 ? "NameService" : "Broker"},
             {"metadata", {{"name", "x"}, {"namespace", "n"}, {"uid", "u"}, {"generation", 1}}},
             {"spec", spec}};
  if (spec.is_object() && spec.contains("status")) cr["status"] = spec["status"];
  if (data[0] % 3 == 0) {
    absl::StatusOr<rmq::controller::NameServiceSpec> parsed = rmq::controller::ParseNameService(cr);
    rmq::controller::NameServiceStatusInputs in{
        .cr = &cr, .spec = nullptr, .observed = {}, .blockers = {}};
    if (parsed.ok()) {
      in.spec = &*parsed;
      absl::StatusOr<std::vector<Json>> children =
          rmq::controller::BuildNameServiceChildren(cr, *parsed, {});
      Check(children.ok());
      for (const Json& c : *children) (void)rmq::controller::WithAppliedHash(c).dump();
    } else {
      in.blockers.invalid_spec = parsed.status();
    }
    (void)rmq::controller::ComputeNameServiceStatus(in, now).dump();
    return 0;
  }
  absl::StatusOr<rmq::controller::BrokerSpec> parsed = rmq::controller::ParseBroker(cr);
  rmq::controller::BrokerStatusInputs in{.cr = &cr,
                                         .spec = nullptr,
                                         .observed = {},
                                         .blockers = {},
                                         .groups_applied = 0,
                                         .name_servers = "n:9876",
                                         .operations = {}};
  if (parsed.ok()) {
    in.spec = &*parsed;
    in.groups_applied = parsed->size;
    absl::StatusOr<rmq::controller::BrokerChildren> children = rmq::controller::BuildBrokerChildren(
        cr, *parsed, {.user_conf = "", .name_servers = "n:9876"}, {});
    Check(children.ok());
    for (const Json& c : children->All()) (void)rmq::controller::WithAppliedHash(c).dump();
    (void)rmq::controller::UserConfigMapName(*parsed);
  } else {
    in.blockers.invalid_spec = parsed.status();
  }
  // The operations' progress read back from the status, and the decisions taken on it.
  const rmq::controller::BrokerProgress progress = rmq::controller::ReadBrokerProgress(cr);
  for (int32_t g : progress.pending_groups) Check(g >= 0 && g < 128);
  rmq::controller::NameServerChangeState state{.published = progress.published,
                                               .target = progress.target};
  rmq::controller::BrokerNameServerView view;
  view.pod = "p";
  view.reachable = true;
  view.configured = progress.target;
  view.registered[progress.published] = true;
  const rmq::controller::NameServerDecision decision = rmq::controller::DecideNameServerChange(
      text, state, {view},
      text.size() % 2 == 0 ? std::vector<std::string>{} : std::vector<std::string>{text});
  if (decision.action == rmq::controller::NameServerAction::kPublish) {
    Check(decision.next.target.empty());
  }
  in.operations.reported = true;
  in.operations.published = decision.next.published;
  in.operations.name_server_target = decision.next.target;
  in.operations.name_server_reason = "Propagating";
  in.operations.pending_groups = progress.pending_groups;
  in.operations.sync_reason = rmq::controller::kSynced;
  // The desired list here is raw fuzz bytes (the CRD's pattern keeps real ones ASCII): serialize
  // as the API client does, invalid UTF-8 replaced.
  (void)rmq::controller::ComputeBrokerStatus(in, now).dump(-1, ' ', false,
                                                           Json::error_handler_t::replace);
  return 0;
}
