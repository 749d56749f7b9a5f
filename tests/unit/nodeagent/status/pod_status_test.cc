// ComputePodStatus: phases for each restart policy, conditions and their transition times,
// container statuses, addresses.
#include "nodeagent/status/pod_status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace rmq::nodeagent {
namespace {

using std::chrono::seconds;
using Clock = std::chrono::system_clock;

const Clock::time_point kT0 = Clock::from_time_t(1767225600);  // 2026-01-01T00:00:00Z
constexpr char kT0Text[] = "2026-01-01T00:00:00Z";

Json Pod(const std::string& restart_policy = "Always") {
  Json pod = Json::parse(R"json({
    "metadata": {"name": "broker-0", "namespace": "rocketmq", "uid": "u1"},
    "spec": {"containers": [{"name": "broker", "image": "apache/rocketmq:5.3.3"}]}})json");
  pod["spec"]["restartPolicy"] = restart_policy;
  return pod;
}

ContainerRuntimeStatus Running(const std::string& name, bool ready = true, int64_t pid = 4242) {
  return ContainerRuntimeStatus{
      .name = name, .state = ContainerState::Running(pid, kT0), .ready = ready, .started = true};
}

ContainerRuntimeStatus Exited(const std::string& name, int32_t code) {
  return ContainerRuntimeStatus{
      .name = name, .state = ContainerState::Terminated(77, code, kT0, kT0 + seconds(5))};
}

// Crash-looping: waiting with the previous run in lastState.
ContainerRuntimeStatus BackingOff(const std::string& name, int32_t code) {
  return ContainerRuntimeStatus{
      .name = name,
      .state = ContainerState::Waiting("CrashLoopBackOff", "back-off 10s ..."),
      .last_state = ContainerState::Terminated(77, code, kT0, kT0 + seconds(5)),
      .restart_count = 1};
}

PodRuntimeView View(std::vector<ContainerRuntimeStatus> containers) {
  return PodRuntimeView{.sandbox_ready = true,
                        .containers = std::move(containers),
                        .pod_ip = "10.244.0.7",
                        .host_ip = "10.244.0.1",
                        .start_time = kT0};
}

const Json* Condition(const Json& status, const std::string& type) {
  for (const Json& c : status["conditions"]) {
    if (c["type"] == type) return &c;
  }
  return nullptr;
}

std::string ConditionStatus(const Json& status, const std::string& type) {
  const Json* c = Condition(status, type);
  return c == nullptr ? "absent" : (*c)["status"].get<std::string>();
}

std::string PhaseOf(const Json& pod, const PodRuntimeView& view) {
  return ComputePodStatus(pod, Json(), view, kT0)["phase"];
}

