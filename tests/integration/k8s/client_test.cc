// The Kubernetes client against a real kube-apiserver + etcd (scripts/local-control-plane.sh):
// CRUD with selectors and paging, optimistic concurrency and delete preconditions, server-side
// apply (twice = no change, conflicts between managers, force), the status subresource of a CRD
// installed from JSON, Events, an ordered watch, an informer that survives a control-plane
// restart, and a forced 410 (etcd compacted while the informer was cut off) that relists and
// reports the deletes it missed.
#include "common/k8s/client.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/k8s/crd.h"
#include "common/k8s/informer.h"
#include "common/k8s/objects.h"
#include "common/k8s/rest_config.h"
#include "common/net/blocking.h"
#include "tests/support/local_control_plane.h"
#include "tests/support/tcp_proxy.h"

namespace rmq::k8s {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::LocalControlPlane;
using testing::LocalControlPlaneOptions;

Json ConfigMap(const std::string& ns, const std::string& name, Json data, Json labels = {}) {
  Json cm = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata", {{"name", name}, {"namespace", ns}}},
             {"data", std::move(data)}};
  if (!labels.is_null()) cm["metadata"]["labels"] = std::move(labels);
  return cm;
}

std::string Rv(const Json& object) { return object["metadata"].value("resourceVersion", ""); }

// One control plane per suite; each test gets a fresh client on the test thread's io_context
// and its own namespace.
class ClientTestBase : public ::testing::Test {
 protected:
  static void StartPlane(LocalControlPlaneOptions options, LocalControlPlane*& plane,
                         std::string*& error) {
    auto started = LocalControlPlane::Start(std::move(options));
    if (!started.ok()) {
      error = new std::string(started.status().ToString());
      return;
    }
    plane = started->release();
  }

  void Connect(LocalControlPlane* plane, const std::string* error) {
    ASSERT_EQ(error, nullptr) << "control plane did not start: " << *error;
    absl::StatusOr<RestConfig> config = LoadKubeconfig(plane->kubeconfig_path());
    ASSERT_TRUE(config.ok()) << config.status();
    config_ = *config;
    transport_ = MakeTransport(config_);
    client_ = std::make_unique<Client>(*transport_);
    ns_ = absl::StrCat("t-", ::testing::UnitTest::GetInstance()->current_test_info()->line(), "-",
                       std::chrono::steady_clock::now().time_since_epoch().count() % 100000);
    Json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns_}}}};
    ASSERT_TRUE(Run(client_->Create(Namespaces(), ns)).ok());
  }

  std::unique_ptr<Transport> MakeTransport(const RestConfig& config) {
    TransportOptions options;
    options.request_timeout = seconds(20);
    auto transport = Transport::Create(io_.get_executor(), config, options);
    EXPECT_TRUE(transport.ok()) << transport.status();
    return transport.ok() ? *std::move(transport) : nullptr;
  }

  void TearDown() override {
    if (transport_) transport_->Shutdown();
    io_.run_for(milliseconds(50));
  }

  template <typename T>
  T Run(asio::awaitable<T> work) {
    return net::BlockOn(io_, std::move(work));
  }

  // Runs the io_context until `done` or `timeout`; returns `done()`.
  bool RunUntil(const std::function<bool()>& done, milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(milliseconds(20));
    }
    return done();
  }

  asio::io_context io_;
  RestConfig config_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<Client> client_;
  std::string ns_;
};

// One control plane per suite, started with the suite's Options().
template <typename Suite>
class PlaneSuite : public ClientTestBase {
 protected:
  static void SetUpTestSuite() { StartPlane(Suite::Options(), plane_, error_); }
  static void TearDownTestSuite() {
    delete plane_;
    plane_ = nullptr;
  }
  void SetUp() override { Connect(plane_, error_); }

  static inline LocalControlPlane* plane_ = nullptr;
  static inline std::string* error_ = nullptr;
};

class ClientTest : public PlaneSuite<ClientTest> {
 public:
  static LocalControlPlaneOptions Options() { return {}; }
};

