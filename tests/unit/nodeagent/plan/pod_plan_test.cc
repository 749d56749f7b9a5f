// BuildPodPlan: hostname, argv, env, volumes, mounts, probes and the errors a kubelet reports.
#include "nodeagent/plan/pod_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace rmq::nodeagent {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kImages[] = R"json(
images:
- image: apache/rocketmq
  root: /images/rocketmq
  workingDir: /home/rocketmq/rocketmq-5.3.3
  entrypoint: [/entry.sh]
  cmd: [sh, mqnamesrv]
  env: {JAVA_HOME: /jvm, ROCKETMQ_HOME: /home/rocketmq/rocketmq-5.3.3, PATH: /jvm/bin:/usr/bin}
- image: busybox
  root: /images/busybox
)json";

class PodPlanTest : public ::testing::Test {
 protected:
  PodPlanTest() {
    images_ = *ParseImageMap(kImages, [](std::string_view) { return std::nullopt; });
    ctx_.node_name = "node-1";
    ctx_.node_ip = "10.244.0.1";
    ctx_.pod_ip = "10.244.0.7";
    ctx_.pod_dir = "/var/lib/rmq-node/pods/uid-1";
    ctx_.pv_root = "/var/lib/rmq-node/pv";
    ctx_.images = &images_;
    ctx_.lookup = [this](std::string_view kind, std::string_view ns,
                         std::string_view name) -> absl::StatusOr<Json> {
      ++lookups_;
      if (!lookup_error_.ok()) return lookup_error_;
      auto it = objects_.find(
          absl::StrCat(std::string(kind), "/", std::string(ns), "/", std::string(name)));
      if (it == objects_.end()) return absl::NotFoundError("not found");
      return it->second;
    };
    pod_ = Json::parse(R"json({
      "metadata": {"name": "web-0", "namespace": "ns1", "uid": "uid-1",
                   "labels": {"app": "web", "tier": "a\"b"},
                   "annotations": {"note": "x\ny"}},
      "spec": {"nodeName": "node-1", "serviceAccountName": "sa",
               "containers": [{"name": "main", "image": "apache/rocketmq:5.3.3"}]}
    })json");
  }

  void AddObject(const std::string& kind, const std::string& name, Json object) {
    objects_[absl::StrCat(kind, "/ns1/", name)] = std::move(object);
  }
  Json& Container() { return pod_["spec"]["containers"][0]; }

  absl::StatusOr<PodPlan> Build() { return BuildPodPlan(pod_, ctx_); }
  PodPlan MustBuild() {
    absl::StatusOr<PodPlan> plan = Build();
    EXPECT_TRUE(plan.ok()) << plan.status();
    return plan.ok() ? *std::move(plan) : PodPlan{};
  }
  EnvList MainEnv() {
    PodPlan plan = MustBuild();
    return plan.containers.empty() ? EnvList{} : plan.containers[0].env;
  }
  std::optional<std::string> MainVar(std::string_view name) { return FindEnv(MainEnv(), name); }

  ImageMap images_;
  PlanContext ctx_;
  Json pod_;
  std::map<std::string, Json> objects_;
  absl::Status lookup_error_ = absl::OkStatus();
  int lookups_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Hostname.

TEST_F(PodPlanTest, HostnameIsThePodName) {
  PodPlan plan = MustBuild();
  EXPECT_EQ(plan.name, "web-0");
  EXPECT_EQ(plan.namespace_name, "ns1");
  EXPECT_EQ(plan.uid, "uid-1");
  EXPECT_EQ(plan.hostname, "web-0");
  EXPECT_EQ(plan.host_domain, "");
  EXPECT_EQ(plan.uts_hostname, "web-0");
  EXPECT_EQ(FindEnv(plan.containers[0].env, "HOSTNAME"), "web-0");
}

TEST_F(PodPlanTest, HostnameAndSubdomain) {
  pod_["spec"]["hostname"] = "custom";
  pod_["spec"]["subdomain"] = "nginx";
  ctx_.cluster_domain = "example.local";
  PodPlan plan = MustBuild();
  EXPECT_EQ(plan.hostname, "custom");
  EXPECT_EQ(plan.host_domain, "nginx.ns1.svc.example.local");
  EXPECT_EQ(plan.uts_hostname, "custom");
  pod_["spec"]["setHostnameAsFQDN"] = true;
  plan = MustBuild();
  EXPECT_EQ(plan.uts_hostname, "custom.nginx.ns1.svc.example.local");
  EXPECT_EQ(FindEnv(plan.containers[0].env, "HOSTNAME"), "custom.nginx.ns1.svc.example.local");
}

TEST_F(PodPlanTest, LongPodNamesAreTruncatedWithoutTrailingDashes) {
  const std::string name = std::string(62, 'a') + "-bcd";
  pod_["metadata"]["name"] = name;
  EXPECT_EQ(MustBuild().hostname, std::string(62, 'a'));
}

TEST_F(PodPlanTest, InvalidHostnameOrSubdomainIsAnError) {
  pod_["spec"]["hostname"] = "Not_Valid";
  EXPECT_THAT(Build().status().message(), HasSubstr("pod Hostname \"Not_Valid\" is not a valid"));
  pod_["spec"].erase("hostname");
  pod_["spec"]["subdomain"] = "a.b";
  EXPECT_THAT(Build().status().message(), HasSubstr("pod Subdomain \"a.b\""));
}

TEST_F(PodPlanTest, HostNetworkPodsHaveTheNodesHostname) {
  pod_["spec"]["hostNetwork"] = true;
  PodPlan plan = MustBuild();
  EXPECT_TRUE(plan.host_network);
  EXPECT_EQ(plan.hostname, "web-0");
  EXPECT_EQ(plan.uts_hostname, "node-1");
}

