#include "agent/cli/admin_cli.h"

#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/log/logger.h"
#include "common/net/blocking.h"
#include "common/rocketmq/admin/admin_client.h"
#include "common/rocketmq/remoting/fastjson.h"
#include "common/rocketmq/remoting/status.h"

namespace rmq::agent {
namespace {

using rocketmq::AdminClient;
using rocketmq::Json;
namespace asio = boost::asio;

struct Args {
  std::string command;
  std::map<std::string, std::vector<std::string>> options;  // --key value (repeatable)
  std::vector<std::string> positional;

  bool Has(const std::string& key) const { return options.count(key) > 0; }
  std::string Get(const std::string& key, const std::string& fallback = "") const {
    auto it = options.find(key);
    return it == options.end() || it->second.empty() ? fallback : it->second.back();
  }
};

// Options that take no value.
bool IsFlag(const std::string& key) {
  return key == "order" || key == "clean-offsets" || key == "help" || key == "pretty";
}

absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& argv) {
  Args args;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.rfind("--", 0) == 0) {
      std::string key = a.substr(2);
      std::string value;
      size_t eq = key.find('=');
      if (eq != std::string::npos) {
        value = key.substr(eq + 1);
        key = key.substr(0, eq);
      } else if (IsFlag(key)) {
        value = "true";
      } else {
        if (i + 1 >= argv.size()) {
          return absl::InvalidArgumentError(absl::StrCat("option --", key, " needs a value"));
        }
        value = argv[++i];
      }
      args.options[key].push_back(value);
    } else if (args.command.empty()) {
      args.command = a;
    } else {
      args.positional.push_back(a);
    }
  }
  return args;
}

absl::StatusOr<int32_t> IntOption(const Args& args, const std::string& key, int32_t fallback) {
  if (!args.Has(key)) return fallback;
  int32_t v = 0;
  if (!absl::SimpleAtoi(args.Get(key), &v)) {
    return absl::InvalidArgumentError(absl::StrCat("--", key, " must be an integer"));
  }
  return v;
}

absl::StatusOr<std::string> Required(const Args& args, const std::string& key) {
  std::string v = args.Get(key);
  if (v.empty()) return absl::InvalidArgumentError(absl::StrCat("--", key, " is required"));
  return v;
}

absl::StatusOr<Json> ReadJsonInput(const std::string& path) {
  std::stringstream buffer;
  if (path == "-") {
    buffer << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
    buffer << in.rdbuf();
  }
  return rocketmq::ParseFastJson(buffer.str());
}

// Accepts a JSON array, or an object with the named list field, or a table keyed by name.
absl::StatusOr<std::vector<Json>> JsonItems(const Json& doc, const char* list_key,
                                            const char* table_key) {
  const Json* list = &doc;
  if (doc.is_object() && doc.contains(list_key)) list = &doc[list_key];
  if (doc.is_object() && doc.contains(table_key)) {
    std::vector<Json> items;
    for (const auto& [name, v] : doc[table_key].items()) items.push_back(v);
    return items;
  }
  if (!list->is_array()) {
    return absl::InvalidArgumentError(absl::StrCat("input must be a JSON array, {\"", list_key,
                                                   "\":[...]} or {\"", table_key, "\":{...}}"));
  }
  return std::vector<Json>(list->begin(), list->end());
}

using Command = std::function<asio::awaitable<absl::StatusOr<Json>>(AdminClient&, const Args&)>;

