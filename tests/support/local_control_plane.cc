#include "tests/support/local_control_plane.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/base/status_macros.h"
#include "common/log/logger.h"
#include "nlohmann/json.hpp"
#include "tests/support/child_process.h"
#include "tests/support/http_client.h"

namespace rmq::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr char kLogger[] = "test.k8s";
constexpr char kBash[] = "/bin/bash";
// stop waits up to 15 s per component before SIGKILL, and 60 s for the supervisor.
constexpr std::chrono::seconds kStopTimeout{120};

bool KeepTestDirs() {
  const char* keep = std::getenv("RMQ_KEEP_TEST_DIRS");
  return keep != nullptr && std::string(keep) == "1";
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// "scheme://host:port" -> host and port.
absl::Status SplitUrl(const std::string& url, std::string& host, int& port) {
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "http://")) absl::ConsumePrefix(&rest, "https://");
  size_t colon = rest.rfind(':');
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(rest.substr(colon + 1), &port)) {
    return absl::InternalError(absl::StrCat("no port in URL '", url, "'"));
  }
  host = std::string(rest.substr(0, colon));
  return absl::OkStatus();
}

// A POST to etcd's v3 JSON gateway: the decoded JSON answer, or an error with etcd's message.
absl::StatusOr<nlohmann::json> EtcdPost(const std::string& host, int port, const std::string& path,
                                        const nlohmann::json& body) {
  absl::StatusOr<HttpResult> r = HttpPost(host, port, path, body.dump());
  if (!r.ok()) {
    return absl::UnavailableError(
        absl::StrCat("etcd ", host, ":", port, path, ": ", r.status().message()));
  }
  nlohmann::json answer = nlohmann::json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  if (r->status != 200 || answer.is_discarded()) {
    return absl::FailedPreconditionError(
        absl::StrCat("etcd ", path, " answered HTTP ", r->status, ": ", r->body));
  }
  return answer;
}

}  // namespace

LocalControlPlane::LocalControlPlane(LocalControlPlaneOptions options)
    : options_(std::move(options)),
      script_(std::string(RMQ_SOURCE_DIR) + "/scripts/local-control-plane.sh") {}