TEST_F(PodPlanTest, PodLevelSettingsAndDefaults) {
  PodPlan plan = MustBuild();
  EXPECT_EQ(plan.restart_policy, RestartPolicy::kAlways);
  EXPECT_EQ(plan.termination_grace_period_seconds, 30);
  pod_["spec"]["restartPolicy"] = "OnFailure";
  pod_["spec"]["terminationGracePeriodSeconds"] = 5;
  pod_["spec"]["hostAliases"] =
      Json::parse(R"json([{"ip": "10.0.0.9", "hostnames": ["db", "db.local"]}])json");
  plan = MustBuild();
  EXPECT_EQ(plan.restart_policy, RestartPolicy::kOnFailure);
  EXPECT_EQ(plan.termination_grace_period_seconds, 5);
  EXPECT_THAT(plan.host_aliases,
              ElementsAre(HostAlias{.ip = "10.0.0.9", .hostnames = {"db", "db.local"}}));
  EXPECT_EQ(ParseRestartPolicy("Never"), RestartPolicy::kNever);
  EXPECT_EQ(ParseRestartPolicy("never"), std::nullopt);
  EXPECT_STREQ(RestartPolicyName(RestartPolicy::kOnFailure), "OnFailure");
}

// ---------------------------------------------------------------------------------------------
// argv: command/args against the image's entrypoint/cmd.

TEST_F(PodPlanTest, NoCommandNoArgsRunsTheImageEntrypointAndCmd) {
  PodPlan plan = MustBuild();
  EXPECT_EQ(plan.containers[0].argv, (std::vector<std::string>{"/entry.sh", "sh", "mqnamesrv"}));
  EXPECT_EQ(plan.containers[0].image, "apache/rocketmq:5.3.3");
  EXPECT_EQ(plan.containers[0].image_root, "/images/rocketmq");
}

TEST_F(PodPlanTest, ArgsOnlyReplaceTheImageCmd) {
  Container()["args"] = {"sh", "mqbroker"};
  EXPECT_EQ(MustBuild().containers[0].argv,
            (std::vector<std::string>{"/entry.sh", "sh", "mqbroker"}));
}

TEST_F(PodPlanTest, CommandReplacesEntrypointAndCmd) {
  Container()["command"] = {"java", "-version"};
  EXPECT_EQ(MustBuild().containers[0].argv, (std::vector<std::string>{"java", "-version"}));
  Container()["args"] = {"-Xmx1g"};
  EXPECT_EQ(MustBuild().containers[0].argv,
            (std::vector<std::string>{"java", "-version", "-Xmx1g"}));
}

TEST_F(PodPlanTest, CommandAndArgsExpandContainerEnvButNotImageEnv) {
  Container()["env"] = Json::parse(R"json([{"name": "HEAP", "value": "1g"}])json");
  Container()["command"] = {"java", "-Xmx$(HEAP)", "$(JAVA_HOME)", "$$(HEAP)"};
  Container()["args"] = {"$(HEAP)", "$(MISSING)"};
  EXPECT_EQ(
      MustBuild().containers[0].argv,
      (std::vector<std::string>{"java", "-Xmx1g", "$(JAVA_HOME)", "$(HEAP)", "1g", "$(MISSING)"}));
}

TEST_F(PodPlanTest, ImageCmdIsNotExpanded) {
  images_ = ImageMap({ImageEntry{.image = "busybox",
                                 .reference = *ParseImageReference("busybox"),
                                 .root = "/b",
                                 .cmd = {"echo", "$(HEAP)"}}});
  Container()["image"] = "busybox";
  Container()["env"] = Json::parse(R"json([{"name": "HEAP", "value": "1g"}])json");
  EXPECT_EQ(MustBuild().containers[0].argv, (std::vector<std::string>{"echo", "$(HEAP)"}));
}

TEST_F(PodPlanTest, NoCommandAnywhereIsCreateContainerError) {
  Container()["image"] = "busybox";
  absl::StatusOr<PodPlan> plan = Build();
  EXPECT_EQ(plan.status().message(), "container \"main\": no command specified");
  EXPECT_EQ(PlanErrorReason(plan.status()), kReasonCreateContainerError);
}

TEST_F(PodPlanTest, ImagesMissingFromTheMapAreErrImagePull) {
  Container()["image"] = "nginx:1.27";
  absl::StatusOr<PodPlan> plan = Build();
  EXPECT_EQ(plan.status().message(),
            "container \"main\": image \"nginx:1.27\" is not in the image map");
  EXPECT_EQ(PlanErrorReason(plan.status()), kReasonErrImagePull);
  Container()["image"] = "Bad Image";
  EXPECT_EQ(PlanErrorReason(Build().status()), kReasonInvalidImageName);
}

TEST_F(PodPlanTest, WorkingDirectory) {
  EXPECT_EQ(MustBuild().containers[0].working_dir, "/home/rocketmq/rocketmq-5.3.3");
  Container()["workingDir"] = "/data";
  EXPECT_EQ(MustBuild().containers[0].working_dir, "/data");
  Container().erase("workingDir");
  Container()["image"] = "busybox";
  Container()["command"] = {"sh"};
  EXPECT_EQ(MustBuild().containers[0].working_dir, "/");
}

// ---------------------------------------------------------------------------------------------
// env.

TEST_F(PodPlanTest, EnvOrderIsRuntimeDefaultsThenImageThenPod) {
  AddObject("ConfigMap", "conf",
            Json::parse(R"json({"data": {"B": "from-cm", "JAVA_HOME": "/cm"}})json"));
  Container()["envFrom"] = Json::parse(R"json([{"configMapRef": {"name": "conf"}}])json");
  Container()["env"] =
      Json::parse(R"json([{"name": "A", "value": "a"}, {"name": "B", "value": "b"}])json");
  ctx_.service_env = {{"KUBERNETES_SERVICE_HOST", "10.244.0.1"}, {"A", "svc"}};
  EXPECT_EQ(MainEnv(), (EnvList{{"PATH", "/jvm/bin:/usr/bin"},
                                {"HOSTNAME", "web-0"},
                                {"JAVA_HOME", "/cm"},
                                {"ROCKETMQ_HOME", "/home/rocketmq/rocketmq-5.3.3"},
                                {"B", "b"},
                                {"A", "a"},
                                {"KUBERNETES_SERVICE_HOST", "10.244.0.1"}}));
}

