// The real rocketmq-agent binary beside a real RocketMQ 5.3.3 broker: mTLS on the gRPC API
// (certificates made with the openssl CLI at test time, rotation picked up from the files),
// /healthz and /readyz, exporter-compatible /metrics, the metrics cache (one broker refresh per
// TTL, shared by concurrent scrapes), a real Prometheus server scraping the agent, SIGTERM, and
// the command line's exit codes.
//
// Needs: Java + the RocketMQ jars (scripts/rocketmq-jars.sh), the openssl CLI, and Prometheus
// (/usr/bin/prometheus from the Debian package, or RMQ_PROMETHEUS_BIN). A missing one fails.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <sstream>
#include <thread>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/net/blocking.h"
#include "controller/agent_link/agent_client.h"
#include "grpcpp/grpcpp.h"
#include "nlohmann/json.hpp"
#include "rmq/agent/v1/agent.grpc.pb.h"
#include "tests/support/admin_env.h"
#include "tests/support/child_process.h"
#include "tests/support/http_client.h"

namespace rmq::agent {
namespace {

namespace fs = std::filesystem;
namespace v1 = ::rocketmq::agent::v1;
using testing::ChildProcess;
using testing::HttpGet;
using testing::HttpResult;

constexpr const char* kCluster = "AgentCluster";
constexpr const char* kBrokerName = "agent-broker-a";
constexpr const char* kTopic = "AgentMetricsTopic";
constexpr const char* kGroup = "GID_agent_metrics";
constexpr const char* kPodName = "agent-test-pod";
constexpr int kBulkTopics = 40;

// ---- helpers ----

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFileAtomically(const fs::path& p, const std::string& content) {
  fs::path tmp = p;
  tmp += ".tmp";
  std::ofstream(tmp, std::ios::binary | std::ios::trunc) << content;
  fs::rename(tmp, p);
}

template <typename F>
bool Eventually(F condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = std::chrono::milliseconds(200)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

// One sample of the Prometheus text format.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

std::vector<Sample> ParseExposition(const std::string& text) {
  std::vector<Sample> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (line.front() == '#') continue;
    Sample s;
    size_t i = line.find_first_of("{ ");
    s.name = std::string(line.substr(0, i));
    if (i != absl::string_view::npos && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        size_t eq = line.find('=', i);
        std::string key(line.substr(i, eq - i));
        std::string value;
        size_t j = eq + 2;  // skip ="
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\' && j + 1 < line.size()) ++j;
          value.push_back(line[j]);
        }
        s.labels[key] = value;
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      ++i;  // '}'
    }
    s.value = std::stod(std::string(line.substr(line.rfind(' ') + 1)));
    out.push_back(std::move(s));
  }
  return out;
}

// Samples of `name` whose labels include `match`.
std::vector<Sample> Select(const std::vector<Sample>& samples, const std::string& name,
                           const std::map<std::string, std::string>& match = {}) {
  std::vector<Sample> out;
  for (const Sample& s : samples) {
    if (s.name != name) continue;
    bool ok = true;
    for (const auto& [k, v] : match) {
      auto it = s.labels.find(k);
      ok = ok && it != s.labels.end() && it->second == v;
    }
    if (ok) out.push_back(s);
  }
  return out;
}

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0 || c == '_' || c == '-' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

// ---- certificates (openssl CLI) ----

struct Pki {
  fs::path dir;
  fs::path Path(const std::string& name) const { return dir / name; }
  std::string Pem(const std::string& name) const { return ReadFile(dir / name); }
};

absl::Status Openssl(const fs::path& dir, const std::string& args) {
  const std::string cmd =
      absl::StrCat("cd '", dir.string(), "' && openssl ", args, " >> openssl.log 2>&1");
  if (std::system(cmd.c_str()) != 0) {
    return absl::InternalError(
        absl::StrCat("openssl ", args, " failed: ", ReadFile(dir / "openssl.log")));
  }
  return absl::OkStatus();
}

absl::Status MakeCa(const Pki& pki, const std::string& name) {
  return Openssl(pki.dir, absl::StrCat("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                                       "-nodes -keyout ",
                                       name, ".key -out ", name, ".pem -days 2 -subj /CN=", name,
                                       " -addext basicConstraints=critical,CA:TRUE"
                                       " -addext keyUsage=critical,keyCertSign,cRLSign"));
}

absl::Status Issue(const Pki& pki, const std::string& ca, const std::string& name,
                   const std::string& extensions) {
  std::ofstream(pki.Path(name + ".ext")) << extensions;
  absl::Status s = Openssl(
      pki.dir, absl::StrCat("req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ",
                            name, ".key -out ", name, ".csr -subj /CN=", name));
  if (!s.ok()) return s;
  return Openssl(pki.dir, absl::StrCat("x509 -req -in ", name, ".csr -CA ", ca, ".pem -CAkey ", ca,
                                       ".key -CAcreateserial -days 2 -out ", name, ".pem -extfile ",
                                       name, ".ext"));
}

absl::StatusOr<Pki> MakePki(const fs::path& dir) {
  Pki pki{dir};
  const std::string server =
      "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
      "extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n";
  const std::string client = "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n";
  for (const char* ca : {"ca1", "ca2"}) {
    if (absl::Status s = MakeCa(pki, ca); !s.ok()) return s;
  }
  // ca1 is the operator's CA; ca2 is unrelated at first and later replaces ca1 (rotation).
  for (const auto& [ca, name, ext] :
       std::vector<std::tuple<std::string, std::string, std::string>>{{"ca1", "server1", server},
                                                                      {"ca1", "client1", client},
                                                                      {"ca2", "server2", server},
                                                                      {"ca2", "client2", client}}) {
    if (absl::Status s = Issue(pki, ca, name, ext); !s.ok()) return s;
  }
  return pki;
}

// ---- gRPC clients ----

std::unique_ptr<v1::BrokerAgent::Stub> Stub(
    int port, const std::shared_ptr<grpc::ChannelCredentials>& creds) {
  grpc::ChannelArguments args;
  // A private subchannel pool: every client makes its own connection and handshake, instead of
  // reusing another channel's (possibly pre-rotation) connection.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return v1::BrokerAgent::NewStub(
      grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port), creds, args));
}