asio::awaitable<absl::StatusOr<Json>> TopicCreate(AdminClient& admin, const Args& args) {
  RMQ_CO_ASSIGN_OR_RETURN(std::string broker, Required(args, "broker"));
  rocketmq::TopicConfig t;
  RMQ_CO_ASSIGN_OR_RETURN(t.topic_name, Required(args, "topic"));
  RMQ_CO_ASSIGN_OR_RETURN(t.read_queue_nums, IntOption(args, "read-queues", t.read_queue_nums));
  RMQ_CO_ASSIGN_OR_RETURN(t.write_queue_nums, IntOption(args, "write-queues", t.write_queue_nums));
  RMQ_CO_ASSIGN_OR_RETURN(t.perm, IntOption(args, "perm", t.perm));
  t.order = args.Has("order");
  if (args.Has("filter-type")) t.topic_filter_type = args.Get("filter-type");
  if (auto it = args.options.find("attribute"); it != args.options.end()) {
    for (const std::string& kv : it->second) {
      size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) {
        co_return absl::InvalidArgumentError("--attribute must be key=value");
      }
      t.attributes[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  RMQ_CO_RETURN_IF_ERROR(co_await admin.CreateTopic(broker, t));
  co_return rocketmq::ToJson(t);
}

asio::awaitable<absl::StatusOr<Json>> TopicsCreate(AdminClient& admin, const Args& args) {
  RMQ_CO_ASSIGN_OR_RETURN(std::string broker, Required(args, "broker"));
  RMQ_CO_ASSIGN_OR_RETURN(std::string file, Required(args, "file"));
  RMQ_CO_ASSIGN_OR_RETURN(Json doc, ReadJsonInput(file));
  RMQ_CO_ASSIGN_OR_RETURN(std::vector<Json> items,
                          JsonItems(doc, "topicConfigList", "topicConfigTable"));
  std::vector<rocketmq::TopicConfig> topics;
  for (const Json& item : items) {
    RMQ_CO_ASSIGN_OR_RETURN(rocketmq::TopicConfig t, rocketmq::TopicConfigFromJson(item));
    topics.push_back(std::move(t));
  }
  RMQ_CO_ASSIGN_OR_RETURN(rocketmq::BatchResult r,
                          co_await admin.CreateTopics(broker, std::move(topics)));
  co_return rocketmq::ToJson(r);
}

asio::awaitable<absl::StatusOr<Json>> GroupCreate(AdminClient& admin, const Args& args) {
  RMQ_CO_ASSIGN_OR_RETURN(std::string broker, Required(args, "broker"));
  rocketmq::SubscriptionGroupConfig g;
  RMQ_CO_ASSIGN_OR_RETURN(g.group_name, Required(args, "group"));
  if (args.Has("config")) {
    RMQ_CO_ASSIGN_OR_RETURN(g.json, rocketmq::ParseFastJson(args.Get("config")));
    if (!g.json.is_object()) co_return absl::InvalidArgumentError("--config must be an object");
  }
  if (args.Has("retry-max-times")) {
    RMQ_CO_ASSIGN_OR_RETURN(int32_t n, IntOption(args, "retry-max-times", 16));
    g.json["retryMaxTimes"] = n;
  }
  g.json["groupName"] = g.group_name;
  RMQ_CO_RETURN_IF_ERROR(co_await admin.CreateSubscriptionGroup(broker, g));
  co_return g.json;
}

asio::awaitable<absl::StatusOr<Json>> GroupsCreate(AdminClient& admin, const Args& args) {
  RMQ_CO_ASSIGN_OR_RETURN(std::string broker, Required(args, "broker"));
  RMQ_CO_ASSIGN_OR_RETURN(std::string file, Required(args, "file"));
  RMQ_CO_ASSIGN_OR_RETURN(Json doc, ReadJsonInput(file));
  RMQ_CO_ASSIGN_OR_RETURN(std::vector<Json> items,
                          JsonItems(doc, "groupConfigList", "subscriptionGroupTable"));
  std::vector<rocketmq::SubscriptionGroupConfig> groups;
  for (const Json& item : items) {
    RMQ_CO_ASSIGN_OR_RETURN(auto g, rocketmq::SubscriptionGroupConfigFromJson(item));
    groups.push_back(std::move(g));
  }
  RMQ_CO_ASSIGN_OR_RETURN(rocketmq::BatchResult r,
                          co_await admin.CreateSubscriptionGroups(broker, std::move(groups)));
  co_return rocketmq::ToJson(r);
}

const std::map<std::string, Command>& Commands() {
  static const auto* commands =
      new std::map<std::string, Command>{
          {"topic-list",
           [](AdminClient& admin, const Args& args) -> asio::awaitable<absl::StatusOr<Json>> {
             RMQ_CO_ASSIGN_OR_RETURN(std::string broker, Required(args, "broker"));
             RMQ_CO_ASSIGN_OR_RETURN(auto table, co_await admin.GetAllTopicConfig(broker));
             Json topics = Json::object();
             for (const auto& [name, t] : table.topics) topics[name] = rocketmq::ToJson(t);
             co_return Json{{"dataVersion", rocketmq::ToJson(table.data_version)},
                            {"topicConfigTable", std::move(topics)}};
           }},
          {"topic-get",
           [](AdminClient& admin, const Args& args) -> asio::awaitable<absl::StatusOr<Json>> {
             RMQ_CO_ASSIGN_OR_RETURN(std::string broker, Required(args, "broker"));
             RMQ_CO_ASSIGN_OR_RETURN(std::string topic, Required(args, "topic"));
             RMQ_CO_ASSIGN_OR_RETURN(auto t, co_await admin.GetTopicConfig(broker, topic));
             co_return rocketmq::ToJson(t);
           }},
          {"topic-create", TopicCreate},
          {"topics-create", TopicsCreate},
          {"topic-delete",
           [](AdminClient& admin, const Args& args) -> asio::awaitable<absl::StatusOr<Json>> {
             RMQ_CO_ASSIGN_OR_RETURN(std::string broker, Required(args, "broker"));
             RMQ_CO_ASSIGN_OR_RETURN(std::string topic, Required(args, "topic"));
             RMQ_CO_RETURN_IF_ERROR(co_await admin.DeleteTopic(broker, topic));
             if (args.Has("namesrv")) {
               RMQ_CO_RETURN_IF_ERROR(co_await admin.DeleteTopicInNameServer(
                   args.Get("namesrv"), topic, args.Get("cluster")));
             }
             co_return Json{{"deleted", topic}};
           }},
          {"group-list",
           [](AdminClient& admin, const Args& args) -> asio::awaitable<absl::StatusOr<Json>> {
             RMQ_CO_ASSIGN_OR_RETURN(std::string broker, Required(args, "broker"));
             RMQ_CO_ASSIGN_OR_RETURN(auto table, co_await admin.GetAllSubscriptionGroups(broker));
             Json groups = Json::object();
             for (const auto& [name, g] : table.groups) groups[name] = g.json;
             co_return Json{{"dataVersion", rocketmq::ToJson(table.data_version)},
                            {"subscriptionGroupTable", std::move(groups)}};
           }},
          {"group-get",
           [](AdminClient& admin, const Args& args) -> asio::awaitable<absl::StatusOr<Json>> {
             RMQ_CO_ASSIGN_OR_RETURN(std::string broker, Required(args, "broker"));
             RMQ_CO_ASSIGN_OR_RETURN(std::string group, Required(args, "group"));
             RMQ_CO_ASSIGN_OR_RETURN(auto g, co_await admin.GetSubscriptionGroup(broker, group));
             co_return g.json;
           }},
          {"group-create", GroupCreate},
          {"groups-create", GroupsCreate},
          {"group-delete",
           [](AdminClient& admin, const Args& args) -> asio::awaitable<absl::StatusOr<Json>> {
             RMQ_CO_ASSIGN_OR_RETURN(std::string broker, Required(args, "broker"));
             RMQ_CO_ASSIGN_OR_RETURN(std::string group, Required(args, "group"));
             RMQ_CO_RETURN_IF_ERROR(
                 co_await admin.DeleteSubscriptionGroup(broker, group, args.Has("clean-offsets")));
             co_return Json{{"deleted", group}};
           }},
          {"config-get",
           [](AdminClient& admin, const Args& args) -> asio::awaitable<absl::StatusOr<Json>> {
             RMQ_CO_ASSIGN_OR_RETURN(std::string broker, Required(args, "broker"));
             RMQ_CO_ASSIGN_OR_RETURN(auto config, co_await admin.GetBrokerConfig(broker));
             Json props(config.properties);
             if (args.Has("key")) {
               auto it = config.properties.find(args.Get("key"));
               if (it == config.properties.end()) {
                 co_return absl::NotFoundError(
                     absl::StrCat("broker has no config key ", args.Get("key")));
               }
               co_return Json{{it->first, it->second}};
             }
             co_return props;
           }},
          {"config-update",
           [](AdminClient& admin, const Args& args) -> asio::awaitable<absl::StatusOr<Json>> {
             RMQ_CO_ASSIGN_OR_RETURN(std::string broker, Required(args, "broker"));
             std::map<std::string, std::string> props;
             for (const std::string& kv : args.positional) {
               size_t eq = kv.find('=');
               if (eq == std::string::npos || eq == 0) {
                 co_return absl::InvalidArgumentError(absl::StrCat("'", kv, "' is not key=value"));
               }
               props[kv.substr(0, eq)] = kv.substr(eq + 1);
             }
             RMQ_CO_RETURN_IF_ERROR(co_await admin.UpdateBrokerConfig(broker, props));
             co_return Json(props);
           }},
          {"runtime-info",
           [](AdminClient& admin, const Args& args) -> asio::awaitable<absl::StatusOr<Json>> {
             RMQ_CO_ASSIGN_OR_RETURN(std::string broker, Required(args, "broker"));
             RMQ_CO_ASSIGN_OR_RETURN(auto kv, co_await admin.GetBrokerRuntimeInfo(broker));
             co_return Json(kv);
           }},
          {"consume-stats",
           [](AdminClient& admin, const Args& args) -> asio::awaitable<absl::StatusOr<Json>> {
             RMQ_CO_ASSIGN_OR_RETURN(std::string broker, Required(args, "broker"));
             RMQ_CO_ASSIGN_OR_RETURN(std::string group, Required(args, "group"));
             RMQ_CO_ASSIGN_OR_RETURN(
                 auto stats, co_await admin.GetConsumeStats(broker, group, args.Get("topic")));
             co_return rocketmq::ToJson(stats);
           }},
          {"topic-stats",
           [](AdminClient& admin, const Args& args) -> asio::awaitable<absl::StatusOr<Json>> {
             RMQ_CO_ASSIGN_OR_RETURN(std::string broker, Required(args, "broker"));
             RMQ_CO_ASSIGN_OR_RETURN(std::string topic, Required(args, "topic"));
             RMQ_CO_ASSIGN_OR_RETURN(auto stats, co_await admin.GetTopicStats(broker, topic));
             co_return rocketmq::ToJson(stats);
           }},
          {"cluster-info",
           [](AdminClient& admin, const Args& args) -> asio::awaitable<absl::StatusOr<Json>> {
             RMQ_CO_ASSIGN_OR_RETURN(std::string namesrv, Required(args, "namesrv"));
             RMQ_CO_ASSIGN_OR_RETURN(auto info, co_await admin.GetBrokerClusterInfo(namesrv));
             co_return rocketmq::ToJson(info);
           }},
          {"route",
           [](AdminClient& admin, const Args& args) -> asio::awaitable<absl::StatusOr<Json>> {
             RMQ_CO_ASSIGN_OR_RETURN(std::string namesrv, Required(args, "namesrv"));
             RMQ_CO_ASSIGN_OR_RETURN(std::string topic, Required(args, "topic"));
             RMQ_CO_ASSIGN_OR_RETURN(auto route,
                                     co_await admin.GetRouteInfoByTopic(namesrv, topic));
             co_return rocketmq::ToJson(route);
           }},
          {"topic-names",
           [](AdminClient& admin, const Args& args) -> asio::awaitable<absl::StatusOr<Json>> {
             RMQ_CO_ASSIGN_OR_RETURN(std::string namesrv, Required(args, "namesrv"));
             RMQ_CO_ASSIGN_OR_RETURN(auto names, co_await admin.GetAllTopicList(namesrv));
             co_return Json(names);
           }},
      };
  return *commands;
}

const char* CodeName(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case absl::StatusCode::kNotFound:
      return "NOT_FOUND";
    case absl::StatusCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case absl::StatusCode::kPermissionDenied:
      return "PERMISSION_DENIED";
    case absl::StatusCode::kUnavailable:
      return "UNAVAILABLE";
    case absl::StatusCode::kDeadlineExceeded:
      return "DEADLINE_EXCEEDED";
    case absl::StatusCode::kUnimplemented:
      return "UNIMPLEMENTED";
    case absl::StatusCode::kDataLoss:
      return "DATA_LOSS";
    case absl::StatusCode::kCancelled:
      return "CANCELLED";
    default:
      return "UNKNOWN";
  }
}

void PrintError(std::ostream& err, const absl::Status& status) {
  Json e{{"code", CodeName(status.code())}, {"message", std::string(status.message())}};
  if (auto rc = rocketmq::RemotingResponseCode(status)) e["responseCode"] = *rc;
  err << rocketmq::DumpJson(Json{{"error", std::move(e)}}) << "\n";
}

}  // namespace