TEST_F(PodPlanTest, DefaultPathWhenTheImageSetsNone) {
  Container()["image"] = "busybox";
  Container()["command"] = {"sh"};
  EXPECT_EQ(MainVar("PATH"), "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
}

TEST_F(PodPlanTest, EnvValuesExpandEarlierDefinitionsAndServiceEnvOnly) {
  AddObject("ConfigMap", "conf", Json::parse(R"json({"data": {"FROM_CM": "cm"}})json"));
  Container()["envFrom"] = Json::parse(R"json([{"configMapRef": {"name": "conf"}}])json");
  Container()["env"] = Json::parse(R"json([
    {"name": "FIRST", "value": "1"},
    {"name": "USES", "value": "$(FIRST)-$(FROM_CM)-$(SVC)-$(LATER)-$(JAVA_HOME)-$$(FIRST)"},
    {"name": "LATER", "value": "2"},
    {"name": "EMPTY", "value": ""}])json");
  ctx_.service_env = {{"SVC", "s"}};
  EXPECT_EQ(MainVar("USES"), "1-cm-s-$(LATER)-$(JAVA_HOME)-$(FIRST)");
  EXPECT_EQ(MainVar("EMPTY"), "");
}

TEST_F(PodPlanTest, FieldRefs) {
  ctx_.pod_ips = {"10.244.0.7", "fd00::7"};
  Container()["env"] = Json::parse(R"json([
    {"name": "NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
    {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
    {"name": "UID", "valueFrom": {"fieldRef": {"fieldPath": "metadata.uid"}}},
    {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
    {"name": "NOTE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.annotations['note']"}}},
    {"name": "NOPE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['nope']"}}},
    {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
    {"name": "SA", "valueFrom": {"fieldRef": {"fieldPath": "spec.serviceAccountName"}}},
    {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
    {"name": "IPS", "valueFrom": {"fieldRef": {"fieldPath": "status.podIPs"}}},
    {"name": "HOST", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}},
    {"name": "HOSTS", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIPs"}}},
    {"name": "REF", "value": "$(NAME).$(NS)"}])json");
  const EnvList env = MainEnv();
  EXPECT_EQ(FindEnv(env, "NAME"), "web-0");
  EXPECT_EQ(FindEnv(env, "NS"), "ns1");
  EXPECT_EQ(FindEnv(env, "UID"), "uid-1");
  EXPECT_EQ(FindEnv(env, "APP"), "web");
  EXPECT_EQ(FindEnv(env, "NOTE"), "x\ny");
  EXPECT_EQ(FindEnv(env, "NOPE"), "");
  EXPECT_EQ(FindEnv(env, "NODE"), "node-1");
  EXPECT_EQ(FindEnv(env, "SA"), "sa");
  EXPECT_EQ(FindEnv(env, "IP"), "10.244.0.7");
  EXPECT_EQ(FindEnv(env, "IPS"), "10.244.0.7,fd00::7");
  EXPECT_EQ(FindEnv(env, "HOST"), "10.244.0.1");
  EXPECT_EQ(FindEnv(env, "HOSTS"), "10.244.0.1");
  EXPECT_EQ(FindEnv(env, "REF"), "web-0.ns1");
}

TEST_F(PodPlanTest, FieldRefsWithoutPodIpsFallBackToPodIpAndNodeName) {
  pod_["spec"].erase("nodeName");
  EXPECT_EQ(*PodFieldValue(pod_, "status.podIPs", ctx_), "10.244.0.7");
  EXPECT_EQ(*PodFieldValue(pod_, "spec.nodeName", ctx_), "node-1");
}

TEST_F(PodPlanTest, WholeLabelAndAnnotationMapsAreFormattedLikeTheDownwardApi) {
  EXPECT_EQ(*PodFieldValue(pod_, "metadata.labels", ctx_), "app=\"web\"\ntier=\"a\\\"b\"");
  EXPECT_EQ(*PodFieldValue(pod_, "metadata.annotations", ctx_), "note=\"x\\ny\"");
  pod_["metadata"].erase("labels");
  EXPECT_EQ(*PodFieldValue(pod_, "metadata.labels", ctx_), "");
}

TEST_F(PodPlanTest, UnknownFieldPathIsAConfigError) {
  Container()["env"] = Json::parse(
      R"json([{"name": "X", "valueFrom": {"fieldRef": {"fieldPath": "spec.priority"}}}])json");
  absl::StatusOr<PodPlan> plan = Build();
  EXPECT_THAT(plan.status().message(),
              HasSubstr("container \"main\": env X: unsupported fieldPath \"spec.priority\""));
  EXPECT_EQ(PlanErrorReason(plan.status()), kReasonCreateContainerConfigError);
}

TEST_F(PodPlanTest, ResourceFieldRefs) {
  Container()["resources"] = Json::parse(
      R"json({"limits": {"cpu": "1500m", "memory": "1Gi"}, "requests": {"cpu": "250m",
          "memory": "512Mi"}})json");
  Container()["env"] = Json::parse(R"json([
    {"name": "CPU", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}},
    {"name": "MCPU", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu",
                                                        "divisor": "1m"}}},
    {"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory",
                                                       "divisor": "1Mi"}}},
    {"name": "REQ", "valueFrom": {"resourceFieldRef": {"resource": "requests.memory"}}},
    {"name": "RCPU", "valueFrom": {"resourceFieldRef": {"resource": "requests.cpu",
                                                        "divisor": "0"}}},
    {"name": "EPH", "valueFrom": {"resourceFieldRef": {"resource": "limits.ephemeral-storage",
                                                       "divisor": "1Gi"}}},
    {"name": "EPHREQ", "valueFrom": {"resourceFieldRef": {
        "resource": "requests.ephemeral-storage"}}},
    {"name": "OTHER", "valueFrom": {"resourceFieldRef": {"containerName": "main",
                                                         "resource": "limits.cpu"}}}])json");
  const EnvList env = MainEnv();
  EXPECT_EQ(FindEnv(env, "CPU"), "2");
  EXPECT_EQ(FindEnv(env, "MCPU"), "1500");
  EXPECT_EQ(FindEnv(env, "MEM"), "1024");
  EXPECT_EQ(FindEnv(env, "REQ"), "536870912");
  EXPECT_EQ(FindEnv(env, "EPH"), "100");   // unset limit: the node's allocatable 100Gi
  EXPECT_EQ(FindEnv(env, "EPHREQ"), "0");  // unset request: 0
  EXPECT_EQ(FindEnv(env, "OTHER"), "2");
  EXPECT_EQ(FindEnv(env, "RCPU"), "1");  // "divisor: 0" is the API's zero value: 1
}