std::shared_ptr<grpc::ChannelCredentials> TlsCreds(const Pki& pki, const std::string& ca,
                                                   const std::string& client) {
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = pki.Pem(ca + ".pem");
  if (!client.empty()) {
    o.pem_private_key = pki.Pem(client + ".key");
    o.pem_cert_chain = pki.Pem(client + ".pem");
  }
  return grpc::SslCredentials(o);
}

grpc::Status GetState(v1::BrokerAgent::Stub& stub, v1::BrokerState& state,
                      std::chrono::seconds deadline = std::chrono::seconds(10)) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + deadline);
  v1::GetBrokerStateRequest request;
  return stub.GetBrokerState(&context, request, &state);
}

// ---- the agent ----

struct AgentInstance {
  std::unique_ptr<ChildProcess> process;
  int grpc_port = 0;
  int http_port = 0;
  std::string log;
};

absl::StatusOr<AgentInstance> StartAgent(const fs::path& dir, const std::string& name,
                                         const std::string& broker,
                                         const std::vector<std::string>& extra_flags) {
  const char* bin = std::getenv("RMQ_AGENT_BIN");
  if (bin == nullptr) {
    return absl::FailedPreconditionError("RMQ_AGENT_BIN is not set (ctest sets it)");
  }
  AgentInstance agent;
  absl::StatusOr<int> grpc_port = testing::FreeLoopbackPort();
  absl::StatusOr<int> http_port = testing::FreeLoopbackPort();
  while (grpc_port.ok() && http_port.ok() && *http_port == *grpc_port) {
    http_port = testing::FreeLoopbackPort();  // the kernel may hand out the same port twice
  }
  if (!grpc_port.ok() || !http_port.ok()) return absl::InternalError("no free port");
  agent.grpc_port = *grpc_port;
  agent.http_port = *http_port;
  agent.log = (dir / (name + ".log")).string();
  std::vector<std::string> argv = {bin,
                                   "--broker-addr",
                                   broker,
                                   absl::StrCat("--grpc-listen=127.0.0.1:", agent.grpc_port),
                                   absl::StrCat("--http-listen=127.0.0.1:", agent.http_port),
                                   "--log-level=debug"};
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  auto process = ChildProcess::Start(
      argv, {{"POD_NAME", kPodName}, {"POD_NAMESPACE", "mq-test"}, {"POD_IP", "127.0.0.1"}},
      agent.log);
  if (!process.ok()) return process.status();
  agent.process = *std::move(process);
  const int port = agent.http_port;
  if (!Eventually(
          [port] {
            absl::StatusOr<HttpResult> r = HttpGet("127.0.0.1", port, "/healthz");
            return r.ok() && r->status == 200;
          },
          std::chrono::seconds(20))) {
    return absl::DeadlineExceededError(
        absl::StrCat(name, " did not answer /healthz; log:\n", agent.process->Log()));
  }
  return agent;
}