std::string AdminCliUsage() {
  return R"(usage: rocketmq-admin <command> [options]

RocketMQ administration over the native remoting protocol (no JVM). Prints JSON.

Broker commands (--broker HOST:PORT, the broker's listenPort):
  topic-list                              all topic configs
  topic-get      --topic T                one topic config
  topic-create   --topic T [--read-queues N] [--write-queues N] [--perm N] [--order]
                 [--filter-type SINGLE_TAG|MULTI_TAG] [--attribute key=value]...
  topics-create  --file F|-               idempotent batch upsert; F is a JSON array of topic
                                          configs (or topic-list output)
  topic-delete   --topic T [--namesrv ADDR [--cluster C]]   also removes the route there
  group-list                              all subscription groups
  group-get      --group G
  group-create   --group G [--config JSON] [--retry-max-times N]
  groups-create  --file F|-               idempotent batch upsert (or group-list output)
  group-delete   --group G [--clean-offsets]
  config-get     [--key K]                broker config (all keys, or one)
  config-update  key=value...             note: unknown keys are ignored by the broker
  runtime-info                            GET_BROKER_RUNTIME_INFO table
  consume-stats  --group G [--topic T]    offsets and lag per queue
  topic-stats    --topic T                min/max offsets per queue

Name-server commands (--namesrv HOST:PORT):
  cluster-info                            clusters, brokers and their addresses
  route          --topic T                the topic's route
  topic-names                             all topic names

Options:
  --timeout-ms N      per-request deadline (default 10000)
  --access-key K      ACL access key (or env ROCKETMQ_ACCESS_KEY)
  --secret-key S      ACL secret key (or env ROCKETMQ_SECRET_KEY)
  --pretty            indent the JSON output
  --help              this text

Exit status: 0 success, 1 the operation failed (error JSON on stderr), 2 usage error.
)";
}