TEST_F(PodPlanTest, ResourceFieldRefEdgeCases) {
  const Json c =
      Json::parse(R"json({"name": "c", "resources": {"limits": {"memory": "100M"}}})json");
  EXPECT_EQ(*ContainerResourceValue(c, "limits.memory", "1Mi", ctx_), "96");
  EXPECT_EQ(*ContainerResourceValue(c, "limits.cpu", "", ctx_), "2");  // allocatable
  ctx_.node_allocatable.clear();
  EXPECT_EQ(*ContainerResourceValue(c, "limits.cpu", "", ctx_), "0");
  EXPECT_EQ(*ContainerResourceValue(c, "limits.hugepages-2Mi", "", ctx_), "0");
  EXPECT_FALSE(ContainerResourceValue(c, "limits.gpu", "", ctx_).ok());
  EXPECT_FALSE(ContainerResourceValue(c, "cpu", "", ctx_).ok());
  EXPECT_EQ(*ContainerResourceValue(c, "limits.memory", "0", ctx_), "100000000");
  EXPECT_FALSE(ContainerResourceValue(c, "limits.memory", "-1", ctx_).ok());
  EXPECT_FALSE(ContainerResourceValue(c, "limits.memory", "x", ctx_).ok());
}

TEST_F(PodPlanTest, ConfigMapAndSecretKeyRefs) {
  AddObject("ConfigMap", "conf",
            Json::parse(R"json({"data": {"k": "v"}, "binaryData": {"bin": "AAE="}})json"));
  AddObject("Secret", "sec", {{"data", {{"password", absl::Base64Escape("s3cr3t")}}}});
  Container()["env"] = Json::parse(R"json([
    {"name": "CM", "valueFrom": {"configMapKeyRef": {"name": "conf", "key": "k"}}},
    {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "sec", "key": "password"}}},
    {"name": "OPT1", "valueFrom": {"configMapKeyRef": {"name": "gone", "key": "k",
                                                       "optional": true}}},
    {"name": "OPT2", "valueFrom": {"secretKeyRef": {"name": "sec", "key": "nokey",
                                                    "optional": true}}},
    {"name": "OPT3", "valueFrom": {"configMapKeyRef": {"name": "conf", "key": "bin",
                                                       "optional": true}}}])json");
  const EnvList env = MainEnv();
  EXPECT_EQ(FindEnv(env, "CM"), "v");
  EXPECT_EQ(FindEnv(env, "PW"), "s3cr3t");
  // Optional and missing: not set at all. binaryData is not read into env.
  EXPECT_FALSE(FindEnv(env, "OPT1").has_value());
  EXPECT_FALSE(FindEnv(env, "OPT2").has_value());
  EXPECT_FALSE(FindEnv(env, "OPT3").has_value());
}

TEST_F(PodPlanTest, RequiredKeyRefsThatAreMissingAreCreateContainerConfigError) {
  AddObject("ConfigMap", "conf", Json::parse(R"json({"data": {"k": "v"}})json"));
  Container()["env"] = Json::parse(
      R"json([{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "conf", "key": "nope"}}}])json");
  absl::StatusOr<PodPlan> plan = Build();
  EXPECT_EQ(plan.status().message(),
            "container \"main\": couldn't find key nope in ConfigMap ns1/conf");
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(PlanErrorReason(plan.status()), kReasonCreateContainerConfigError);

  Container()["env"] = Json::parse(
      R"json([{"name": "X", "valueFrom": {"secretKeyRef": {"name": "missing", "key": "k"}}}])json");
  plan = Build();
  EXPECT_EQ(plan.status().message(), "container \"main\": secret \"missing\" not found");
  EXPECT_EQ(PlanErrorReason(plan.status()), kReasonCreateContainerConfigError);
}

TEST_F(PodPlanTest, EnvFromWithPrefixOptionalAndInvalidKeys) {
  AddObject(
      "ConfigMap", "conf",
      Json::parse(R"json({"data": {"a": "1", "bad=key": "x"}, "binaryData": {"b": "AA=="}})json"));
  AddObject("Secret", "sec", {{"data", {{"token", absl::Base64Escape("t")}}}});
  Container()["envFrom"] = Json::parse(R"json([
    {"configMapRef": {"name": "conf"}, "prefix": "CM_"},
    {"secretRef": {"name": "sec"}},
    {"configMapRef": {"name": "absent", "optional": true}},
    {"secretRef": {"name": "absent", "optional": true}}])json");
  const EnvList env = MainEnv();
  EXPECT_EQ(FindEnv(env, "CM_a"), "1");
  EXPECT_FALSE(FindEnv(env, "CM_bad=key").has_value());
  EXPECT_FALSE(FindEnv(env, "CM_b").has_value());
  EXPECT_EQ(FindEnv(env, "token"), "t");

  Container()["envFrom"] = Json::parse(R"json([{"configMapRef": {"name": "absent"}}])json");
  EXPECT_EQ(Build().status().message(), "container \"main\": configmap \"absent\" not found");
}

TEST_F(PodPlanTest, SecretsThatAreNotBase64AreErrors) {
  AddObject("Secret", "sec", Json::parse(R"json({"data": {"k": "!!!"}})json"));
  Container()["envFrom"] = Json::parse(R"json([{"secretRef": {"name": "sec"}}])json");
  EXPECT_THAT(Build().status().message(), HasSubstr("secret key k is not valid base64"));
}

