#include "nodeagent/status/pod_status.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/k8s/objects.h"
#include "nodeagent/plan/json_read.h"

namespace rmq::nodeagent {
namespace {

using json::Array;
using json::Field;
using json::Str;

constexpr char kReasonContainerCreating[] = "ContainerCreating";
constexpr char kReasonPodInitializing[] = "PodInitializing";

const Json& Spec(const Json& pod) {
  static const Json kEmpty = Json::object();  // NOLINT: a constant
  const Json* spec = Field(pod, "spec");
  return spec != nullptr ? *spec : kEmpty;
}

// A container as the API reports it: the view's data, or the default for one not created yet.
struct ApiContainer {
  std::string name{};
  std::string image{};
  bool sidecar = false;  // an init container with restartPolicy Always
  ContainerState state{};
  std::optional<ContainerState> last_state{};
  int32_t restart_count = 0;
  bool ready = false;
  bool started = false;
};

std::vector<ApiContainer> ApiContainers(const Json& spec, bool init,
                                        const std::vector<ContainerRuntimeStatus>& observed) {
  const bool has_init = !Array(spec, "initContainers").empty();
  std::vector<ApiContainer> out;
  for (const Json& c : Array(spec, init ? "initContainers" : "containers")) {
    ApiContainer api;
    api.name = Str(c, "name");
    api.image = Str(c, "image");
    api.sidecar = init && Str(c, "restartPolicy") == "Always";
    auto it = std::find_if(observed.begin(), observed.end(),
                           [&](const ContainerRuntimeStatus& s) { return s.name == api.name; });
    if (it == observed.end()) {
      api.state =
          ContainerState::Waiting(has_init ? kReasonPodInitializing : kReasonContainerCreating);
      out.push_back(std::move(api));
      continue;
    }
    api.state = it->state;
    api.last_state = it->last_state;
    api.restart_count = it->restart_count;
    const bool running = api.state.running();
    api.started = running && it->started;
    if (init && !api.sidecar) {
      // A regular init container is ready once it completed.
      api.ready = api.state.terminated() && api.state.exit_code == 0;
    } else {
      api.ready = api.started && it->ready;
    }
    out.push_back(std::move(api));
  }
  return out;
}

bool LastTerminated(const ApiContainer& c) {
  return c.last_state.has_value() && c.last_state->terminated();
}

// kubelet_pods.go getPhase.
std::string_view Phase(const Json& spec, const std::vector<ApiContainer>& init,
                       const std::vector<ApiContainer>& regular, bool terminal) {
  const RestartPolicy policy =
      ParseRestartPolicy(Str(spec, "restartPolicy")).value_or(RestartPolicy::kAlways);
  int pending_init = 0;
  int pending_sidecars = 0;
  int failed_init = 0;
  for (const ApiContainer& c : init) {
    if (c.sidecar) continue;
    if (c.state.terminated()) {
      if (c.state.exit_code != 0) ++failed_init;
    } else if (c.state.waiting() && LastTerminated(c)) {  // being retried
      if (c.last_state->exit_code != 0) ++failed_init;
    } else {  // running, or not started yet
      ++pending_init;
    }
  }
  int running = 0;
  int waiting = 0;
  int stopped = 0;
  int succeeded = 0;
  for (const ApiContainer& c : init) {
    if (!c.sidecar) continue;
    if (c.state.running()) {
      if (!c.started) ++pending_sidecars;
      ++running;
    } else if (c.state.waiting() && !LastTerminated(c)) {
      ++pending_sidecars;
      ++waiting;
    }  // a stopped sidecar does not count
  }
  for (const ApiContainer& c : regular) {
    if (c.state.running()) {
      ++running;
    } else if (c.state.terminated()) {
      ++stopped;
      if (c.state.exit_code == 0) ++succeeded;
    } else if (LastTerminated(c)) {
      ++stopped;
    } else {
      ++waiting;
    }
  }
  if (failed_init > 0 && policy == RestartPolicy::kNever) return kPhaseFailed;
  // Pending sidecars hold the pod in Pending only before any regular container ran (once the
  // pod was initialized, a restarting sidecar does not send it back).
  const bool regular_started = std::any_of(regular.begin(), regular.end(), [](const auto& c) {
    return c.state.running() || c.state.terminated();
  });
  if (pending_init > 0 || (pending_sidecars > 0 && !regular_started) || waiting > 0) {
    return kPhasePending;
  }
  if (running > 0) return kPhaseRunning;
  if (stopped > 0) {
    if (terminal) return stopped == succeeded ? kPhaseSucceeded : kPhaseFailed;
    if (policy == RestartPolicy::kAlways) return kPhaseRunning;  // being restarted
    if (stopped == succeeded) return kPhaseSucceeded;
    if (policy == RestartPolicy::kNever) return kPhaseFailed;
    return kPhaseRunning;  // OnFailure: the failed ones are being restarted
  }
  return kPhasePending;
}

struct PodCondition {
  std::string type{};
  bool status = false;
  std::string reason{};
  std::string message{};
};

// Go's fmt %s of a []string: "[a b]".
std::string GoList(const std::vector<std::string>& names) {
  return absl::StrCat("[", absl::StrJoin(names, " "), "]");
}

PodCondition Initialized(const std::vector<ApiContainer>& init,
                         const std::vector<ApiContainer>& regular, std::string_view phase) {
  PodCondition c{.type = "Initialized", .status = true};
  if (phase == kPhaseSucceeded) {
    c.reason = "PodCompleted";
    return c;
  }
  // A regular container that ran means the pod was initialized (sidecars may be restarting).
  if (std::any_of(regular.begin(), regular.end(), [](const ApiContainer& r) {
        return r.state.running() || r.state.terminated();
      })) {
    return c;
  }
  std::vector<std::string> incomplete;
  for (const ApiContainer& i : init) {
    const bool done = i.sidecar ? i.started : (i.state.terminated() && i.state.exit_code == 0);
    if (!done) incomplete.push_back(i.name);
  }
  if (!incomplete.empty()) {
    c.status = false;
    c.reason = "ContainersNotInitialized";
    c.message = absl::StrCat("containers with incomplete status: ", GoList(incomplete));
  }
  return c;
}

PodCondition ContainersReady(const std::vector<ApiContainer>& init,
                             const std::vector<ApiContainer>& regular, std::string_view phase) {
  PodCondition c{.type = "ContainersReady", .status = true};
  if (phase == kPhaseSucceeded || phase == kPhaseFailed) {
    c.status = false;
    c.reason = phase == kPhaseSucceeded ? "PodCompleted" : "PodFailed";
    return c;
  }
  std::vector<std::string> unready;
  for (const ApiContainer& i : init) {
    if (i.sidecar && !i.ready) unready.push_back(i.name);
  }
  for (const ApiContainer& r : regular) {
    if (!r.ready) unready.push_back(r.name);
  }
  if (!unready.empty()) {
    c.status = false;
    c.reason = "ContainersNotReady";
    c.message = absl::StrCat("containers with unready status: ", GoList(unready));
  }
  return c;
}

PodCondition Ready(const PodCondition& containers_ready, const Json& spec,
                   const Json& kept_conditions) {
  if (!containers_ready.status) {
    return PodCondition{.type = "Ready",
                        .status = false,
                        .reason = containers_ready.reason,
                        .message = containers_ready.message};
  }
  std::vector<std::string> unready;
  for (const Json& gate : Array(spec, "readinessGates")) {
    const std::string type = Str(gate, "conditionType");
    std::optional<k8s::Condition> found = k8s::FindCondition(kept_conditions, type);
    if (!found.has_value()) {
      unready.push_back(absl::StrCat("corresponding condition of pod readiness gate \"", type,
                                     "\" does not exist."));
    } else if (found->status != k8s::kConditionTrue) {
      unready.push_back(absl::StrCat("the status of pod readiness gate \"", type,
                                     R"(" is not "True", but )", found->status));
    }
  }
  if (!unready.empty()) {
    return PodCondition{.type = "Ready",
                        .status = false,
                        .reason = "ReadinessGatesNotReady",
                        .message = absl::StrJoin(unready, ", ")};
  }
  return PodCondition{.type = "Ready", .status = true};
}

// The JSON of a kubelet-owned condition; lastTransitionTime kept from `previous` unless the
// status flips.
Json ConditionJson(const PodCondition& c, const Json& previous, int64_t generation, TimePoint now) {
  const std::string status(c.status ? k8s::kConditionTrue : k8s::kConditionFalse);
  std::string transition = k8s::Rfc3339Time(now);
  for (const Json& old : previous.is_array() ? previous : Json::array()) {
    if (Str(old, "type") == c.type && Str(old, "status") == status &&
        !Str(old, "lastTransitionTime").empty()) {
      transition = Str(old, "lastTransitionTime");
    }
  }
  Json out = {{"type", c.type},
              {"status", status},
              {"lastProbeTime", nullptr},
              {"lastTransitionTime", transition}};
  if (!c.reason.empty()) out["reason"] = c.reason;
  if (!c.message.empty()) out["message"] = c.message;
  if (generation > 0) out["observedGeneration"] = generation;
  return out;
}

bool KubeletOwned(std::string_view type) {
  return type == "PodScheduled" || type == "PodReadyToStartContainers" || type == "Initialized" ||
         type == "Ready" || type == "ContainersReady" || type == "PodResizePending" ||
         type == "PodResizeInProgress";
}

int64_t ContainerPid(const ApiContainer& c) {
  if (c.state.pid != 0) return c.state.pid;
  return c.last_state.has_value() ? c.last_state->pid : 0;
}

Json ContainerStatusJson(const ApiContainer& c) {
  Json out = {{"name", c.name},
              {"image", c.image},
              {"imageID", absl::StrCat("local://", c.image)},
              {"ready", c.ready},
              {"started", c.started},
              {"restartCount", c.restart_count},
              {"state", c.state.ToJson()},
              {"lastState", c.last_state.has_value() ? c.last_state->ToJson() : Json::object()}};
  if (const int64_t pid = ContainerPid(c); pid != 0) {
    out["containerID"] = absl::StrCat("proc://", pid);
  }
  return out;
}

Json IpList(const std::vector<std::string>& ips) {
  Json out = Json::array();
  for (const std::string& ip : ips) out.push_back({{"ip", ip}});
  return out;
}

}  // namespace

ContainerState ContainerState::Waiting(std::string reason, std::string message) {
  return ContainerState{
      .kind = Kind::kWaiting, .reason = std::move(reason), .message = std::move(message)};
}

ContainerState ContainerState::Running(int64_t pid, TimePoint started_at) {
  return ContainerState{.kind = Kind::kRunning, .pid = pid, .started_at = started_at};
}

ContainerState ContainerState::Terminated(int64_t pid, int32_t exit_code, TimePoint started_at,
                                          TimePoint finished_at, std::string reason) {
  return ContainerState{.kind = Kind::kTerminated,
                        .reason = std::move(reason),
                        .exit_code = exit_code,
                        .pid = pid,
                        .started_at = started_at,
                        .finished_at = finished_at};
}

Json ContainerState::ToJson() const {
  Json body = Json::object();
  switch (kind) {
    case Kind::kWaiting:
      if (!reason.empty()) body["reason"] = reason;
      if (!message.empty()) body["message"] = message;
      return {{"waiting", body}};
    case Kind::kRunning:
      if (started_at.has_value()) body["startedAt"] = k8s::Rfc3339Time(*started_at);
      return {{"running", body}};
    case Kind::kTerminated:
      body["exitCode"] = exit_code;
      if (signal != 0) body["signal"] = signal;
      body["reason"] = !reason.empty() ? reason : (exit_code == 0 ? "Completed" : "Error");
      if (!message.empty()) body["message"] = message;
      if (started_at.has_value()) body["startedAt"] = k8s::Rfc3339Time(*started_at);
      if (finished_at.has_value()) body["finishedAt"] = k8s::Rfc3339Time(*finished_at);
      if (pid != 0) body["containerID"] = absl::StrCat("proc://", pid);
      return {{"terminated", body}};
  }
  return Json::object();
}

std::string ComputePhase(const Json& pod, const Json& previous_status, const PodRuntimeView& view) {
  std::string previous = Str(previous_status, "phase");
  if (previous == kPhaseSucceeded || previous == kPhaseFailed) return previous;
  const Json& spec = Spec(pod);
  return std::string(Phase(spec, ApiContainers(spec, true, view.init_containers),
                           ApiContainers(spec, false, view.containers), view.terminal));
}

Json ComputePodStatus(const Json& pod, const Json& previous_status, const PodRuntimeView& view,
                      TimePoint now) {
  const Json& spec = Spec(pod);
  const std::vector<ApiContainer> init = ApiContainers(spec, true, view.init_containers);
  const std::vector<ApiContainer> regular = ApiContainers(spec, false, view.containers);
  const std::string phase = ComputePhase(pod, previous_status, view);
  const Json* metadata = Field(pod, "metadata");
  const Json* generation_json = metadata != nullptr ? Field(*metadata, "generation") : nullptr;
  const int64_t generation = generation_json != nullptr && generation_json->is_number_integer()
                                 ? generation_json->get<int64_t>()
                                 : 0;

  Json status = previous_status.is_object() ? previous_status : Json::object();
  const Json previous_conditions = Array(status, "conditions");

  // Conditions: the ones others own, then the kubelet's, in the kubelet's order.
  Json conditions = Json::array();
  for (const Json& c : previous_conditions) {
    if (!KubeletOwned(Str(c, "type"))) conditions.push_back(c);
  }
  const Json kept = conditions;
  const PodCondition containers_ready = ContainersReady(init, regular, phase);
  for (const PodCondition& c :
       {PodCondition{.type = "PodReadyToStartContainers", .status = view.sandbox_ready},
        Initialized(init, regular, phase), Ready(containers_ready, spec, kept), containers_ready}) {
    conditions.push_back(ConditionJson(c, previous_conditions, generation, now));
  }
  Json scheduled = ConditionJson(PodCondition{.type = "PodScheduled", .status = true},
                                 previous_conditions, 0, now);
  for (const Json& old : previous_conditions) {
    // The scheduler's (or the binding's) condition as written, if it says True.
    if (Str(old, "type") == "PodScheduled" && Str(old, "status") == k8s::kConditionTrue) {
      scheduled = old;
    }
  }
  conditions.push_back(std::move(scheduled));
  status["conditions"] = std::move(conditions);
  status["phase"] = phase;
  if (generation > 0) status["observedGeneration"] = generation;

  if (!view.host_ip.empty()) {
    status["hostIP"] = view.host_ip;
    status["hostIPs"] = IpList({view.host_ip});
  }
  std::vector<std::string> pod_ips = view.pod_ips;
  if (pod_ips.empty() && !view.pod_ip.empty()) pod_ips.push_back(view.pod_ip);
  if (!pod_ips.empty()) {  // else the previous addresses stay (the kubelet keeps them)
    status["podIP"] = pod_ips.front();
    status["podIPs"] = IpList(pod_ips);
  }
  if (Str(status, "startTime").empty()) {
    status["startTime"] = k8s::Rfc3339Time(view.start_time.value_or(now));
  }

  if (!init.empty()) {
    Json statuses = Json::array();
    for (const ApiContainer& c : init) statuses.push_back(ContainerStatusJson(c));
    status["initContainerStatuses"] = std::move(statuses);
  }
  Json statuses = Json::array();
  for (const ApiContainer& c : regular) statuses.push_back(ContainerStatusJson(c));
  status["containerStatuses"] = std::move(statuses);
  return status;
}

}  // namespace rmq::nodeagent