absl::StatusOr<std::vector<Sample>> Scrape(int port) {
  absl::StatusOr<HttpResult> r = HttpGet("127.0.0.1", port, "/metrics");
  if (!r.ok()) return r.status();
  if (r->status != 200) return absl::InternalError(absl::StrCat("/metrics: ", r->status));
  return ParseExposition(r->body);
}

double RefreshCount(const std::vector<Sample>& samples) {
  std::vector<Sample> s = Select(samples, "rocketmq_agent_metrics_refreshes_total");
  return s.size() == 1 ? s[0].value : -1;
}

// ---- the suite: one broker, one mTLS agent ----

class AgentProcessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    started_ = std::chrono::steady_clock::now();
    std::string tmpl = (fs::temp_directory_path() / "rmq-agent-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      error_ = new std::string("mkdtemp failed");
      return;
    }
    dir_ = new fs::path(tmpl);
    fs::create_directories(*dir_ / "pki");
    fs::create_directories(*dir_ / "tls");
    absl::StatusOr<Pki> pki = MakePki(*dir_ / "pki");
    if (!pki.ok()) {
      error_ = new std::string(pki.status().ToString());
      return;
    }
    pki_ = new Pki(*pki);
    // The agent reads its TLS material from tls/ (like a mounted Secret), so it can be rotated.
    fs::copy_file(pki_->Path("server1.pem"), *dir_ / "tls" / "tls.crt");
    fs::copy_file(pki_->Path("server1.key"), *dir_ / "tls" / "tls.key");
    fs::copy_file(pki_->Path("ca1.pem"), *dir_ / "tls" / "ca.crt");

    testing::LocalRocketMQOptions options;
    options.cluster_name = kCluster;
    options.broker_name = kBrokerName;
    absl::StatusOr<std::unique_ptr<testing::AdminTestEnv>> env =
        testing::AdminTestEnv::Start(options);
    if (!env.ok()) {
      error_ = new std::string(env.status().ToString());
      return;
    }
    env_ = env->release();
    absl::StatusOr<AgentInstance> agent =
        StartAgent(*dir_, "agent", env_->broker(),
                   {"--tls-cert", (*dir_ / "tls" / "tls.crt").string(), "--tls-key",
                    (*dir_ / "tls" / "tls.key").string(), "--tls-client-ca",
                    (*dir_ / "tls" / "ca.crt").string(), "--tls-refresh-interval=1s",
                    "--metrics-cache-ttl=2s"});
    if (!agent.ok()) {
      error_ = new std::string(agent.status().ToString());
      return;
    }
    agent_ = new AgentInstance(*std::move(agent));
    // Right after "boot success" the broker still answers GET_BROKER_RUNTIME_INFO with
    // SYSTEM_ERROR (no stats samples yet), so /readyz says "broker starting" for a moment, as
    // the kubelet would see it: wait for ready.
    const int port = agent_->http_port;
    if (!Eventually(
            [port] {
              absl::StatusOr<HttpResult> r = HttpGet("127.0.0.1", port, "/readyz");
              return r.ok() && r->status == 200;
            },
            std::chrono::seconds(30))) {
      error_ = new std::string("the agent's /readyz did not turn 200 within 30 s");
    }
  }

  static void TearDownTestSuite() {
    delete agent_;
    delete env_;
    delete pki_;
    if (dir_ != nullptr && std::getenv("RMQ_KEEP_TEST_DIRS") == nullptr) fs::remove_all(*dir_);
    delete dir_;
    std::printf("agent process suite: %.1f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
  }

  void SetUp() override {
    ASSERT_EQ(error_, nullptr) << *error_;
    ASSERT_TRUE(agent_->process->Running()) << agent_->process->Log();
  }

  void TearDown() override {
    if (HasFailure() && agent_ != nullptr) {
      std::string log = agent_->process->Log();
      std::printf("--- agent log (tail) ---\n%s\n",
                  log.substr(log.size() > 6000 ? log.size() - 6000 : 0).c_str());
    }
  }

  static testing::AdminTestEnv& env() { return *env_; }

  static inline std::chrono::steady_clock::time_point started_;
  static inline fs::path* dir_ = nullptr;
  static inline Pki* pki_ = nullptr;
  static inline testing::AdminTestEnv* env_ = nullptr;
  static inline AgentInstance* agent_ = nullptr;
  static inline std::string* error_ = nullptr;
};