TEST(PodStatusTest, RunningAndReadyMatchesWhatAKubeletWrites) {
  // The example of docs/test-infra.md 4.4 step 5, with the kubelet's null lastProbeTime,
  // PodScheduled and lastState.
  Json previous = Json::parse(R"json({"phase": "Pending", "qosClass": "BestEffort",
      "conditions": [{"type": "PodScheduled", "status": "True", "lastProbeTime": null,
                      "lastTransitionTime": "2025-12-31T23:59:59Z"}]})json");
  Json status = ComputePodStatus(Pod(), previous, View({Running("broker")}), kT0);
  EXPECT_EQ(status, Json::parse(R"json({
    "phase": "Running", "qosClass": "BestEffort", "startTime": "2026-01-01T00:00:00Z",
    "hostIP": "10.244.0.1", "hostIPs": [{"ip": "10.244.0.1"}],
    "podIP": "10.244.0.7", "podIPs": [{"ip": "10.244.0.7"}],
    "conditions": [
      {"type": "PodReadyToStartContainers", "status": "True", "lastProbeTime": null,
       "lastTransitionTime": "2026-01-01T00:00:00Z"},
      {"type": "Initialized", "status": "True", "lastProbeTime": null,
       "lastTransitionTime": "2026-01-01T00:00:00Z"},
      {"type": "Ready", "status": "True", "lastProbeTime": null,
       "lastTransitionTime": "2026-01-01T00:00:00Z"},
      {"type": "ContainersReady", "status": "True", "lastProbeTime": null,
       "lastTransitionTime": "2026-01-01T00:00:00Z"},
      {"type": "PodScheduled", "status": "True", "lastProbeTime": null,
       "lastTransitionTime": "2025-12-31T23:59:59Z"}],
    "containerStatuses": [{"name": "broker", "image": "apache/rocketmq:5.3.3",
      "imageID": "local://apache/rocketmq:5.3.3", "containerID": "proc://4242",
      "ready": true, "started": true, "restartCount": 0,
      "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}, "lastState": {}}]})json"))
      << status.dump(2);
}

TEST(PodStatusTest, NewPodBeforeAnythingRuns) {
  Json status = ComputePodStatus(Pod(), Json(), PodRuntimeView{}, kT0);
  EXPECT_EQ(status["phase"], "Pending");
  EXPECT_EQ(status["startTime"], kT0Text);
  EXPECT_FALSE(status.contains("podIP"));
  EXPECT_FALSE(status.contains("initContainerStatuses"));
  EXPECT_EQ(status["containerStatuses"][0]["state"],
            Json::parse(R"json({"waiting": {"reason": "ContainerCreating"}})json"));
  EXPECT_FALSE(status["containerStatuses"][0].contains("containerID"));
  EXPECT_EQ(status["containerStatuses"][0]["started"], false);
  EXPECT_EQ(ConditionStatus(status, "PodReadyToStartContainers"), "False");
  EXPECT_EQ(ConditionStatus(status, "Initialized"), "True");
  EXPECT_EQ(ConditionStatus(status, "PodScheduled"), "True");
  const Json& ready = *Condition(status, "Ready");
  EXPECT_EQ(ready["status"], "False");
  EXPECT_EQ(ready["reason"], "ContainersNotReady");
  EXPECT_EQ(ready["message"], "containers with unready status: [broker]");
  EXPECT_EQ(*Condition(status, "ContainersReady"),
            Json::parse(R"json({"type": "ContainersReady", "status": "False",
                "lastProbeTime": null, "lastTransitionTime": "2026-01-01T00:00:00Z",
                "reason": "ContainersNotReady",
                "message": "containers with unready status: [broker]"})json"));
}

TEST(PodStatusTest, UnreadyContainersAreListedInSpecOrder) {
  Json pod = Pod();
  pod["spec"]["containers"].push_back({{"name", "agent"}, {"image", "rmq/agent"}});
  pod["spec"]["containers"].push_back({{"name", "exporter"}, {"image", "rmq/exporter"}});
  Json status = ComputePodStatus(
      pod, Json(), View({Running("exporter", false), Running("broker", false), Running("agent")}),
      kT0);
  EXPECT_EQ((*Condition(status, "Ready"))["message"],
            "containers with unready status: [broker exporter]");
  EXPECT_EQ(status["containerStatuses"][0]["name"], "broker");
  EXPECT_EQ(status["containerStatuses"][2]["name"], "exporter");
}

TEST(PodStatusTest, ReadyAndStartedOnlyWhileRunning) {
  ContainerRuntimeStatus stale = Exited("broker", 1);
  stale.ready = true;
  stale.started = true;
  Json status = ComputePodStatus(Pod("Never"), Json(), View({stale}), kT0);
  EXPECT_EQ(status["containerStatuses"][0]["ready"], false);
  EXPECT_EQ(status["containerStatuses"][0]["started"], false);
  ContainerRuntimeStatus starting = Running("broker", /*ready=*/true);
  starting.started = false;  // startup probe not passed yet: not ready either
  status = ComputePodStatus(Pod(), Json(), View({starting}), kT0);
  EXPECT_EQ(status["containerStatuses"][0]["ready"], false);
  EXPECT_EQ(status["phase"], "Running");
}

TEST(PodStatusTest, TransitionTimesChangeOnlyWhenTheStatusFlips) {
  const Json first = ComputePodStatus(Pod(), Json(), View({Running("broker", false)}), kT0);
  EXPECT_EQ((*Condition(first, "Ready"))["lastTransitionTime"], kT0Text);
  // Same statuses later: times kept, so the status is unchanged and need not be written.
  const Json again =
      ComputePodStatus(Pod(), first, View({Running("broker", false)}), kT0 + seconds(30));
  EXPECT_EQ(again, first);
  // Ready flips: only Ready and ContainersReady move.
  const Json ready =
      ComputePodStatus(Pod(), again, View({Running("broker", true)}), kT0 + seconds(60));
  EXPECT_EQ((*Condition(ready, "Ready"))["lastTransitionTime"], "2026-01-01T00:01:00Z");
  EXPECT_EQ((*Condition(ready, "ContainersReady"))["lastTransitionTime"], "2026-01-01T00:01:00Z");
  EXPECT_EQ((*Condition(ready, "Initialized"))["lastTransitionTime"], kT0Text);
  EXPECT_EQ((*Condition(ready, "PodReadyToStartContainers"))["lastTransitionTime"], kT0Text);
  EXPECT_FALSE(Condition(ready, "Ready")->contains("reason"));
  EXPECT_EQ(ready["startTime"], kT0Text);
}

TEST(PodStatusTest, ReadinessGatesAndForeignConditions) {
  Json pod = Pod();
  pod["spec"]["readinessGates"] = Json::parse(
      R"json([{"conditionType": "rocketmq.apache.org/registered"},
               {"conditionType": "example.com/lb"}])json");
  Json previous = Json::parse(R"json({"conditions": [
      {"type": "rocketmq.apache.org/registered", "status": "False",
       "lastTransitionTime": "2025-01-01T00:00:00Z"},
      {"type": "DisruptionTarget", "status": "False",
       "lastTransitionTime": "2025-01-01T00:00:00Z"}]})json");
  Json status = ComputePodStatus(pod, previous, View({Running("broker")}), kT0);
  EXPECT_EQ(ConditionStatus(status, "ContainersReady"), "True");
  const Json& ready = *Condition(status, "Ready");
  EXPECT_EQ(ready["status"], "False");
  EXPECT_EQ(ready["reason"], "ReadinessGatesNotReady");
  EXPECT_EQ(ready["message"],
            "the status of pod readiness gate \"rocketmq.apache.org/registered\" is not "
            "\"True\", but False, corresponding condition of pod readiness gate "
            "\"example.com/lb\" does not exist.");
  // Conditions the kubelet does not own are kept, verbatim and first.
  EXPECT_EQ(status["conditions"][0], previous["conditions"][0]);
  EXPECT_EQ(status["conditions"][1], previous["conditions"][1]);

  previous["conditions"][0]["status"] = "True";
  previous["conditions"].push_back({{"type", "example.com/lb"}, {"status", "True"}});
  status = ComputePodStatus(pod, previous, View({Running("broker")}), kT0);
  EXPECT_EQ(ConditionStatus(status, "Ready"), "True");
}