TEST_F(ClientTest, CrudWithSelectorsPagingPreconditionsAndConcurrency) {
  for (int i = 0; i < 5; ++i) {
    Json labels = {{"app", "rmq"}, {"tier", i % 2 == 0 ? "even" : "odd"}};
    absl::StatusOr<Json> created = Run(client_->Create(
        ConfigMaps(), ConfigMap(ns_, absl::StrCat("cm-", i), {{"i", std::to_string(i)}}, labels)));
    ASSERT_TRUE(created.ok()) << created.status();
    EXPECT_FALSE(Rv(*created).empty());
  }
  absl::StatusOr<Json> again =
      Run(client_->Create(ConfigMaps(), ConfigMap(ns_, "cm-0", {{"i", "x"}})));
  EXPECT_TRUE(IsApiAlreadyExists(again.status())) << again.status();

  absl::StatusOr<Json> got = Run(client_->Get(ConfigMaps(), ns_, "cm-3"));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ((*got)["data"]["i"], "3");

  ListOptions even;
  even.label_selector = "app=rmq,tier=even";
  absl::StatusOr<ListResult> evens = Run(client_->List(ConfigMaps(), ns_, even));
  ASSERT_TRUE(evens.ok()) << evens.status();
  EXPECT_EQ(evens->items.size(), 3u);
  EXPECT_EQ(evens->items[0]["kind"], "ConfigMap");  // filled in for list items
  ListOptions by_field;
  by_field.field_selector = "metadata.name=cm-4";
  absl::StatusOr<ListResult> one = Run(client_->List(ConfigMaps(), ns_, by_field));
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_EQ(one->items.size(), 1u);
  EXPECT_EQ(NameOf(one->items[0]), "cm-4");

  // Paging: two per page; List hands out a continue token, ListAll follows it.
  ListOptions paged;
  paged.limit = 2;
  paged.label_selector = "app=rmq";
  absl::StatusOr<ListResult> page = Run(client_->List(ConfigMaps(), ns_, paged));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->items.size(), 2u);
  EXPECT_FALSE(page->continue_token.empty());
  absl::StatusOr<ListResult> all = Run(client_->ListAll(ConfigMaps(), ns_, paged));
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->items.size(), 5u);
  EXPECT_FALSE(all->resource_version.empty());

  // Merge patch, then a replace with the old resourceVersion loses the race.
  absl::StatusOr<Json> patched =
      Run(client_->MergePatch(ConfigMaps(), ns_, "cm-3", {{"data", {{"extra", "1"}}}}));
  ASSERT_TRUE(patched.ok()) << patched.status();
  EXPECT_EQ((*patched)["data"]["extra"], "1");
  EXPECT_NE(Rv(*patched), Rv(*got));
  Json stale = *got;
  stale["data"]["i"] = "stale";
  absl::StatusOr<Json> replaced = Run(client_->Replace(ConfigMaps(), stale));
  EXPECT_TRUE(IsApiConflict(replaced.status())) << replaced.status();
  Json fresh = *patched;
  fresh["data"]["i"] = "fresh";
  replaced = Run(client_->Replace(ConfigMaps(), fresh));
  ASSERT_TRUE(replaced.ok()) << replaced.status();
  EXPECT_EQ((*replaced)["data"]["i"], "fresh");

  // JSON patch with a test op: applies only while the value is what we think.
  Json ops = Json::array({{{"op", "test"}, {"path", "/data/i"}, {"value", "fresh"}},
                          {{"op", "replace"}, {"path", "/data/i"}, {"value", "tested"}}});
  ASSERT_TRUE(Run(client_->JsonPatch(ConfigMaps(), ns_, "cm-3", ops)).ok());
  absl::StatusOr<Json> failed_test = Run(client_->JsonPatch(ConfigMaps(), ns_, "cm-3", ops));
  EXPECT_FALSE(failed_test.ok());

  // Delete with a wrong uid precondition is refused; the right one deletes.
  DeleteOptions wrong;
  wrong.precondition_uid = "00000000-0000-0000-0000-000000000000";
  absl::Status deleted = Run(client_->Delete(ConfigMaps(), ns_, "cm-3", wrong));
  EXPECT_TRUE(IsApiConflict(deleted)) << deleted;
  DeleteOptions right;
  right.precondition_uid = (*got)["metadata"]["uid"];
  right.propagation_policy = "Background";
  EXPECT_TRUE(Run(client_->Delete(ConfigMaps(), ns_, "cm-3", right)).ok());
  EXPECT_TRUE(IsApiNotFound(Run(client_->Get(ConfigMaps(), ns_, "cm-3")).status()));
  EXPECT_TRUE(IsApiNotFound(Run(client_->Delete(ConfigMaps(), ns_, "cm-3"))));

  // Bad input is the server's 422, with its message.
  absl::StatusOr<Json> invalid =
      Run(client_->Create(ConfigMaps(), ConfigMap(ns_, "Not_A_Name", {{"k", "v"}})));
  EXPECT_EQ(invalid.status().code(), absl::StatusCode::kInvalidArgument) << invalid.status();
  EXPECT_EQ(HttpCodeOf(invalid.status()), 422);
  // Connections were reused: far fewer than requests.
  EXPECT_LE(transport_->ConnectionsOpened(), 3u);
}