TEST(AgentCommandLineTest, HelpExitsZeroAndBadFlagsExitTwoNamingTheFlag) {
  const char* bin = std::getenv("RMQ_AGENT_BIN");
  ASSERT_NE(bin, nullptr) << "RMQ_AGENT_BIN is not set (ctest sets it)";
  const std::string log = (fs::temp_directory_path() / "rmq-agent-cli-test.log").string();

  absl::StatusOr<testing::RunResult> help =
      testing::RunToCompletion({bin, "--help"}, log, std::chrono::seconds(10));
  ASSERT_TRUE(help.ok()) << help.status();
  EXPECT_EQ(help->exit_status, 0) << help->output;
  for (const char* text : {"--metrics-cache-ttl", "ROCKETMQ_AGENT_METRICS_CACHE_TTL",
                           "--tls-client-ca", "--grpc-insecure", "POD_NAME"}) {
    EXPECT_NE(help->output.find(text), std::string::npos) << text;
  }

  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{"--grpc-insecure", "--metrics-cache-ttl=banana"}, "--metrics-cache-ttl"},
      {{}, "--grpc-insecure"},
      {{"--grpc-insecure", "--no-such-flag"}, "--no-such-flag"},
      {{"--tls-cert=/nonexistent/tls.crt", "--tls-key=/nonexistent/tls.key"}, "--tls-cert"},
      {{"--grpc-insecure", "--http-listen=localhost:9096"}, "--http-listen"},
  };
  for (const auto& [flags, needle] : bad) {
    std::vector<std::string> argv = {bin};
    argv.insert(argv.end(), flags.begin(), flags.end());
    absl::StatusOr<testing::RunResult> r =
        testing::RunToCompletion(argv, log, std::chrono::seconds(10));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->exit_status, 2) << needle << ": " << r->output;
    EXPECT_NE(r->output.find(needle), std::string::npos) << r->output;
  }
  fs::remove(log);
}

TEST_F(AgentProcessTest, MtlsAcceptsOnlyClientsWithACertificateFromTheConfiguredCa) {
  auto requests = [] {
    absl::StatusOr<std::vector<Sample>> m = Scrape(agent_->http_port);
    double n = 0;
    if (m.ok()) {
      for (const Sample& s :
           Select(*m, "rocketmq_agent_grpc_requests_total", {{"method", "GetBrokerState"}})) {
        n += s.value;
      }
    }
    return n;
  };
  const double before = requests();

  v1::BrokerState state;
  auto operator_client = Stub(agent_->grpc_port, TlsCreds(*pki_, "ca1", "client1"));
  grpc::Status ok = GetState(*operator_client, state);
  ASSERT_TRUE(ok.ok()) << ok.error_code() << " " << ok.error_message();
  EXPECT_EQ(state.identity().cluster(), kCluster);
  EXPECT_EQ(state.identity().broker_name(), kBrokerName);
  EXPECT_EQ(state.identity().address(), env().broker());
  EXPECT_EQ(state.identity().broker_id(), 0);
  EXPECT_EQ(state.state(), v1::LIFECYCLE_STATE_SERVING) << state.state_reason();

  // No client certificate: the handshake fails.
  v1::BrokerState ignored;
  auto anonymous = Stub(agent_->grpc_port, TlsCreds(*pki_, "ca1", ""));
  grpc::Status s = GetState(*anonymous, ignored, std::chrono::seconds(5));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  // A certificate from another CA.
  auto stranger = Stub(agent_->grpc_port, TlsCreds(*pki_, "ca1", "client2"));
  s = GetState(*stranger, ignored, std::chrono::seconds(5));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  // Plaintext.
  auto plaintext = Stub(agent_->grpc_port, grpc::InsecureChannelCredentials());
  s = GetState(*plaintext, ignored, std::chrono::seconds(5));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();

  // Refused handshakes never become RPCs: only the accepted call was counted.
  EXPECT_EQ(requests() - before, 1);
}