TEST_F(PodPlanTest, LookupFailuresOtherThanNotFoundArePassedOn) {
  AddObject("ConfigMap", "conf", Json::parse(R"json({"data": {"k": "v"}})json"));
  Container()["envFrom"] = Json::parse(R"json([{"configMapRef": {"name": "conf",
                                                             "optional": true}}])json");
  lookup_error_ = absl::UnavailableError("cache not synced");
  absl::StatusOr<PodPlan> plan = Build();
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(plan.status().message(), "container \"main\": cache not synced");
}

TEST_F(PodPlanTest, EachObjectIsLookedUpOnce) {
  AddObject("ConfigMap", "conf", Json::parse(R"json({"data": {"k": "v"}})json"));
  Container()["envFrom"] = Json::parse(R"json([{"configMapRef": {"name": "conf"}}])json");
  Container()["env"] = Json::parse(
      R"json([{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "conf", "key": "k"}}}])json");
  pod_["spec"]["initContainers"] = pod_["spec"]["containers"];
  pod_["spec"]["initContainers"][0]["name"] = "init";
  MustBuild();
  EXPECT_EQ(lookups_, 1);
}

// ---------------------------------------------------------------------------------------------
// Volumes.

TEST_F(PodPlanTest, EmptyDirAndHostPath) {
  pod_["spec"]["volumes"] = Json::parse(R"json([
    {"name": "scratch", "emptyDir": {}},
    {"name": "shm", "emptyDir": {"medium": "Memory"}},
    {"name": "logs", "hostPath": {"path": "/var/log/rmq", "type": "DirectoryOrCreate"}}])json");
  PodPlan plan = MustBuild();
  ASSERT_EQ(plan.volumes.size(), 3U);
  EXPECT_EQ(plan.volumes[0].kind, VolumeKind::kEmptyDir);
  EXPECT_EQ(plan.volumes[0].host_path,
            "/var/lib/rmq-node/pods/uid-1/volumes/kubernetes.io~empty-dir/scratch");
  EXPECT_FALSE(plan.volumes[0].memory_medium);
  EXPECT_TRUE(plan.volumes[1].memory_medium);
  EXPECT_EQ(plan.volumes[2].kind, VolumeKind::kHostPath);
  EXPECT_EQ(plan.volumes[2].host_path, "/var/log/rmq");
  EXPECT_EQ(plan.volumes[2].host_path_type, "DirectoryOrCreate");
  EXPECT_FALSE(plan.volumes[2].read_only);
}

TEST_F(PodPlanTest, ConfigMapVolumeWithAllKeys) {
  AddObject("ConfigMap", "conf", Json::parse(R"json({"data": {"broker.conf": "a=1", "z": "last"},
                            "binaryData": {"blob": "AAEC"}})json"));
  pod_["spec"]["volumes"] = Json::parse(
      R"json([{"name": "config", "configMap": {"name": "conf", "defaultMode": 420}}])json");
  PodPlan plan = MustBuild();
  const VolumePlan& v = plan.volumes[0];
  EXPECT_EQ(v.kind, VolumeKind::kConfigMap);
  EXPECT_EQ(v.host_path, "/var/lib/rmq-node/pods/uid-1/volumes/kubernetes.io~configmap/config");
  EXPECT_TRUE(v.read_only);
  EXPECT_THAT(v.files, ElementsAre(VolumeFile{.path = "blob", .content = std::string("\0\1\2", 3)},
                                   VolumeFile{.path = "broker.conf", .content = "a=1"},
                                   VolumeFile{.path = "z", .content = "last"}));
}

TEST_F(PodPlanTest, ConfigMapVolumeItemsPathsAndModes) {
  AddObject("ConfigMap", "conf",
            Json::parse(R"json({"data": {"a": "1", "b": "2", "c": "3"}})json"));
  pod_["spec"]["volumes"] = Json::parse(R"json([{"name": "config", "configMap": {
      "name": "conf", "defaultMode": 256,
      "items": [{"key": "a", "path": "dir/a.conf"}, {"key": "b", "path": "b", "mode": 493}]}}])json");
  EXPECT_THAT(MustBuild().volumes[0].files,
              ElementsAre(VolumeFile{.path = "b", .content = "2", .mode = 0755},
                          VolumeFile{.path = "dir/a.conf", .content = "1", .mode = 0400}));
}

TEST_F(PodPlanTest, MissingItemKeysFailUnlessOptional) {
  AddObject("ConfigMap", "conf", Json::parse(R"json({"data": {"a": "1"}})json"));
  pod_["spec"]["volumes"] = Json::parse(R"json([{"name": "config", "configMap": {
      "name": "conf", "items": [{"key": "a", "path": "a"}, {"key": "nope", "path": "n"}]}}])json");
  absl::StatusOr<PodPlan> plan = Build();
  EXPECT_EQ(plan.status().message(),
            "volume \"config\": configmap references non-existent config key: nope");
  EXPECT_EQ(PlanErrorReason(plan.status()), kReasonContainerCreating);
  pod_["spec"]["volumes"][0]["configMap"]["optional"] = true;
  EXPECT_THAT(MustBuild().volumes[0].files, ElementsAre(VolumeFile{.path = "a", .content = "1"}));
}

TEST_F(PodPlanTest, MissingConfigMapOrSecretVolumes) {
  pod_["spec"]["volumes"] = Json::parse(R"json([
    {"name": "c", "configMap": {"name": "gone", "optional": true}},
    {"name": "s", "secret": {"secretName": "gone", "optional": true}}])json");
  PodPlan plan = MustBuild();
  EXPECT_TRUE(plan.volumes[0].files.empty());  // an empty directory, as the kubelet makes it
  EXPECT_TRUE(plan.volumes[1].files.empty());
  pod_["spec"]["volumes"][1]["secret"].erase("optional");
  absl::StatusOr<PodPlan> failed = Build();
  EXPECT_EQ(failed.status().message(), "volume \"s\": secret \"gone\" not found");
  EXPECT_EQ(PlanErrorReason(failed.status()), kReasonContainerCreating);
}