TEST(PodStatusTest, PodScheduledIsAddedWhenMissing) {
  Json status = ComputePodStatus(Pod(), Json::object(), View({Running("broker")}), kT0);
  EXPECT_EQ(*Condition(status, "PodScheduled"),
            Json::parse(R"json({"type": "PodScheduled", "status": "True", "lastProbeTime": null,
                                "lastTransitionTime": "2026-01-01T00:00:00Z"})json"));
}

// ---------------------------------------------------------------------------------------------
// Phases.

TEST(PodStatusTest, PhaseWhenAllContainersExitedCleanly) {
  const PodRuntimeView done = View({Exited("broker", 0)});
  EXPECT_EQ(PhaseOf(Pod("Always"), done), "Running");  // being restarted
  EXPECT_EQ(PhaseOf(Pod("OnFailure"), done), "Succeeded");
  EXPECT_EQ(PhaseOf(Pod("Never"), done), "Succeeded");
}

TEST(PodStatusTest, PhaseWhenAContainerFailed) {
  const PodRuntimeView failed = View({Exited("broker", 1)});
  EXPECT_EQ(PhaseOf(Pod("Always"), failed), "Running");
  EXPECT_EQ(PhaseOf(Pod("OnFailure"), failed), "Running");
  EXPECT_EQ(PhaseOf(Pod("Never"), failed), "Failed");
}

TEST(PodStatusTest, PhaseWhileCrashLooping) {
  const PodRuntimeView looping = View({BackingOff("broker", 1)});
  EXPECT_EQ(PhaseOf(Pod("Always"), looping), "Running");
  EXPECT_EQ(PhaseOf(Pod("OnFailure"), looping), "Running");
}

TEST(PodStatusTest, PhaseWithSomeRunningSomeExited) {
  Json pod = Pod("Never");
  pod["spec"]["containers"].push_back({{"name", "agent"}, {"image", "rmq/agent"}});
  EXPECT_EQ(PhaseOf(pod, View({Running("broker"), Exited("agent", 1)})), "Running");
  EXPECT_EQ(PhaseOf(pod, View({Exited("broker", 0), Exited("agent", 1)})), "Failed");
  EXPECT_EQ(PhaseOf(pod, View({Exited("broker", 0)})), "Pending");  // agent not started yet
}

TEST(PodStatusTest, TerminalPodsEndSucceededOrFailedWhateverThePolicy) {
  PodRuntimeView view = View({Exited("broker", 0)});
  view.terminal = true;
  EXPECT_EQ(PhaseOf(Pod("Always"), view), "Succeeded");
  view = View({Exited("broker", 143)});
  view.terminal = true;
  EXPECT_EQ(PhaseOf(Pod("Always"), view), "Failed");
}