// The operator's side of the mTLS (controller/agent_link): its credentials from a mounted
// directory, and the agents' certificates checked against a configured name rather than the pod IP
// they are dialled at. (Before the rotation test below: it replaces the server certificate.)
TEST_F(AgentProcessTest, TheOperatorsAgentClientUsesMtlsAndTheConfiguredServerName) {
  const fs::path client_dir = *dir_ / "operator-tls";
  fs::create_directories(client_dir);
  fs::copy_file(pki_->Path("ca1.pem"), client_dir / "ca.crt");
  fs::copy_file(pki_->Path("client1.pem"), client_dir / "tls.crt");
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> missing =
      controller::LoadAgentClientCredentials(client_dir.string());
  ASSERT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
  EXPECT_NE(missing.status().message().find("tls.key"), std::string::npos);
  fs::copy_file(pki_->Path("client1.key"), client_dir / "tls.key");
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      controller::LoadAgentClientCredentials(client_dir.string());
  ASSERT_TRUE(credentials.ok()) << credentials.status();

  boost::asio::io_context io;
  const std::string address = absl::StrCat("127.0.0.1:", agent_->grpc_port);
  // server1's certificate names localhost (and 127.0.0.1), not rocketmq-agent.
  controller::AgentClient::Options named;
  named.credentials = *credentials;
  named.tls_server_name = "localhost";
  controller::AgentClient agents(io.get_executor(), named);
  absl::StatusOr<v1::BrokerState> state = net::BlockOn(io, agents.GetBrokerState(address, {}));
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->identity().cluster(), kCluster);

  controller::AgentClient::Options other = named;
  other.tls_server_name = "rocketmq-agent";
  other.deadline = std::chrono::seconds(5);
  controller::AgentClient mismatched(io.get_executor(), other);
  absl::StatusOr<v1::BrokerState> refused =
      net::BlockOn(io, mismatched.GetBrokerState(address, {}));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
}

TEST_F(AgentProcessTest, HealthzAndReadyzWhileTheBrokerServes) {
  absl::StatusOr<HttpResult> health = HttpGet("127.0.0.1", agent_->http_port, "/healthz");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "ok\n");
  absl::StatusOr<HttpResult> ready = HttpGet("127.0.0.1", agent_->http_port, "/readyz");
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(ready->status, 200) << ready->body;
  EXPECT_EQ(ready->body, "serving\n");
  absl::StatusOr<HttpResult> missing = HttpGet("127.0.0.1", agent_->http_port, "/nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
}