TEST_F(PodPlanTest, SecretVolumesAreDecoded) {
  AddObject("Secret", "tls", {{"data", {{"tls.key", absl::Base64Escape("KEY")}}}});
  pod_["spec"]["volumes"] = Json::parse(
      R"json([{"name": "tls", "secret": {"secretName": "tls", "defaultMode": 384,
           "items": [{"key": "tls.key", "path": "private/key.pem"}]}}])json");
  const VolumePlan v = MustBuild().volumes[0];
  EXPECT_EQ(v.kind, VolumeKind::kSecret);
  EXPECT_EQ(v.host_path, "/var/lib/rmq-node/pods/uid-1/volumes/kubernetes.io~secret/tls");
  EXPECT_THAT(v.files,
              ElementsAre(VolumeFile{.path = "private/key.pem", .content = "KEY", .mode = 0600}));
}

TEST_F(PodPlanTest, PathsThatLeaveTheVolumeAreRejected) {
  AddObject("ConfigMap", "conf", Json::parse(R"json({"data": {"a": "1"}})json"));
  for (const char* path : {"../etc/passwd", "/etc/passwd", "a/../../b", ".."}) {
    pod_["spec"]["volumes"] =
        Json::parse(R"json([{"name": "v", "configMap": {"name": "conf"}}])json");
    pod_["spec"]["volumes"][0]["configMap"]["items"] = {{{"key", "a"}, {"path", path}}};
    absl::StatusOr<PodPlan> plan = Build();
    EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument) << path;
  }
  pod_["spec"]["volumes"][0]["configMap"]["items"] = {{{"key", "a"}, {"path", "a..b/..c"}}};
  EXPECT_TRUE(Build().ok());
}

TEST_F(PodPlanTest, DownwardApiVolume) {
  Container()["resources"] = Json::parse(R"json({"limits": {"memory": "64Mi"}})json");
  pod_["spec"]["volumes"] = Json::parse(R"json([{"name": "info", "downwardAPI": {"items": [
    {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
    {"path": "name", "fieldRef": {"fieldPath": "metadata.name"}, "mode": 256},
    {"path": "mem", "resourceFieldRef": {"containerName": "main", "resource": "limits.memory",
                                         "divisor": "1Mi"}}]}}])json");
  const VolumePlan v = MustBuild().volumes[0];
  EXPECT_EQ(v.kind, VolumeKind::kDownwardApi);
  EXPECT_TRUE(v.read_only);
  EXPECT_THAT(v.files,
              ElementsAre(VolumeFile{.path = "labels", .content = "app=\"web\"\ntier=\"a\\\"b\""},
                          VolumeFile{.path = "mem", .content = "64"},
                          VolumeFile{.path = "name", .content = "web-0", .mode = 0400}));
  pod_["spec"]["volumes"][0]["downwardAPI"]["items"][2]["resourceFieldRef"]["containerName"] =
      "other";
  EXPECT_THAT(Build().status().message(), HasSubstr("no container named \"other\""));
}

TEST_F(PodPlanTest, ProjectedKubeApiAccessVolume) {
  // What the ServiceAccount admission plugin injects into every pod.
  AddObject("ConfigMap", "kube-root-ca.crt", Json::parse(R"json({"data": {"ca.crt": "PEM"}})json"));
  pod_["spec"]["volumes"] = Json::parse(R"json([{"name": "kube-api-access-x", "projected": {
    "defaultMode": 420, "sources": [
      {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
      {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
      {"downwardAPI": {"items": [{"path": "namespace",
                                  "fieldRef": {"fieldPath": "metadata.namespace"}}]}}]}}])json");
  const VolumePlan v = MustBuild().volumes[0];
  EXPECT_EQ(v.kind, VolumeKind::kProjected);
  EXPECT_EQ(v.host_path,
            "/var/lib/rmq-node/pods/uid-1/volumes/kubernetes.io~projected/kube-api-access-x");
  EXPECT_THAT(v.files, ElementsAre(VolumeFile{.path = "ca.crt", .content = "PEM"},
                                   VolumeFile{.path = "namespace", .content = "ns1"},
                                   VolumeFile{.path = "token",
                                              .token = TokenRequest{.service_account = "sa",
                                                                    .expiration_seconds = 3607}}));
}

TEST_F(PodPlanTest, ProjectedSecretsAndUnsupportedSources) {
  AddObject("Secret", "s", {{"data", {{"k", absl::Base64Escape("v")}}}});
  pod_["spec"]["volumes"] = Json::parse(R"json([{"name": "p", "projected": {"sources": [
      {"secret": {"name": "s"}}, {"secret": {"name": "absent", "optional": true}}]}}])json");
  EXPECT_THAT(MustBuild().volumes[0].files, ElementsAre(VolumeFile{.path = "k", .content = "v"}));
  pod_["spec"]["volumes"][0]["projected"]["sources"].push_back(
      Json::parse(R"json({"clusterTrustBundle": {"name": "b", "path": "b"}})json"));
  absl::StatusOr<PodPlan> plan = Build();
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(plan.status().message(), HasSubstr("volume \"p\": unsupported projection"));
}

TEST_F(PodPlanTest, PersistentVolumeClaimsMapToTheirClaimDirectory) {
  AddObject("PersistentVolumeClaim", "data-web-0", Json::parse(R"json({"spec": {}})json"));
  AddObject("PersistentVolumeClaim", "web-0-cache", Json::parse(R"json({"spec": {}})json"));
  pod_["spec"]["volumes"] = Json::parse(R"json([
    {"name": "data", "persistentVolumeClaim": {"claimName": "data-web-0"}},
    {"name": "ro", "persistentVolumeClaim": {"claimName": "data-web-0", "readOnly": true}},
    {"name": "cache", "ephemeral": {"volumeClaimTemplate": {"spec": {}}}}])json");
  PodPlan plan = MustBuild();
  EXPECT_EQ(plan.volumes[0].kind, VolumeKind::kPersistentVolumeClaim);
  EXPECT_EQ(plan.volumes[0].claim_name, "data-web-0");
  EXPECT_EQ(plan.volumes[0].host_path, "/var/lib/rmq-node/pv/ns1/data-web-0");
  EXPECT_FALSE(plan.volumes[0].read_only);
  EXPECT_TRUE(plan.volumes[1].read_only);
  EXPECT_EQ(plan.volumes[2].claim_name, "web-0-cache");
  EXPECT_EQ(plan.volumes[2].host_path, "/var/lib/rmq-node/pv/ns1/web-0-cache");
}