absl::StatusOr<std::unique_ptr<LocalControlPlane>> LocalControlPlane::Start(
    LocalControlPlaneOptions options) {
  std::unique_ptr<LocalControlPlane> plane(new LocalControlPlane(std::move(options)));
  std::error_code ec;
  if (!fs::is_regular_file(plane->script_, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat(plane->script_, " not found: the fixture runs the project's script"));
  }
  if (plane->options_.dir.empty()) {
    // Our own directory (not the script's default), so that it is known and removed even when
    // the start fails.
    std::string tmpl = (fs::temp_directory_path() / "rmq-k8s-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) return absl::InternalError("mkdtemp failed");
    plane->dir_ = tmpl;
    plane->owns_dir_ = true;
  } else {
    fs::create_directories(plane->options_.dir, ec);
    plane->dir_ = fs::absolute(plane->options_.dir, ec).string();
  }
  RMQ_RETURN_IF_ERROR(plane->RunStart({}));
  return plane;
}

absl::Status LocalControlPlane::RunStart(const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {
      kBash, script_, "start", "--dir", dir_, "--owner-pid", absl::StrCat(::getpid())};
  if (options_.with_controller_manager) argv.emplace_back("--with-controller-manager");
  argv.insert(argv.end(), extra.begin(), extra.end());
  SpawnOptions spawn;
  spawn.env["RMQ_APISERVER_ARGS"] = absl::StrJoin(options_.apiserver_args, " ");
  spawn.env["RMQ_K8S_START_TIMEOUT"] = absl::StrCat(options_.start_timeout.count());
  if (!options_.bin_dir.empty()) spawn.env["RMQ_K8S_BIN_DIR"] = options_.bin_dir;
  auto started = Clock::now();
  absl::StatusOr<CapturedRun> run =
      RunCapturing(argv, spawn, options_.start_timeout + std::chrono::seconds(60));
  if (!run.ok()) return run.status();
  std::string removed = owns_dir_ && !options_.keep_dir && !KeepTestDirs()
                            ? " (the test removes the directory; RMQ_KEEP_TEST_DIRS=1 keeps it)"
                            : "";
  if (run->exit_status != 0) {
    std::string what =
        run->exit_status < 0 ? "timed out" : absl::StrCat("failed (exit ", run->exit_status, ")");
    return absl::FailedPreconditionError(absl::StrCat("scripts/local-control-plane.sh start ", what,
                                                      removed, ":\n", Trimmed(run->err)));
  }
  if (Trimmed(run->out) != dir_) {
    return absl::InternalError(absl::StrCat("local-control-plane.sh start printed '",
                                            Trimmed(run->out), "', expected ", dir_));
  }
  running_ = true;
  RMQ_RETURN_IF_ERROR(ReadState());
  log::Get(kLogger)->info(
      "control plane started dir={} server={} etcd={} ms={}", dir_, server_, etcd_url_,
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
  return absl::OkStatus();
}

absl::Status LocalControlPlane::ReadState() {
  const std::string file = dir_ + "/state.env";
  std::ifstream in(file);
  if (!in) return absl::InternalError(absl::StrCat("cannot read ", file));
  std::map<std::string, std::string> state;
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find('=');
    if (eq != std::string::npos) state[line.substr(0, eq)] = line.substr(eq + 1);
  }
  for (const char* key : {"RMQ_K8S_APISERVER", "RMQ_K8S_ETCD", "RMQ_K8S_BIN_DIR"}) {
    if (state[key].empty()) return absl::InternalError(absl::StrCat(file, " has no ", key));
  }
  server_ = state["RMQ_K8S_APISERVER"];
  etcd_url_ = state["RMQ_K8S_ETCD"];
  bin_dir_ = state["RMQ_K8S_BIN_DIR"];
  kcm_url_ = state["RMQ_K8S_KCM"];
  std::string api_host;
  RMQ_RETURN_IF_ERROR(SplitUrl(server_, api_host, api_port_));
  return SplitUrl(etcd_url_, etcd_host_, etcd_port_);
}

absl::Status LocalControlPlane::Stop() {
  if (!running_) return absl::OkStatus();
  absl::StatusOr<CapturedRun> run =
      RunCapturing({kBash, script_, "stop", dir_, "--keep"}, {}, kStopTimeout);
  if (!run.ok()) return run.status();
  if (run->exit_status != 0) {
    return absl::InternalError(absl::StrCat("scripts/local-control-plane.sh stop ", dir_,
                                            " failed (exit ", run->exit_status, "):\n",
                                            Trimmed(run->err)));
  }
  running_ = false;
  log::Get(kLogger)->info("control plane stopped dir={}", dir_);
  return absl::OkStatus();
}

absl::Status LocalControlPlane::Restart() {
  RMQ_RETURN_IF_ERROR(Stop());
  const std::string server = server_;
  const std::string etcd_url = etcd_url_;
  RMQ_RETURN_IF_ERROR(
      RunStart({"--api-port", absl::StrCat(api_port_), "--etcd-port", absl::StrCat(etcd_port_)}));
  if (server_ != server || etcd_url_ != etcd_url) {
    return absl::InternalError(absl::StrCat("restart moved the plane: ", server, " -> ", server_,
                                            ", ", etcd_url, " -> ", etcd_url_));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> LocalControlPlane::Kubectl(const std::vector<std::string>& args,
                                                       std::chrono::seconds timeout) {
  std::vector<std::string> argv = {bin_dir_ + "/kubectl"};
  argv.insert(argv.end(), args.begin(), args.end());
  // KUBECONFIG rather than --kubeconfig: kubectl refuses flags before a plugin's name.
  SpawnOptions spawn;
  spawn.env["KUBECONFIG"] = kubeconfig_path();
  absl::StatusOr<CapturedRun> run = RunCapturing(argv, spawn, timeout);
  if (!run.ok()) return run.status();
  if (run->exit_status == 0) return std::move(run->out);
  std::string message =
      absl::StrCat("kubectl ", absl::StrJoin(args, " "),
                   run->exit_status < 0 ? absl::StrCat(": timed out after ", timeout.count(), " s")
                                        : absl::StrCat(": exit ", run->exit_status),
                   ": ", Trimmed(run->err));
  if (run->exit_status < 0) return absl::DeadlineExceededError(message);
  if (run->err.find("(NotFound)") != std::string::npos) return absl::NotFoundError(message);
  return absl::UnknownError(message);
}

absl::StatusOr<int64_t> LocalControlPlane::EtcdRevision() {
  // Range over the single key "\0" (base64 "AA=="): nothing, but the header has the revision.
  RMQ_ASSIGN_OR_RETURN(nlohmann::json answer,
                       EtcdPost(etcd_host_, etcd_port_, "/v3/kv/range", {{"key", "AA=="}}));
  // int64 fields are JSON strings in the gateway's protobuf mapping.
  const nlohmann::json* revision = nullptr;
  if (auto header = answer.find("header"); header != answer.end() && header->is_object()) {
    if (auto it = header->find("revision"); it != header->end()) revision = &*it;
  }
  int64_t value = 0;
  if (revision == nullptr || !revision->is_string() ||
      !absl::SimpleAtoi(revision->get<std::string>(), &value)) {
    return absl::InternalError(absl::StrCat("no header.revision in etcd's answer ", answer.dump()));
  }
  return value;
}

absl::Status LocalControlPlane::CompactEtcd(int64_t revision) {
  RMQ_RETURN_IF_ERROR(EtcdPost(etcd_host_, etcd_port_, "/v3/kv/compaction",
                               {{"revision", absl::StrCat(revision)}, {"physical", true}})
                          .status());
  log::Get(kLogger)->info("etcd compacted revision={}", revision);
  return absl::OkStatus();
}

LocalControlPlane::~LocalControlPlane() {
  absl::Status s = Stop();
  if (!s.ok()) log::Get(kLogger)->warn("stop: {}", s.ToString());
  if (!owns_dir_ || dir_.empty()) return;
  if (options_.keep_dir || KeepTestDirs()) {
    log::Get(kLogger)->info("control plane directory kept: {}", dir_);
    return;
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

}  // namespace rmq::testing