TEST_F(AgentProcessTest, MetricsShowTheBrokerWithExporterNamesAndLabels) {
  rocketmq::TopicConfig topic;
  topic.topic_name = kTopic;
  topic.read_queue_nums = 4;
  topic.write_queue_nums = 4;
  ASSERT_TRUE(env().Run(env().admin().CreateTopic(env().broker(), topic)).ok());
  for (int i = 0; i < 10; ++i) {
    const int32_t queue = i < 6 ? 0 : 1;  // 6 messages on queue 0, 4 on queue 1
    absl::StatusOr<rocketmq::SendResult> sent =
        env().Run(env().admin().SendMessage(env().broker(), kTopic, queue, "m"));
    ASSERT_TRUE(sent.ok()) << sent.status();
  }
  rocketmq::SubscriptionGroupConfig group;
  group.group_name = kGroup;
  group.json = rocketmq::Json{{"groupName", kGroup}};
  ASSERT_TRUE(env().Run(env().admin().CreateSubscriptionGroup(env().broker(), group)).ok());
  ASSERT_TRUE(
      env().Run(env().admin().UpdateConsumerOffset(env().broker(), kGroup, kTopic, 0, 3)).ok());
  // More topics than topic-stats requests in flight (16): every one is read.
  std::vector<rocketmq::TopicConfig> bulk(kBulkTopics);
  for (int i = 0; i < kBulkTopics; ++i) bulk[i].topic_name = absl::StrCat("AgentBulk_", i);
  absl::StatusOr<rocketmq::BatchResult> created =
      env().Run(env().admin().CreateTopics(env().broker(), bulk));
  ASSERT_TRUE(created.ok() && created->ok()) << created.status();

  // The cache refreshes at most every 2 s: wait for a refresh that saw the messages.
  const std::map<std::string, std::string> topic_labels = {
      {"cluster", kCluster}, {"broker", kBrokerName}, {"topic", kTopic}};
  std::vector<Sample> m;
  ASSERT_TRUE(Eventually(
      [&] {
        absl::StatusOr<std::vector<Sample>> scraped = Scrape(agent_->http_port);
        if (!scraped.ok()) return false;
        m = *scraped;
        std::vector<Sample> lag = Select(m, "rocketmq_group_diff", {{"group", kGroup}});
        std::vector<Sample> offset = Select(m, "rocketmq_producer_offset", topic_labels);
        // The broker reports rates once it has 10 s of samples.
        return offset.size() == 1 && offset[0].value == 10 && lag.size() == 1 &&
               !Select(m, "rocketmq_broker_tps").empty() &&
               !Select(m, "rocketmq_producer_offset", {{"topic", "AgentBulk_0"}}).empty();
      },
      std::chrono::seconds(30)))
      << "no refresh with the topic's offsets and the broker's rates";

  std::vector<Sample> offset = Select(m, "rocketmq_producer_offset", topic_labels);
  EXPECT_EQ(offset[0].labels, topic_labels);  // exactly the exporter's labels
  std::vector<Sample> consumer = Select(m, "rocketmq_consumer_offset", {{"group", kGroup}});
  ASSERT_EQ(consumer.size(), 1u);
  EXPECT_EQ(
      consumer[0].labels,
      (std::map<std::string, std::string>{
          {"cluster", kCluster}, {"broker", kBrokerName}, {"topic", kTopic}, {"group", kGroup}}));
  EXPECT_EQ(consumer[0].value, 3);
  std::vector<Sample> lag = Select(m, "rocketmq_group_diff", {{"group", kGroup}});
  EXPECT_EQ(lag[0].labels.at("topic"), kTopic);
  EXPECT_EQ(lag[0].value, 7);  // (6 - 3) on queue 0 + 4 uncommitted on queue 1
  ASSERT_EQ(Select(m, "rocketmq_producer_tps", topic_labels).size(), 1u);

  // Broker runtime: exporter labels plus the broker name; brokerHost is the pod.
  std::vector<Sample> put = Select(m, "rocketmq_brokeruntime_msg_put_total_today_now");
  ASSERT_EQ(put.size(), 1u);
  EXPECT_GE(put[0].value, 10);
  EXPECT_EQ(put[0].labels.at("cluster"), kCluster);
  EXPECT_EQ(put[0].labels.at("brokerIP"), env().broker());
  EXPECT_EQ(put[0].labels.at("brokerHost"), kPodName);
  EXPECT_EQ(put[0].labels.at("des"), "V5_3_3");
  EXPECT_EQ(put[0].labels.at("broker_version"), "479");
  EXPECT_FALSE(put[0].labels.at("boottime").empty());
  EXPECT_EQ(put[0].labels.at("broker"), kBrokerName);
  std::vector<Sample> ratio = Select(m, "rocketmq_brokeruntime_commitlog_disk_ratio");
  ASSERT_EQ(ratio.size(), 1u);
  EXPECT_GT(ratio[0].value, 0);
  EXPECT_LT(ratio[0].value, 1);
  EXPECT_EQ(Select(m, "rocketmq_brokeruntime_msg_gettotal_today_now").size(), 1u);
  std::vector<Sample> tps = Select(m, "rocketmq_broker_tps");
  ASSERT_EQ(tps.size(), 1u);
  EXPECT_EQ(tps[0].labels,
            (std::map<std::string, std::string>{
                {"cluster", kCluster}, {"brokerIP", env().broker()}, {"broker", kBrokerName}}));
  EXPECT_EQ(Select(m, "rocketmq_broker_qps").size(), 1u);
  // The agent's own families.
  EXPECT_EQ(Select(m, "rocketmq_agent_broker_up").at(0).value, 1);
  EXPECT_GE(RefreshCount(m), 1);
  EXPECT_EQ(Select(m, "rocketmq_agent_metrics_last_refresh_errors").at(0).value, 0);
  EXPECT_GT(Select(m, "rocketmq_agent_metrics_last_refresh_timestamp_seconds").at(0).value, 1e9);
  EXPECT_EQ(Select(m, "rocketmq_agent_info", {{"pod", kPodName}, {"namespace", "mq-test"}}).size(),
            1u);
  // Every topic is there, system topics stay out.
  int bulk_series = 0;
  for (const Sample& sample : Select(m, "rocketmq_producer_offset")) {
    bulk_series += sample.labels.at("topic").rfind("AgentBulk_", 0) == 0 ? 1 : 0;
  }
  EXPECT_EQ(bulk_series, kBulkTopics);
  EXPECT_TRUE(Select(m, "rocketmq_producer_offset", {{"topic", "TBW102"}}).empty());
}