TEST_F(PodPlanTest, MissingOrDeletedClaimsWaitInContainerCreating) {
  pod_["spec"]["volumes"] = Json::parse(
      R"json([{"name": "data", "persistentVolumeClaim": {"claimName": "data-web-0"}}])json");
  absl::StatusOr<PodPlan> plan = Build();
  EXPECT_EQ(plan.status().message(),
            "volume \"data\": persistentvolumeclaim \"data-web-0\" not found");
  EXPECT_EQ(PlanErrorReason(plan.status()), kReasonContainerCreating);
  AddObject("PersistentVolumeClaim", "data-web-0",
            Json::parse(R"json({"metadata": {"deletionTimestamp": "2026-01-01T00:00:00Z"}})json"));
  EXPECT_THAT(Build().status().message(), HasSubstr("is being deleted"));
}

TEST_F(PodPlanTest, UnsupportedVolumeTypes) {
  pod_["spec"]["volumes"] =
      Json::parse(R"json([{"name": "n", "nfs": {"server": "s", "path": "/"}}])json");
  absl::StatusOr<PodPlan> plan = Build();
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(plan.status().message(), HasSubstr("volume \"n\": unsupported volume type"));
}

// ---------------------------------------------------------------------------------------------
// Mounts.

TEST_F(PodPlanTest, MountsWithSubPathAndReadOnly) {
  AddObject("ConfigMap", "conf", Json::parse(R"json({"data": {"broker.conf": "x"}})json"));
  pod_["spec"]["volumes"] = Json::parse(R"json([
    {"name": "data", "emptyDir": {}},
    {"name": "config", "configMap": {"name": "conf"}}])json");
  Container()["volumeMounts"] = Json::parse(R"json([
    {"name": "data", "mountPath": "/home/rocketmq/store"},
    {"name": "data", "mountPath": "/logs", "subPath": "logs", "readOnly": true},
    {"name": "config", "mountPath": "/etc/broker.conf", "subPath": "broker.conf"}])json");
  const std::string dir = "/var/lib/rmq-node/pods/uid-1/volumes/kubernetes.io~";
  EXPECT_THAT(MustBuild().containers[0].mounts,
              ElementsAre(VolumeMount{.volume = "data",
                                      .host_path = dir + "empty-dir/data",
                                      .container_path = "/home/rocketmq/store"},
                          VolumeMount{.volume = "data",
                                      .host_path = dir + "empty-dir/data/logs",
                                      .container_path = "/logs",
                                      .read_only = true,
                                      .sub_path = "logs"},
                          VolumeMount{.volume = "config",
                                      .host_path = dir + "configmap/config/broker.conf",
                                      .container_path = "/etc/broker.conf",
                                      .read_only = true,  // configMap mounts are always read-only
                                      .sub_path = "broker.conf"}));
}

TEST_F(PodPlanTest, SubPathExprExpandsTheContainerEnv) {
  pod_["spec"]["volumes"] = Json::parse(R"json([{"name": "data", "emptyDir": {}}])json");
  Container()["env"] = Json::parse(
      R"json([{"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}])json");
  Container()["volumeMounts"] =
      Json::parse(R"json([{"name": "data", "mountPath": "/d", "subPathExpr": "pods/$(POD)"}])json");
  const VolumeMount m = MustBuild().containers[0].mounts[0];
  EXPECT_EQ(m.sub_path, "pods/web-0");
  EXPECT_EQ(m.host_path,
            "/var/lib/rmq-node/pods/uid-1/volumes/kubernetes.io~empty-dir/data/pods/web-0");
  Container()["volumeMounts"][0]["subPathExpr"] = "$(NOPE)/$(POD)/$(ALSO)";
  EXPECT_THAT(Build().status().message(), HasSubstr("subPathExpr: missing value for ALSO, NOPE"));
  Container()["volumeMounts"][0]["subPathExpr"] = "../$(POD)";
  EXPECT_THAT(Build().status().message(), HasSubstr("must not contain '..'"));
}

TEST_F(PodPlanTest, BadMounts) {
  pod_["spec"]["volumes"] = Json::parse(R"json([{"name": "data", "emptyDir": {}}])json");
  Container()["volumeMounts"] = Json::parse(R"json([{"name": "other", "mountPath": "/d"}])json");
  EXPECT_EQ(Build().status().message(),
            "container \"main\": volumeMount \"other\": the pod has no such volume");
  Container()["volumeMounts"] = Json::parse(R"json([{"name": "data", "mountPath": "d"}])json");
  EXPECT_THAT(Build().status().message(), HasSubstr("mountPath must be absolute"));
  Container()["volumeMounts"] =
      Json::parse(R"json([{"name": "data", "mountPath": "/d", "subPath": "/abs"}])json");
  EXPECT_THAT(Build().status().message(), HasSubstr("must be a relative path"));
}

// ---------------------------------------------------------------------------------------------
// Probes, lifecycle, ports, init containers.