TEST_F(ClientTest, ServerSideApplyTwiceChangesNothingAndConflictsBetweenManagers) {
  ApplyOptions op;
  op.field_manager = "rocketmq-operator";
  Json desired = ConfigMap(ns_, "applied", {{"a", "1"}, {"b", "2"}}, {{"app", "rmq"}});
  absl::StatusOr<Json> first = Run(client_->Apply(ConfigMaps(), desired, op));
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<Json> second = Run(client_->Apply(ConfigMaps(), desired, op));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(Rv(*first), Rv(*second));  // no change, no write

  // Another manager without force cannot take a field we own...
  ApplyOptions other;
  other.field_manager = "someone-else";
  other.force = false;
  absl::StatusOr<Json> conflict =
      Run(client_->Apply(ConfigMaps(), ConfigMap(ns_, "applied", {{"a", "theirs"}}), other));
  EXPECT_TRUE(IsApiConflict(conflict.status())) << conflict.status();
  EXPECT_NE(conflict.status().message().find(".data.a"), std::string::npos) << conflict.status();
  // ...but may add its own, and we keep ours.
  absl::StatusOr<Json> shared =
      Run(client_->Apply(ConfigMaps(), ConfigMap(ns_, "applied", {{"c", "3"}}), other));
  ASSERT_TRUE(shared.ok()) << shared.status();
  EXPECT_EQ((*shared)["data"], Json({{"a", "1"}, {"b", "2"}, {"c", "3"}}));

  // A field we stop sending is removed (nobody else owns it); force takes over.
  absl::StatusOr<Json> dropped =
      Run(client_->Apply(ConfigMaps(), ConfigMap(ns_, "applied", {{"a", "1"}}), op));
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ((*dropped)["data"], Json({{"a", "1"}, {"c", "3"}}));
  other.force = true;
  absl::StatusOr<Json> forced =
      Run(client_->Apply(ConfigMaps(), ConfigMap(ns_, "applied", {{"a", "forced"}}), other));
  ASSERT_TRUE(forced.ok()) << forced.status();
  EXPECT_EQ((*forced)["data"]["a"], "forced");

  ApplyOptions no_manager;
  EXPECT_EQ(Run(client_->Apply(ConfigMaps(), desired, no_manager)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ClientTest, CrdInstallStatusSubresourceAndEvents) {
  std::string group = absl::StrCat(ns_, ".test.rmq.io");
  // As a manifest file would have it: YAML, two documents (the second one empty).
  std::string yaml = R"(# a test CRD
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.GROUP
spec:
  group: GROUP
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
          status:
            type: object
            properties:
              observedGeneration: {type: integer}
              conditions:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [type]
                items:
                  type: object
                  required: [type, status]
                  properties:
                    type: {type: string}
                    status: {type: string}
                    reason: {type: string}
---
)";
  for (size_t at = yaml.find("GROUP"); at != std::string::npos; at = yaml.find("GROUP")) {
    yaml.replace(at, 5, group);
  }
  auto start = std::chrono::steady_clock::now();
  absl::Status installed =
      Run(InstallCrdsFromYaml(*client_, yaml, "rocketmq-operator", milliseconds(30'000)));
  ASSERT_TRUE(installed.ok()) << installed;
  std::printf("CRD established %lld ms after apply\n",
              static_cast<long long>(
                  std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start)
                      .count()));
  // Installing again is a no-op that still succeeds.
  ASSERT_TRUE(
      Run(InstallCrdsFromYaml(*client_, yaml, "rocketmq-operator", milliseconds(30'000))).ok());
  // Bad YAML names where it is bad.
  absl::Status bad =
      Run(InstallCrdsFromYaml(*client_, "kind: [unclosed", "rocketmq-operator", seconds(5)));
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument) << bad;
  EXPECT_NE(bad.message().find("line"), std::string::npos) << bad;

  ResourceType widgets{group, "v1", "widgets", "Widget", true};
  ApplyOptions op;
  op.field_manager = "rocketmq-operator";
  Json w = {{"apiVersion", group + "/v1"},
            {"kind", "Widget"},
            {"metadata", {{"name", "w"}, {"namespace", ns_}}},
            {"spec", {{"size", 3}}},
            {"status", {{"conditions", Json::array({{{"type", "Ready"}, {"status", "True"}}})}}}};
  absl::StatusOr<Json> applied = Run(client_->Apply(widgets, w, op));
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_FALSE(applied->contains("status"));  // the main resource ignores status
  Json status_patch = {
      {"apiVersion", group + "/v1"},
      {"kind", "Widget"},
      {"metadata", {{"name", "w"}, {"namespace", ns_}}},
      {"status",
       {{"conditions",
         Json::array({{{"type", "Ready"}, {"status", "False"}, {"reason", "Starting"}}})}}}};
  absl::StatusOr<Json> status = Run(client_->Apply(widgets, status_patch, op, "status"));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ((*status)["status"]["conditions"][0]["reason"], "Starting");
  EXPECT_EQ((*status)["spec"]["size"], 3);
  absl::StatusOr<Json> merged = Run(
      client_->MergePatch(widgets, ns_, "w", {{"status", {{"observedGeneration", 1}}}}, "status"));
  EXPECT_TRUE(merged.ok()) << merged.status();

  // An event about the widget (events.k8s.io/v1), read back.
  EventSpec spec;
  spec.regarding = *applied;
  spec.reason = "Started";
  spec.action = "Reconcile";
  spec.note = "widget w started";
  spec.reporting_controller = "rocketmq.apache.org/operator";
  spec.reporting_instance = "operator-0";
  spec.event_time = std::chrono::system_clock::now();
  absl::StatusOr<Json> event = MakeEvent(spec);
  ASSERT_TRUE(event.ok()) << event.status();
  std::string event_name = NameOf(*event);
  absl::StatusOr<Json> created = Run(client_->Create(Events(), *event));
  ASSERT_TRUE(created.ok()) << created.status();
  absl::StatusOr<Json> read = Run(client_->Get(Events(), ns_, event_name));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ((*read)["regarding"]["uid"], (*applied)["metadata"]["uid"]);
  EXPECT_EQ((*read)["note"], "widget w started");
}

TEST_F(ClientTest, WatchSeesCreateUpdateDeleteInOrder) {
  absl::StatusOr<ListResult> list = Run(client_->List(ConfigMaps(), ns_, {}));
  ASSERT_TRUE(list.ok()) << list.status();
  WatchOptions options;
  options.resource_version = list->resource_version;
  absl::StatusOr<std::unique_ptr<WatchStream>> watch =
      Run(client_->Watch(ConfigMaps(), ns_, options));
  ASSERT_TRUE(watch.ok()) << watch.status();
  ASSERT_TRUE(Run(client_->Create(ConfigMaps(), ConfigMap(ns_, "w", {{"v", "1"}}))).ok());
  ASSERT_TRUE(Run(client_->MergePatch(ConfigMaps(), ns_, "w", {{"data", {{"v", "2"}}}})).ok());
  ASSERT_TRUE(Run(client_->Delete(ConfigMaps(), ns_, "w")).ok());
  std::vector<std::string> seen;
  while (seen.size() < 3) {
    absl::StatusOr<std::optional<WatchEvent>> event = Run((*watch)->Next(milliseconds(10'000)));
    ASSERT_TRUE(event.ok()) << event.status();
    ASSERT_TRUE(event->has_value());
    if ((*event)->type == WatchEvent::Type::kBookmark) continue;
    seen.push_back(absl::StrCat(WatchEventTypeName((*event)->type), " ", NameOf((*event)->object),
                                " ", (*event)->object["data"].value("v", "")));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED w 1", "MODIFIED w 2", "DELETED w 2"}));
}

// A client authenticated by a token file (as in a pod: a projected service-account token): the
// file is read at start and read again when the server answers 401, so a rotated token is used
// at once.
TEST_F(ClientTest, RotatedTokenFileIsReadAgainAfterA401) {
  const ResourceType service_accounts{"", "v1", "serviceaccounts", "ServiceAccount", true};
  auto token_for = [&](const std::string& name) -> std::string {
    Json sa = {{"apiVersion", "v1"},
               {"kind", "ServiceAccount"},
               {"metadata", {{"name", name}, {"namespace", ns_}}}};
    EXPECT_TRUE(Run(client_->Create(service_accounts, sa)).ok());
    HttpRequest request;
    request.method = "POST";
    request.target = ResourcePath(service_accounts, ns_, name, "token");
    request.content_type = "application/json";
    request.body = R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest",)"
                   R"("spec":{"expirationSeconds":3600}})";
    absl::StatusOr<HttpResponse> response = Run(transport_->Send(request));
    EXPECT_TRUE(response.ok()) << response.status();
    if (!response.ok()) return "";
    return Json::parse(response->body)["status"].value("token", "");
  };
  std::string token_a = token_for("sa-a");
  std::string token_b = token_for("sa-b");
  ASSERT_FALSE(token_a.empty());
  ASSERT_FALSE(token_b.empty());
  std::string token_file = absl::StrCat(::testing::TempDir(), "/token-", ns_);
  auto write_token = [&](const std::string& token) {
    std::FILE* f = std::fopen(token_file.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs((token + "\n").c_str(), f);
    std::fclose(f);
  };
  write_token(token_a);
  RestConfig by_token = config_;
  by_token.client_cert_pem.clear();
  by_token.client_key_pem.clear();
  by_token.bearer_token.clear();
  by_token.token_file = token_file;
  std::unique_ptr<Transport> token_transport = MakeTransport(by_token);
  auto whoami = [&]() -> absl::StatusOr<std::string> {
    HttpRequest request;
    request.method = "POST";
    request.target = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
    request.content_type = "application/json";
    request.body = R"({"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"})";
    absl::StatusOr<HttpResponse> response = Run(token_transport->Send(request));
    if (!response.ok()) return response.status();
    return Json::parse(response->body)["status"]["userInfo"].value("username", "");
  };
  absl::StatusOr<std::string> user = whoami();
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(*user, absl::StrCat("system:serviceaccount:", ns_, ":sa-a"));

  // Rotate: the file now holds B, and A stops being valid (its service account is deleted).
  // The apiserver caches token authentications for 10 s, so A keeps working that long; the
  // transport's own refresh is 60 s away: B in use well before 60 s shows the re-read on 401.
  write_token(token_b);
  ASSERT_TRUE(Run(client_->Delete(service_accounts, ns_, "sa-a")).ok());
  auto deadline = std::chrono::steady_clock::now() + seconds(30);
  do {
    user = whoami();
    if (user.ok() && *user != absl::StrCat("system:serviceaccount:", ns_, ":sa-a")) break;
    io_.run_for(milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(*user, absl::StrCat("system:serviceaccount:", ns_, ":sa-b"));
  EXPECT_LT(std::chrono::steady_clock::now(), deadline);
  std::printf(
      "rotated token in use %lld ms after the old one's account was deleted\n",
      static_cast<long long>(std::chrono::duration_cast<milliseconds>(
                                 std::chrono::steady_clock::now() - (deadline - seconds(30)))
                                 .count()));

  // A token nobody issued: 401 even after the re-read, as Unauthenticated.
  write_token("not-a-token");
  RestConfig bad = by_token;
  token_transport->Shutdown();
  token_transport = MakeTransport(bad);
  user = whoami();
  EXPECT_EQ(user.status().code(), absl::StatusCode::kUnauthenticated) << user.status();
  token_transport->Shutdown();
  std::remove(token_file.c_str());
}

// Records what an informer's handlers saw, per object name.
struct Recorder {
  std::vector<std::string> log;
  std::map<std::string, std::string> last;  // name -> last event type + data.v
  void operator()(const ObjectEvent& e) {
    const char* type = e.type == ObjectEvent::Type::kAdded     ? "added"
                       : e.type == ObjectEvent::Type::kUpdated ? "updated"
                                                               : "deleted";
    std::string entry =
        absl::StrCat(type, " ", NameOf(e.object), " ",
                     e.object["data"].is_object() ? e.object["data"].value("v", "") : "");
    log.push_back(entry);
    last[NameOf(e.object)] = entry;
  }
};

TEST_F(ClientTest, InformerRecoversAfterTheControlPlaneRestarts) {
  for (const char* name : {"a", "b", "c"}) {
    ASSERT_TRUE(Run(client_->Create(ConfigMaps(), ConfigMap(ns_, name, {{"v", "1"}}))).ok());
  }
  InformerOptions options;
  options.ns = ns_;
  options.initial_backoff = milliseconds(200);
  options.max_backoff = milliseconds(2000);
  Informer informer(*client_, ConfigMaps(), options);
  Recorder rec;
  informer.AddHandler(std::ref(rec));
  asio::co_spawn(io_, informer.Run(), asio::detached);
  ASSERT_TRUE(RunUntil([&] { return informer.HasSynced(); }, milliseconds(10'000)));
  EXPECT_EQ(informer.store().size(), 3u);
  // A change before the restart arrives through the watch.
  ASSERT_TRUE(Run(client_->MergePatch(ConfigMaps(), ns_, "a", {{"data", {{"v", "2"}}}})).ok());
  ASSERT_TRUE(RunUntil([&] { return rec.last["a"] == "updated a 2"; }, milliseconds(10'000)));

  auto restart_start = std::chrono::steady_clock::now();
  absl::Status restarted = plane_->Restart();
  ASSERT_TRUE(restarted.ok()) << restarted;
  std::printf("control plane restarted in %lld ms\n",
              static_cast<long long>(std::chrono::duration_cast<milliseconds>(
                                         std::chrono::steady_clock::now() - restart_start)
                                         .count()));
  // Changes after the restart: none may be lost.
  ASSERT_TRUE(Run(client_->MergePatch(ConfigMaps(), ns_, "b", {{"data", {{"v", "3"}}}})).ok());
  ASSERT_TRUE(Run(client_->Delete(ConfigMaps(), ns_, "c")).ok());
  ASSERT_TRUE(Run(client_->Create(ConfigMaps(), ConfigMap(ns_, "d", {{"v", "1"}}))).ok());
  bool caught_up = RunUntil(
      [&] {
        return rec.last["b"] == "updated b 3" && rec.last["c"] == "deleted c 1" &&
               rec.last["d"] == "added d 1";
      },
      milliseconds(30'000));
  EXPECT_TRUE(caught_up) << ::testing::PrintToString(rec.log);
  // The apiserver ends its watches on shutdown; the informer watched again (from its last
  // version, or relisted when the new apiserver's cache refused that version).
  EXPECT_GE(informer.stats().watches + informer.stats().lists, 3);
  EXPECT_EQ(informer.store().Keys(),
            (std::vector<std::string>{ns_ + "/a", ns_ + "/b", ns_ + "/d"}));
  std::printf("informer stats: lists=%d watches=%d relists_after_gone=%d reconnects=%d\n",
              informer.stats().lists, informer.stats().watches, informer.stats().relists_after_gone,
              informer.stats().reconnects_after_error);
  informer.Stop();
  io_.run_for(milliseconds(50));
}

// A plane without the apiserver's watch cache, so a watch from a compacted etcd revision gets
// 410 Gone from etcd itself.
class ClientGoneTest : public PlaneSuite<ClientGoneTest> {
 public:
  static LocalControlPlaneOptions Options() {
    LocalControlPlaneOptions options;
    options.apiserver_args = {"--watch-cache=false"};
    return options;
  }
};

TEST_F(ClientGoneTest, ForcedGoneRelistsAndReportsTheDeletesItMissed) {
  for (const char* name : {"a", "b", "c"}) {
    ASSERT_TRUE(Run(client_->Create(ConfigMaps(), ConfigMap(ns_, name, {{"v", "1"}}))).ok());
  }
  // The informer reaches the apiserver through a proxy the test can cut.
  absl::StatusOr<ServerUrl> url = ParseServerUrl(config_.server);
  ASSERT_TRUE(url.ok());
  auto proxy = testing::TcpProxy::Start(url->host, std::stoi(url->port));
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  RestConfig via_proxy = config_;
  via_proxy.server = absl::StrCat("https://127.0.0.1:", (*proxy)->port());
  std::unique_ptr<Transport> proxied_transport = MakeTransport(via_proxy);
  Client proxied(*proxied_transport);
  InformerOptions options;
  options.ns = ns_;
  options.initial_backoff = milliseconds(200);
  options.max_backoff = milliseconds(1000);
  Informer informer(proxied, ConfigMaps(), options);
  Recorder rec;
  informer.AddHandler(std::ref(rec));
  asio::co_spawn(io_, informer.Run(), asio::detached);
  ASSERT_TRUE(RunUntil([&] { return informer.HasSynced(); }, milliseconds(10'000)));

  (*proxy)->Cut();
  RunUntil([&] { return informer.stats().reconnects_after_error > 0; }, milliseconds(5'000));
  // While it is cut off: a delete, an update, a create; then etcd forgets the history.
  ASSERT_TRUE(Run(client_->Delete(ConfigMaps(), ns_, "b")).ok());
  ASSERT_TRUE(Run(client_->MergePatch(ConfigMaps(), ns_, "c", {{"data", {{"v", "2"}}}})).ok());
  absl::StatusOr<Json> d = Run(client_->Create(ConfigMaps(), ConfigMap(ns_, "d", {{"v", "1"}})));
  ASSERT_TRUE(d.ok());
  absl::StatusOr<int64_t> revision = plane_->EtcdRevision();
  ASSERT_TRUE(revision.ok()) << revision.status();
  ASSERT_TRUE(plane_->CompactEtcd(*revision).ok());
  // The informer's version is now too old for a watch.
  WatchOptions old;
  old.resource_version = informer.resource_version();
  absl::StatusOr<std::unique_ptr<WatchStream>> direct = Run(client_->Watch(ConfigMaps(), ns_, old));
  bool gone = IsApiGone(direct.status());
  if (direct.ok()) {
    absl::StatusOr<std::optional<WatchEvent>> first = Run((*direct)->Next(milliseconds(5000)));
    gone = first.ok() && first->has_value() && (*first)->ErrorCode() == 410;
  }
  EXPECT_TRUE(gone) << "a watch from a compacted revision must get 410";

  ASSERT_TRUE((*proxy)->TryRestore().ok());
  bool caught_up = RunUntil(
      [&] {
        return rec.last["b"] == "deleted b 1" && rec.last["c"] == "updated c 2" &&
               rec.last["d"] == "added d 1";
      },
      milliseconds(30'000));
  EXPECT_TRUE(caught_up) << ::testing::PrintToString(rec.log);
  EXPECT_GE(informer.stats().relists_after_gone, 1);
  EXPECT_EQ(informer.stats().lists, 2);
  EXPECT_EQ(informer.store().Keys(),
            (std::vector<std::string>{ns_ + "/a", ns_ + "/c", ns_ + "/d"}));
  informer.Stop();
  proxied_transport->Shutdown();
  io_.run_for(milliseconds(50));
}

}  // namespace
}  // namespace rmq::k8s