TEST_F(AgentProcessTest, OneBrokerRefreshPerTtlSharedByConcurrentScrapes) {
  // A second agent with a long TTL (plaintext gRPC): every scrape within the hour is served
  // from the first refresh, also when the first scrapes arrive together.
  absl::StatusOr<AgentInstance> agent =
      StartAgent(*dir_, "agent-long-ttl", env().broker(),
                 {"--grpc-insecure", "--metrics-cache-ttl=1h", "--log-format=json"});
  ASSERT_TRUE(agent.ok()) << agent.status();
  const int port = agent->http_port;
  std::vector<std::future<double>> first;
  first.reserve(8);
  for (int i = 0; i < 8; ++i) {
    first.push_back(std::async(std::launch::async, [port] {
      absl::StatusOr<std::vector<Sample>> m = Scrape(port);
      return m.ok() ? RefreshCount(*m) : -1;
    }));
  }
  for (auto& f : first) EXPECT_EQ(f.get(), 1);
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<std::vector<Sample>> m = Scrape(port);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(RefreshCount(*m), 1) << "scrape " << i;
  }
  // The main agent (TTL 2 s): two back-to-back scrapes cause at most one refresh.
  absl::StatusOr<std::vector<Sample>> a = Scrape(agent_->http_port);
  absl::StatusOr<std::vector<Sample>> b = Scrape(agent_->http_port);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_LE(RefreshCount(*b) - RefreshCount(*a), 1);

  // Plaintext gRPC works when asked for explicitly.
  auto stub = Stub(agent->grpc_port, grpc::InsecureChannelCredentials());
  v1::BrokerState state;
  grpc::Status s = GetState(*stub, state);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(state.identity().broker_name(), kBrokerName);

  // SIGTERM while the client's connection is still open (idle): gRPC's graceful GOAWAY makes
  // Server::Shutdown wait for the client to go (about 5 s with grpc 1.51); still a clean exit,
  // well within --shutdown-timeout (10 s).
  const auto sigterm = std::chrono::steady_clock::now();
  agent->process->Signal(SIGTERM);
  EXPECT_EQ(agent->process->WaitExit(std::chrono::seconds(15)), 0);
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - sigterm).count();
  std::printf("agent exit after SIGTERM with an open client connection: %.2f s\n", took);
  EXPECT_LT(took, 12.0);

  // --log-format=json: every line is a JSON object.
  std::string log = agent->process->Log();
  int lines = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(j.is_object() && j.contains("msg") && j.contains("level")) << line;
    ++lines;
  }
  EXPECT_GT(lines, 3);
}

TEST_F(AgentProcessTest, PrometheusScrapesTheAgent) {
  std::string prometheus;
  if (const char* p = std::getenv("RMQ_PROMETHEUS_BIN")) {
    prometheus = p;
  } else {
    for (const char* candidate : {"/usr/bin/prometheus", "/usr/local/bin/prometheus"}) {
      if (::access(candidate, X_OK) == 0) {
        prometheus = candidate;
        break;
      }
    }
  }
  ASSERT_FALSE(prometheus.empty())
      << "Prometheus not found: install it with scripts/setup.sh (Debian package prometheus) or "
         "set RMQ_PROMETHEUS_BIN";

  const fs::path pdir = *dir_ / "prometheus";
  fs::create_directories(pdir / "data");
  std::ofstream(pdir / "prometheus.yml") << absl::StrCat(R"(global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: rocketmq-agent
    static_configs:
      - targets: ['127.0.0.1:)",
                                                         agent_->http_port, R"(']
)");
  absl::StatusOr<int> port = testing::FreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  auto server = ChildProcess::Start(
      {prometheus, absl::StrCat("--config.file=", (pdir / "prometheus.yml").string()),
       absl::StrCat("--storage.tsdb.path=", (pdir / "data").string()),
       absl::StrCat("--web.listen-address=127.0.0.1:", *port), "--log.level=warn"},
      {}, (pdir / "prometheus.log").string());
  ASSERT_TRUE(server.ok()) << server.status();

  auto query = [&](const std::string& promql) -> nlohmann::json {
    absl::StatusOr<HttpResult> r =
        HttpGet("127.0.0.1", *port, absl::StrCat("/api/v1/query?query=", UrlEncode(promql)));
    if (!r.ok() || r->status != 200) return nlohmann::json::array();
    nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
    if (!j.is_object() || j.value("status", "") != "success") return nlohmann::json::array();
    return j["data"]["result"];
  };
  const std::string instance = absl::StrCat("127.0.0.1:", agent_->http_port);
  nlohmann::json result;
  const bool scraped = Eventually(
      [&] {
        result = query(absl::StrCat("rocketmq_producer_offset{topic=\"", kTopic, "\"}"));
        return result.is_array() && !result.empty();
      },
      std::chrono::seconds(60), std::chrono::milliseconds(500));
  ASSERT_TRUE(scraped) << "Prometheus has no rocketmq_producer_offset series; its log:\n"
                       << (*server)->Log();
  ASSERT_EQ(result.size(), 1u) << result.dump();
  const nlohmann::json& metric = result[0]["metric"];
  EXPECT_EQ(metric.value("job", ""), "rocketmq-agent") << metric.dump();
  EXPECT_EQ(metric.value("instance", ""), instance);
  EXPECT_EQ(metric.value("cluster", ""), kCluster);
  EXPECT_EQ(metric.value("broker", ""), kBrokerName);
  EXPECT_EQ(metric.value("topic", ""), kTopic);
  EXPECT_EQ(result[0]["value"][1], "10");

  nlohmann::json runtime = query("rocketmq_brokeruntime_commitlog_disk_ratio");
  ASSERT_EQ(runtime.size(), 1u) << runtime.dump();
  EXPECT_EQ(runtime[0]["metric"].value("brokerIP", ""), env().broker());
  EXPECT_EQ(runtime[0]["metric"].value("brokerHost", ""), kPodName);
  EXPECT_EQ(runtime[0]["metric"].value("des", ""), "V5_3_3");
  nlohmann::json lag = query(absl::StrCat("rocketmq_group_diff{group=\"", kGroup, "\"}"));
  ASSERT_EQ(lag.size(), 1u) << lag.dump();
  EXPECT_EQ(lag[0]["value"][1], "7");
  nlohmann::json up = query("up{job=\"rocketmq-agent\"}");
  ASSERT_EQ(up.size(), 1u) << up.dump();
  EXPECT_EQ(up[0]["value"][1], "1");

  (*server)->Signal(SIGTERM);
  EXPECT_EQ((*server)->WaitExit(std::chrono::seconds(20)), 0) << (*server)->Log();
}

TEST_F(AgentProcessTest, RotatedCertificatesArePickedUpWithoutARestart) {
  // The Secret is renewed with a new CA (ca2): new server certificate, new client CA.
  WriteFileAtomically(*dir_ / "tls" / "ca.crt", pki_->Pem("ca2.pem"));
  WriteFileAtomically(*dir_ / "tls" / "tls.key", pki_->Pem("server2.key"));
  WriteFileAtomically(*dir_ / "tls" / "tls.crt", pki_->Pem("server2.pem"));
  v1::BrokerState state;
  grpc::Status last;
  const bool rotated = Eventually(
      [&] {
        auto renewed = Stub(agent_->grpc_port, TlsCreds(*pki_, "ca2", "client2"));
        last = GetState(*renewed, state, std::chrono::seconds(5));
        return last.ok();
      },
      std::chrono::seconds(20), std::chrono::milliseconds(500));
  ASSERT_TRUE(rotated) << last.error_code() << " " << last.error_message();
  EXPECT_EQ(state.identity().broker_name(), kBrokerName);
  // The old client certificate (ca1) is refused now.
  auto old = Stub(agent_->grpc_port, TlsCreds(*pki_, "ca1", "client1"));
  grpc::Status refused = GetState(*old, state, std::chrono::seconds(5));
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE) << refused.error_message();
}