int RunAdminCli(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  absl::StatusOr<Args> args = ParseArgs(argv);
  if (!args.ok()) {
    err << "rocketmq-admin: " << args.status().message() << "\n" << AdminCliUsage();
    return kExitUsage;
  }
  if (args->Has("help") || args->command.empty() || args->command == "help") {
    (args->command.empty() && !args->Has("help") ? err : out) << AdminCliUsage();
    return args->command.empty() && !args->Has("help") ? kExitUsage : kExitOk;
  }
  auto it = Commands().find(args->command);
  if (it == Commands().end()) {
    err << "rocketmq-admin: unknown command '" << args->command << "'\n" << AdminCliUsage();
    return kExitUsage;
  }
  rocketmq::ClientOptions options;
  absl::StatusOr<int32_t> timeout = IntOption(*args, "timeout-ms", 10000);
  if (!timeout.ok() || *timeout <= 0) {
    err << "rocketmq-admin: --timeout-ms must be a positive integer\n";
    return kExitUsage;
  }
  options.request_timeout = std::chrono::milliseconds(*timeout);
  options.connect_timeout = std::min(options.request_timeout, std::chrono::milliseconds(3000));
  const char* env_ak = std::getenv("ROCKETMQ_ACCESS_KEY");
  const char* env_sk = std::getenv("ROCKETMQ_SECRET_KEY");
  options.credentials.access_key = args->Get("access-key", env_ak != nullptr ? env_ak : "");
  options.credentials.secret_key = args->Get("secret-key", env_sk != nullptr ? env_sk : "");

  asio::io_context io;
  rocketmq::RemotingClient client(io.get_executor(), options);
  AdminClient admin(client);
  const Command& command = it->second;
  absl::StatusOr<Json> result = net::BlockOn(io, command(admin, *args));
  client.Shutdown();
  io.restart();
  io.poll();
  if (!result.ok()) {
    PrintError(err, result.status());
    return result.status().code() == absl::StatusCode::kInvalidArgument &&
                   !rocketmq::RemotingResponseCode(result.status()).has_value()
               ? kExitUsage
               : kExitFailed;
  }
  out << (args->Has("pretty") ? result->dump(2, ' ', false, Json::error_handler_t::replace)
                              : rocketmq::DumpJson(*result))
      << "\n";
  return kExitOk;
}

}  // namespace rmq::agent