TEST_F(PodPlanTest, ProbeDefaultsAndNamedPorts) {
  Container()["ports"] = Json::parse(R"json([{"name": "main", "containerPort": 9876},
                                          {"name": "dns", "containerPort": 53,
                                           "protocol": "UDP"}])json");
  Container()["readinessProbe"] = Json::parse(R"json({"tcpSocket": {"port": "main"}})json");
  Container()["livenessProbe"] = Json::parse(R"json({"httpGet": {"port": 8080,
      "httpHeaders": [{"name": "X-A", "value": "b"}]}, "initialDelaySeconds": 20,
      "periodSeconds": 5, "timeoutSeconds": 2, "failureThreshold": 6,
      "terminationGracePeriodSeconds": 3})json");
  Container()["startupProbe"] =
      Json::parse(R"json({"grpc": {"port": 9000, "service": "health"}})json");
  const ContainerPlan c = MustBuild().containers[0];
  EXPECT_THAT(c.ports,
              ElementsAre(ContainerPort{.name = "main", .container_port = 9876},
                          ContainerPort{.name = "dns", .container_port = 53, .protocol = "UDP"}));
  ASSERT_TRUE(c.readiness_probe.has_value());
  EXPECT_EQ(*c.readiness_probe,
            (Probe{.handler = Handler{
                       .kind = Handler::Kind::kTcpSocket, .host = "10.244.0.7", .port = 9876}}));
  ASSERT_TRUE(c.liveness_probe.has_value());
  EXPECT_EQ(*c.liveness_probe, (Probe{.handler = Handler{.kind = Handler::Kind::kHttpGet,
                                                         .host = "10.244.0.7",
                                                         .path = "/",
                                                         .headers = {{"X-A", "b"}},
                                                         .port = 8080},
                                      .initial_delay_seconds = 20,
                                      .period_seconds = 5,
                                      .timeout_seconds = 2,
                                      .failure_threshold = 6,
                                      .termination_grace_period_seconds = 3}));
  ASSERT_TRUE(c.startup_probe.has_value());
  EXPECT_EQ(c.startup_probe->handler.kind, Handler::Kind::kGrpc);
  EXPECT_EQ(c.startup_probe->handler.grpc_service, "health");
  EXPECT_EQ(c.startup_probe->handler.port, 9000);
}

TEST_F(PodPlanTest, UnknownNamedPortsFailTheProbeNotThePod) {
  Container()["readinessProbe"] = Json::parse(R"json({"httpGet": {"port": "web", "path": "/ready",
                                                               "scheme": "HTTPS",
                                                               "host": "127.0.0.1"}})json");
  Container()["livenessProbe"] = Json::parse(R"json({"tcpSocket": {"port": "8080"}})json");
  const ContainerPlan c = MustBuild().containers[0];
  EXPECT_EQ(c.readiness_probe->handler.port, 0);
  EXPECT_EQ(c.readiness_probe->handler.port_error, "couldn't find port: web in container \"main\"");
  EXPECT_EQ(c.readiness_probe->handler.scheme, "HTTPS");
  EXPECT_EQ(c.readiness_probe->handler.host, "127.0.0.1");
  EXPECT_EQ(c.readiness_probe->handler.path, "/ready");
  EXPECT_EQ(c.liveness_probe->handler.port, 8080);  // a number written as a string
  Container()["livenessProbe"] = Json::parse(R"json({"tcpSocket": {"port": 70000}})json");
  EXPECT_EQ(MustBuild().containers[0].liveness_probe->handler.port_error,
            "invalid port number: 70000");
}

TEST_F(PodPlanTest, ExecProbesExpandOnlyLiteralEnvValues) {
  AddObject("ConfigMap", "conf", Json::parse(R"json({"data": {"FROM_CM": "cm"}})json"));
  Container()["envFrom"] = Json::parse(R"json([{"configMapRef": {"name": "conf"}}])json");
  Container()["env"] = Json::parse(R"json([{"name": "PORT", "value": "9876"},
      {"name": "NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}])json");
  Container()["readinessProbe"] = Json::parse(
      R"json({"exec": {"command": ["check", "$(PORT)", "$(NAME)", "$(FROM_CM)"]}})json");
  Container()["lifecycle"] = Json::parse(R"json({"preStop": {"exec": {"command": ["stop",
      "$(PORT)"]}}, "postStart": {"sleep": {"seconds": 2}}})json");
  const ContainerPlan c = MustBuild().containers[0];
  EXPECT_EQ(c.readiness_probe->handler.command,
            (std::vector<std::string>{"check", "9876", "$(NAME)", "$(FROM_CM)"}));
  ASSERT_TRUE(c.pre_stop.has_value());
  EXPECT_EQ(c.pre_stop->command, (std::vector<std::string>{"stop", "$(PORT)"}));
  ASSERT_TRUE(c.post_start.has_value());
  EXPECT_EQ(c.post_start->kind, Handler::Kind::kSleep);
  EXPECT_EQ(c.post_start->sleep_seconds, 2);
}

TEST_F(PodPlanTest, InitContainersComeFirstAndSidecarsKeepTheirPolicy) {
  pod_["spec"]["initContainers"] = Json::parse(R"json([
    {"name": "setup", "image": "busybox", "command": ["sh", "-c", "true"]},
    {"name": "sidecar", "image": "busybox", "command": ["sleep", "inf"],
     "restartPolicy": "Always", "terminationMessagePath": "/tmp/msg"}])json");
  PodPlan plan = MustBuild();
  ASSERT_EQ(plan.init_containers.size(), 2U);
  EXPECT_EQ(plan.init_containers[0].name, "setup");
  EXPECT_EQ(plan.init_containers[0].restart_policy, std::nullopt);
  EXPECT_EQ(plan.init_containers[0].termination_message_path, "/dev/termination-log");
  EXPECT_EQ(plan.init_containers[1].restart_policy, RestartPolicy::kAlways);
  EXPECT_EQ(plan.init_containers[1].termination_message_path, "/tmp/msg");
  EXPECT_EQ(plan.containers[0].restart_policy, std::nullopt);

  pod_["spec"]["initContainers"][0]["image"] = "unknown";
  EXPECT_THAT(Build().status().message(), HasSubstr("init container \"setup\": image"));
}

TEST_F(PodPlanTest, MalformedPodsAndContexts) {
  EXPECT_EQ(BuildPodPlan(Json::object(), ctx_).status().code(), absl::StatusCode::kInvalidArgument);
  ctx_.pod_dir = "relative";
  EXPECT_EQ(Build().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(PlanErrorReason(absl::InternalError("x")), kReasonCreateContainerConfigError);
}

}  // namespace
}  // namespace rmq::nodeagent