TEST_F(AgentProcessTest, ReadyzTurns503WhenTheBrokerStops) {
  ASSERT_TRUE(env().mq().Stop().ok());
  absl::StatusOr<HttpResult> ready;
  ASSERT_TRUE(Eventually(
      [&] {
        ready = HttpGet("127.0.0.1", agent_->http_port, "/readyz");
        return ready.ok() && ready->status == 503;
      },
      std::chrono::seconds(15)))
      << (ready.ok() ? ready->body : ready.status().ToString());
  EXPECT_NE(ready->body.find("broker unreachable"), std::string::npos) << ready->body;
  absl::StatusOr<HttpResult> health = HttpGet("127.0.0.1", agent_->http_port, "/healthz");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);  // the agent itself is fine
  ASSERT_TRUE(Eventually(
      [&] {
        absl::StatusOr<std::vector<Sample>> m = Scrape(agent_->http_port);
        return m.ok() && Select(*m, "rocketmq_agent_broker_up").size() == 1 &&
               Select(*m, "rocketmq_agent_broker_up")[0].value == 0 &&
               Select(*m, "rocketmq_producer_offset").empty();
      },
      std::chrono::seconds(15)));
}

TEST_F(AgentProcessTest, SigtermStopsTheAgentCleanly) {
  const auto start = std::chrono::steady_clock::now();
  agent_->process->Signal(SIGTERM);
  std::optional<int> code = agent_->process->WaitExit(std::chrono::seconds(15));
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(code.has_value()) << "still running 15 s after SIGTERM";
  EXPECT_EQ(*code, 0) << agent_->process->Log();
  EXPECT_LT(took, 5.0);
  const std::string log = agent_->process->Log();
  EXPECT_NE(log.find("received SIGTERM, shutting down"), std::string::npos);
  EXPECT_NE(log.find("rocketmq-agent stopped"), std::string::npos);
  EXPECT_FALSE(HttpGet("127.0.0.1", agent_->http_port, "/healthz").ok());
}

}  // namespace
}  // namespace rmq::agent