TEST(PodStatusTest, TerminalPhasesStay) {
  const Json previous = {{"phase", "Succeeded"}};
  EXPECT_EQ(ComputePhase(Pod("Always"), previous, View({Running("broker")})), "Succeeded");
  EXPECT_EQ(ComputePhase(Pod("Always"), Json{{"phase", "Failed"}}, View({Running("broker")})),
            "Failed");
}

TEST(PodStatusTest, TerminalPhasesMakeContainersReadyFalse) {
  Json status = ComputePodStatus(Pod("Never"), Json(), View({Exited("broker", 0)}), kT0);
  EXPECT_EQ(status["phase"], "Succeeded");
  EXPECT_EQ((*Condition(status, "ContainersReady"))["reason"], "PodCompleted");
  EXPECT_EQ((*Condition(status, "Ready"))["reason"], "PodCompleted");
  EXPECT_EQ((*Condition(status, "Initialized"))["reason"], "PodCompleted");
  status = ComputePodStatus(Pod("Never"), Json(), View({Exited("broker", 2)}), kT0);
  EXPECT_EQ(status["phase"], "Failed");
  EXPECT_EQ((*Condition(status, "Ready"))["reason"], "PodFailed");
}

// ---------------------------------------------------------------------------------------------
// Init containers and sidecars.

Json PodWithInit(const std::string& restart_policy = "Always") {
  Json pod = Pod(restart_policy);
  pod["spec"]["initContainers"] = Json::parse(
      R"json([{"name": "init-a", "image": "busybox"}, {"name": "init-b", "image": "busybox"}])json");
  return pod;
}

TEST(PodStatusTest, InitContainersPending) {
  PodRuntimeView view = View({});
  view.init_containers = {Running("init-a")};
  Json status = ComputePodStatus(PodWithInit(), Json(), view, kT0);
  EXPECT_EQ(status["phase"], "Pending");
  const Json& initialized = *Condition(status, "Initialized");
  EXPECT_EQ(initialized["status"], "False");
  EXPECT_EQ(initialized["reason"], "ContainersNotInitialized");
  EXPECT_EQ(initialized["message"], "containers with incomplete status: [init-a init-b]");
  // Not created yet: PodInitializing (the pod has init containers).
  EXPECT_EQ(status["initContainerStatuses"][1]["state"]["waiting"]["reason"], "PodInitializing");
  EXPECT_EQ(status["containerStatuses"][0]["state"]["waiting"]["reason"], "PodInitializing");
  EXPECT_EQ(status["initContainerStatuses"][0]["ready"], false);  // running, not completed
}

TEST(PodStatusTest, CompletedInitContainersAreReadyAndInitializeThePod) {
  PodRuntimeView view = View({Running("broker")});
  view.init_containers = {Exited("init-a", 0), Exited("init-b", 0)};
  Json status = ComputePodStatus(PodWithInit(), Json(), view, kT0);
  EXPECT_EQ(status["phase"], "Running");
  EXPECT_EQ(ConditionStatus(status, "Initialized"), "True");
  EXPECT_EQ(ConditionStatus(status, "Ready"), "True");
  EXPECT_EQ(status["initContainerStatuses"][0]["ready"], true);
  EXPECT_EQ(status["initContainerStatuses"][0]["state"]["terminated"],
            Json::parse(R"json({"exitCode": 0, "reason": "Completed", "containerID": "proc://77",
                "startedAt": "2026-01-01T00:00:00Z", "finishedAt": "2026-01-01T00:00:05Z"})json"));
}

TEST(PodStatusTest, FailedInitContainers) {
  PodRuntimeView view = View({});
  view.init_containers = {Exited("init-a", 1)};
  EXPECT_EQ(PhaseOf(PodWithInit("Never"), view), "Failed");
  view.init_containers = {BackingOff("init-a", 1)};  // retried under Always/OnFailure
  EXPECT_EQ(PhaseOf(PodWithInit("Always"), view), "Pending");
  EXPECT_EQ(PhaseOf(PodWithInit("OnFailure"), view), "Pending");
}

TEST(PodStatusTest, SidecarsMustStartAndBeReady) {
  Json pod = Pod();
  pod["spec"]["initContainers"] =
      Json::parse(R"json([{"name": "proxy", "image": "busybox", "restartPolicy": "Always"}])json");
  ContainerRuntimeStatus proxy = Running("proxy", /*ready=*/false);
  proxy.started = false;
  PodRuntimeView view = View({});
  view.init_containers = {proxy};
  Json status = ComputePodStatus(pod, Json(), view, kT0);
  EXPECT_EQ(status["phase"], "Pending");
  EXPECT_EQ((*Condition(status, "Initialized"))["message"],
            "containers with incomplete status: [proxy]");

  view.init_containers[0].started = true;
  view.containers = {Running("broker")};
  status = ComputePodStatus(pod, Json(), view, kT0);
  EXPECT_EQ(status["phase"], "Running");
  EXPECT_EQ(ConditionStatus(status, "Initialized"), "True");
  EXPECT_EQ((*Condition(status, "ContainersReady"))["message"],
            "containers with unready status: [proxy]");
  view.init_containers[0].ready = true;
  EXPECT_EQ(ConditionStatus(ComputePodStatus(pod, Json(), view, kT0), "Ready"), "True");

  // The sidecar restarts (its startup probe not passed yet) while the broker runs: still
  // Running and Initialized, not Ready.
  view.init_containers[0].started = false;
  view.init_containers[0].restart_count = 1;
  status = ComputePodStatus(pod, Json(), view, kT0);
  EXPECT_EQ(status["phase"], "Running");
  EXPECT_EQ(ConditionStatus(status, "Initialized"), "True");
  EXPECT_EQ(ConditionStatus(status, "Ready"), "False");
}

// ---------------------------------------------------------------------------------------------
// Container statuses and addresses.

TEST(PodStatusTest, RestartedContainersShowLastStateAndCount) {
  Json status = ComputePodStatus(Pod(), Json(), View({BackingOff("broker", 137)}), kT0);
  const Json& c = status["containerStatuses"][0];
  EXPECT_EQ(c["restartCount"], 1);
  EXPECT_EQ(c["containerID"], "proc://77");  // the last run's, while waiting
  EXPECT_EQ(c["state"], Json::parse(R"json({"waiting": {"reason": "CrashLoopBackOff",
                                                        "message": "back-off 10s ..."}})json"));
  EXPECT_EQ(c["lastState"]["terminated"]["exitCode"], 137);
  EXPECT_EQ(c["lastState"]["terminated"]["reason"], "Error");
  EXPECT_EQ(c["ready"], false);
}

TEST(PodStatusTest, TerminatedStateJson) {
  ContainerState s = ContainerState::Terminated(0, 137, kT0, kT0 + seconds(1), "OOMKilled");
  s.signal = 9;
  s.message = "killed";
  EXPECT_EQ(s.ToJson(), Json::parse(R"json({"terminated": {"exitCode": 137, "signal": 9,
      "reason": "OOMKilled", "message": "killed", "startedAt": "2026-01-01T00:00:00Z",
      "finishedAt": "2026-01-01T00:00:01Z"}})json"));
  EXPECT_EQ(ContainerState::Waiting("").ToJson(), Json::parse(R"json({"waiting": {}})json"));
}

TEST(PodStatusTest, AddressesAndStartTime) {
  PodRuntimeView view = View({Running("broker")});
  view.pod_ips = {"10.244.0.7", "fd00::7"};
  Json status = ComputePodStatus(Pod(), Json(), view, kT0 + seconds(9));
  EXPECT_EQ(status["podIP"], "10.244.0.7");
  EXPECT_EQ(status["podIPs"], Json::parse(R"json([{"ip": "10.244.0.7"}, {"ip": "fd00::7"}])json"));
  EXPECT_EQ(status["startTime"], kT0Text);  // the view's, not now
  // An empty view keeps what was written (the kubelet keeps IPs while tearing down).
  PodRuntimeView empty;
  Json later = ComputePodStatus(Pod(), status, empty, kT0 + seconds(60));
  EXPECT_EQ(later["podIP"], "10.244.0.7");
  EXPECT_EQ(later["hostIP"], "10.244.0.1");
  EXPECT_EQ(later["startTime"], kT0Text);
}

TEST(PodStatusTest, ObservedGeneration) {
  Json pod = Pod();
  pod["metadata"]["generation"] = 3;
  Json status = ComputePodStatus(pod, Json(), View({Running("broker")}), kT0);
  EXPECT_EQ(status["observedGeneration"], 3);
  EXPECT_EQ((*Condition(status, "Ready"))["observedGeneration"], 3);
  EXPECT_FALSE(ComputePodStatus(Pod(), Json(), View({}), kT0).contains("observedGeneration"));
}

}  // namespace
}  // namespace rmq::nodeagent
