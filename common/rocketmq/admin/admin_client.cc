#include "common/rocketmq/admin/admin_client.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/rocketmq/admin/properties.h"
#include "common/rocketmq/remoting/codes.h"
#include "common/rocketmq/remoting/fastjson.h"
#include "common/rocketmq/remoting/status.h"

namespace rmq::rocketmq {
namespace {

namespace rc = request_code;

std::string StripPrefix(const std::string& key) {
  if (!key.empty() && key[0] == '+') return key.substr(1);
  return key;
}

// The config as the broker will store it: attribute keys without '+'.
TopicConfig Normalized(TopicConfig t) {
  std::map<std::string, std::string> attrs;
  for (auto& [k, v] : t.attributes) attrs[StripPrefix(k)] = v;
  t.attributes = std::move(attrs);
  return t;
}

Json NormalizedGroupJson(const SubscriptionGroupConfig& g) {
  Json j = g.json;
  j["groupName"] = g.group_name;
  if (auto it = j.find("attributes"); it != j.end() && it->is_object()) {
    Json attrs = Json::object();
    for (const auto& [k, v] : it->items()) attrs[StripPrefix(k)] = v;
    *it = std::move(attrs);
  }
  return j;
}

// True if every field given in `want` has the same value in `have` (the broker fills defaults
// for fields the request leaves out, so only the given fields decide).
bool JsonSubsetEquals(const Json& want, const Json& have) {
  if (!want.is_object() || !have.is_object()) return want == have;
  for (const auto& [k, v] : want.items()) {
    auto it = have.find(k);
    if (it == have.end()) {
      if (v.is_null() || (v.is_object() && v.empty()) || (v.is_array() && v.empty())) continue;
      return false;
    }
    if (k == "attributes") {
      if (v != *it) return false;  // attributes must match exactly
      continue;
    }
    if (!JsonSubsetEquals(v, *it)) return false;
  }
  return true;
}

bool IsNotSupported(const absl::Status& s) {
  return RemotingResponseCode(s) == response_code::kRequestCodeNotSupported;
}

// Splits serialized items into request bodies of at most kMaxBatchBodyBytes.
template <typename Item>
std::vector<std::vector<Item>> Chunk(std::vector<Item> items, size_t (*size_of)(const Item&)) {
  std::vector<std::vector<Item>> chunks;
  size_t bytes = 0;
  for (auto& item : items) {
    size_t n = size_of(item) + 1;
    if (chunks.empty() || bytes + n > kMaxBatchBodyBytes) {
      chunks.emplace_back();
      bytes = 64;
    }
    bytes += n;
    chunks.back().push_back(std::move(item));
  }
  return chunks;
}

size_t TopicSize(const TopicConfig& t) { return DumpJson(TopicConfigToCreateJson(t)).size(); }
size_t GroupSize(const SubscriptionGroupConfig& g) {
  return DumpJson(SubscriptionGroupToCreateJson(g)).size();
}

}  // namespace

Json ToJson(const BatchResult& r) {
  Json failed = Json::array();
  for (const auto& [name, status] : r.failed) {
    failed.push_back(Json{{"name", name}, {"reason", std::string(status.message())}});
  }
  return Json{{"created", r.created},
              {"updated", r.updated},
              {"unchanged", r.unchanged},
              {"failed", std::move(failed)},
              {"batchSupported", r.batch_supported},
              {"requests", r.requests}};
}

asio::awaitable<absl::StatusOr<RemotingCommand>> AdminClient::Call(const std::string& addr,
                                                                   RemotingCommand request) {
  const int32_t code = request.code;
  absl::StatusOr<RemotingCommand> response =
      co_await client_.Invoke(addr, std::move(request), timeout_);
  if (!response.ok()) co_return response.status();
  RMQ_CO_RETURN_IF_ERROR(ResponseStatus(*response, code, addr));
  co_return response;
}

asio::awaitable<absl::StatusOr<Json>> AdminClient::CallJson(const std::string& addr,
                                                            RemotingCommand request) {
  const int32_t code = request.code;
  RMQ_CO_ASSIGN_OR_RETURN(RemotingCommand response, co_await Call(addr, std::move(request)));
  absl::StatusOr<Json> body = ParseFastJson(response.body);
  if (!body.ok()) {
    co_return absl::DataLossError(absl::StrCat("cannot parse ", RequestCodeName(code),
                                               " response from ", addr, ": ",
                                               body.status().message()));
  }
  co_return body;
}

// --- Topics ---

asio::awaitable<absl::StatusOr<TopicConfigTable>> AdminClient::GetAllTopicConfig(
    std::string broker) {
  RMQ_CO_ASSIGN_OR_RETURN(
      Json body, co_await CallJson(broker, RemotingCommand::Request(rc::kGetAllTopicConfig)));
  co_return TopicConfigTableFromJson(body);
}

asio::awaitable<absl::StatusOr<TopicConfig>> AdminClient::GetTopicConfig(std::string broker,
                                                                         std::string topic) {
  RemotingCommand req = RemotingCommand::Request(rc::kGetTopicConfig);
  req.ext_fields["topic"] = topic;
  absl::StatusOr<Json> body = co_await CallJson(broker, std::move(req));
  if (IsNotSupported(body.status())) {  // 4.9.x: no GET_TOPIC_CONFIG
    RMQ_CO_ASSIGN_OR_RETURN(TopicConfigTable table, co_await GetAllTopicConfig(broker));
    auto it = table.topics.find(topic);
    if (it == table.topics.end()) {
      co_return absl::NotFoundError(absl::StrCat("topic ", topic, " not found on ", broker));
    }
    co_return it->second;
  }
  if (!body.ok()) co_return body.status();
  // 5.x wraps it: {"topicConfig":{...},"mappingDetail":...} (TopicConfigAndQueueMapping).
  if (auto it = body->find("topicConfig"); it != body->end() && it->is_object()) {
    co_return TopicConfigFromJson(*it);
  }
  co_return TopicConfigFromJson(*body);
}

asio::awaitable<absl::Status> AdminClient::CreateTopic(std::string broker, TopicConfig topic) {
  RMQ_CO_RETURN_IF_ERROR(ValidateTopicName(topic.topic_name));
  RemotingCommand req = RemotingCommand::Request(rc::kUpdateAndCreateTopic);
  req.ext_fields["topic"] = topic.topic_name;
  req.ext_fields["defaultTopic"] = "TBW102";
  req.ext_fields["readQueueNums"] = absl::StrCat(topic.read_queue_nums);
  req.ext_fields["writeQueueNums"] = absl::StrCat(topic.write_queue_nums);
  req.ext_fields["perm"] = absl::StrCat(topic.perm);
  req.ext_fields["topicFilterType"] = topic.topic_filter_type;
  req.ext_fields["topicSysFlag"] = absl::StrCat(topic.topic_sys_flag);
  req.ext_fields["order"] = topic.order ? "true" : "false";
  if (!topic.attributes.empty()) {
    req.ext_fields["attributes"] = AttributesToCreateString(topic.attributes);
  }
  co_return (co_await Call(broker, std::move(req))).status();
}

asio::awaitable<absl::StatusOr<BatchResult>> AdminClient::CreateTopics(
    std::string broker, std::vector<TopicConfig> topics) {
  BatchResult result;
  // Validate and de-duplicate (the last config for a name wins).
  std::map<std::string, TopicConfig> wanted;
  for (auto& t : topics) {
    absl::Status s = ValidateTopicName(t.topic_name);
    for (const auto& [key, value] : t.attributes) {
      if (s.ok() && (key.empty() || key[0] == '-')) {
        s = absl::InvalidArgumentError(
            absl::StrCat("topic ", t.topic_name, ": attribute key '", key,
                         "' is not a key; give the full attribute set, absent keys are removed"));
      }
    }
    if (!s.ok()) {
      result.failed.emplace_back(t.topic_name, s);
      continue;
    }
    std::string name = t.topic_name;
    wanted[name] = Normalized(std::move(t));
  }
  if (wanted.empty()) co_return result;

  RMQ_CO_ASSIGN_OR_RETURN(TopicConfigTable before, co_await GetAllTopicConfig(broker));
  std::vector<TopicConfig> to_send;
  std::map<std::string, TopicConfig> requests;  // what is sent for each changed topic
  std::set<std::string> existed;
  for (auto& [name, t] : wanted) {
    auto it = before.topics.find(name);
    if (it != before.topics.end() && it->second == t) {
      ++result.unchanged;
      continue;
    }
    TopicConfig request = t;
    if (it != before.topics.end()) {
      existed.insert(name);
      // Upsert means "make it equal": attributes the broker has and the caller left out go.
      for (const auto& [key, value] : it->second.attributes) {
        if (t.attributes.count(key) == 0) request.attributes["-" + key] = "";
      }
    }
    requests[name] = request;
    to_send.push_back(std::move(request));
  }

  // Batches; any topic the batch path does not confirm goes through the single path below.
  std::vector<TopicConfig> singles;
  for (auto& chunk : Chunk<TopicConfig>(std::move(to_send), &TopicSize)) {
    if (!result.batch_supported) {
      for (auto& t : chunk) singles.push_back(std::move(t));
      continue;
    }
    Json list = Json::array();
    for (const auto& t : chunk) list.push_back(TopicConfigToCreateJson(t));
    RemotingCommand req = RemotingCommand::Request(rc::kUpdateAndCreateTopicList);
    req.body = DumpJson(Json{{"topicConfigList", std::move(list)}});
    ++result.requests;
    absl::Status s = (co_await Call(broker, std::move(req))).status();
    if (IsNotSupported(s)) result.batch_supported = false;
    // On success the read-back below finds skipped topics; on failure each is retried singly
    // so that every topic gets its own reason.
    if (!s.ok()) {
      for (auto& t : chunk) singles.push_back(std::move(t));
    }
  }
  if (result.requests > 0 && result.batch_supported) {
    RMQ_CO_ASSIGN_OR_RETURN(TopicConfigTable after, co_await GetAllTopicConfig(broker));
    std::set<std::string> queued;
    for (const auto& t : singles) queued.insert(t.topic_name);
    for (auto& [name, t] : wanted) {
      auto it = after.topics.find(name);
      bool landed = it != after.topics.end() && it->second == t;
      bool was_unchanged = before.topics.count(name) > 0 && before.topics.at(name) == t;
      if (!landed && !was_unchanged && queued.count(name) == 0) {
        singles.push_back(requests.at(name));
      }
    }
  }
  std::set<std::string> single_names;
  for (auto& t : singles) {
    single_names.insert(t.topic_name);
    ++result.requests;
    absl::Status s = co_await CreateTopic(broker, t);
    if (!s.ok()) result.failed.emplace_back(t.topic_name, s);
  }
  std::set<std::string> failed_names;
  for (const auto& [name, s] : result.failed) failed_names.insert(name);
  for (const auto& [name, t] : wanted) {
    if (failed_names.count(name) > 0) continue;
    bool was_unchanged = before.topics.count(name) > 0 && before.topics.at(name) == t;
    if (was_unchanged) continue;
    if (existed.count(name) > 0) {
      ++result.updated;
    } else {
      ++result.created;
    }
  }
  co_return result;
}

asio::awaitable<absl::Status> AdminClient::DeleteTopic(std::string broker, std::string topic) {
  RemotingCommand req = RemotingCommand::Request(rc::kDeleteTopicInBroker);
  req.ext_fields["topic"] = topic;
  co_return (co_await Call(broker, std::move(req))).status();
}

asio::awaitable<absl::Status> AdminClient::DeleteTopicInNameServer(std::string namesrv,
                                                                   std::string topic,
                                                                   std::string cluster) {
  RemotingCommand req = RemotingCommand::Request(rc::kDeleteTopicInNameServer);
  req.ext_fields["topic"] = topic;
  if (!cluster.empty()) req.ext_fields["clusterName"] = cluster;
  co_return (co_await Call(namesrv, std::move(req))).status();
}

// --- Subscription groups ---

asio::awaitable<absl::StatusOr<SubscriptionGroupTable>> AdminClient::GetAllSubscriptionGroups(
    std::string broker) {
  RMQ_CO_ASSIGN_OR_RETURN(
      Json body,
      co_await CallJson(broker, RemotingCommand::Request(rc::kGetAllSubscriptionGroupConfig)));
  co_return SubscriptionGroupTableFromJson(body);
}

asio::awaitable<absl::StatusOr<SubscriptionGroupConfig>> AdminClient::GetSubscriptionGroup(
    std::string broker, std::string group) {
  // Not GET_SUBSCRIPTIONGROUP_CONFIG (352): on a broker with autoCreateSubscriptionGroup=true
  // (the default) it creates the group it is asked about (SubscriptionGroupManager.
  // findSubscriptionGroupConfig, 5.3.3). Reading the whole table has no side effect.
  RMQ_CO_ASSIGN_OR_RETURN(SubscriptionGroupTable table, co_await GetAllSubscriptionGroups(broker));
  auto it = table.groups.find(group);
  if (it == table.groups.end()) {
    co_return absl::NotFoundError(
        absl::StrCat("subscription group ", group, " not found on ", broker));
  }
  co_return it->second;
}

asio::awaitable<absl::Status> AdminClient::CreateSubscriptionGroup(std::string broker,
                                                                   SubscriptionGroupConfig group) {
  RMQ_CO_RETURN_IF_ERROR(ValidateGroupName(group.group_name));
  RemotingCommand req = RemotingCommand::Request(rc::kUpdateAndCreateSubscriptionGroup);
  req.body = DumpJson(SubscriptionGroupToCreateJson(group));
  co_return (co_await Call(broker, std::move(req))).status();
}

asio::awaitable<absl::StatusOr<BatchResult>> AdminClient::CreateSubscriptionGroups(
    std::string broker, std::vector<SubscriptionGroupConfig> groups) {
  BatchResult result;
  std::map<std::string, SubscriptionGroupConfig> wanted;
  for (auto& g : groups) {
    if (absl::Status s = ValidateGroupName(g.group_name); !s.ok()) {
      result.failed.emplace_back(g.group_name, s);
      continue;
    }
    std::string name = g.group_name;
    g.json = NormalizedGroupJson(g);
    wanted[name] = std::move(g);
  }
  if (wanted.empty()) co_return result;

  RMQ_CO_ASSIGN_OR_RETURN(SubscriptionGroupTable before, co_await GetAllSubscriptionGroups(broker));
  auto matches = [](const SubscriptionGroupTable& table, const SubscriptionGroupConfig& g) {
    auto it = table.groups.find(g.group_name);
    return it != table.groups.end() && JsonSubsetEquals(g.json, it->second.json);
  };
  std::vector<SubscriptionGroupConfig> to_send;
  std::set<std::string> unchanged;
  for (auto& [name, g] : wanted) {
    if (matches(before, g)) {
      unchanged.insert(name);
      continue;
    }
    to_send.push_back(g);
  }
  result.unchanged = static_cast<int>(unchanged.size());

  std::vector<SubscriptionGroupConfig> singles;
  for (auto& chunk : Chunk<SubscriptionGroupConfig>(std::move(to_send), &GroupSize)) {
    if (!result.batch_supported) {
      for (auto& g : chunk) singles.push_back(std::move(g));
      continue;
    }
    Json list = Json::array();
    for (const auto& g : chunk) list.push_back(SubscriptionGroupToCreateJson(g));
    RemotingCommand req = RemotingCommand::Request(rc::kUpdateAndCreateSubscriptionGroupList);
    req.body = DumpJson(Json{{"groupConfigList", std::move(list)}});
    ++result.requests;
    absl::Status s = (co_await Call(broker, std::move(req))).status();
    if (IsNotSupported(s)) result.batch_supported = false;
    if (!s.ok()) {
      for (auto& g : chunk) singles.push_back(std::move(g));
    }
  }
  if (result.requests > 0 && result.batch_supported) {
    RMQ_CO_ASSIGN_OR_RETURN(SubscriptionGroupTable after,
                            co_await GetAllSubscriptionGroups(broker));
    std::set<std::string> queued;
    for (const auto& g : singles) queued.insert(g.group_name);
    for (auto& [name, g] : wanted) {
      if (unchanged.count(name) == 0 && queued.count(name) == 0 && !matches(after, g)) {
        singles.push_back(g);
      }
    }
  }
  for (auto& g : singles) {
    ++result.requests;
    absl::Status s = co_await CreateSubscriptionGroup(broker, g);
    if (!s.ok()) result.failed.emplace_back(g.group_name, s);
  }
  std::set<std::string> failed_names;
  for (const auto& [name, s] : result.failed) failed_names.insert(name);
  for (const auto& [name, g] : wanted) {
    if (failed_names.count(name) > 0 || unchanged.count(name) > 0) continue;
    if (before.groups.count(name) > 0) {
      ++result.updated;
    } else {
      ++result.created;
    }
  }
  co_return result;
}

asio::awaitable<absl::Status> AdminClient::DeleteSubscriptionGroup(std::string broker,
                                                                   std::string group,
                                                                   bool clean_offsets) {
  RemotingCommand req = RemotingCommand::Request(rc::kDeleteSubscriptionGroup);
  req.ext_fields["groupName"] = group;
  req.ext_fields["removeOffset"] = clean_offsets ? "true" : "false";  // 4.9.x name
  req.ext_fields["cleanOffset"] = clean_offsets ? "true" : "false";   // 5.x name
  co_return (co_await Call(broker, std::move(req))).status();
}

// --- Broker config and state ---

asio::awaitable<absl::StatusOr<BrokerConfig>> AdminClient::GetBrokerConfig(std::string broker) {
  RMQ_CO_ASSIGN_OR_RETURN(RemotingCommand resp,
                          co_await Call(broker, RemotingCommand::Request(rc::kGetBrokerConfig)));
  BrokerConfig config;
  config.properties = ParseProperties(resp.body);
  if (auto it = resp.ext_fields.find("version"); it != resp.ext_fields.end()) {
    config.data_version = it->second;
  }
  co_return config;
}

asio::awaitable<absl::Status> AdminClient::UpdateBrokerConfig(
    std::string broker, std::map<std::string, std::string> props) {
  if (props.empty()) co_return absl::InvalidArgumentError("no broker config keys to update");
  RemotingCommand req = RemotingCommand::Request(rc::kUpdateBrokerConfig);
  RMQ_CO_ASSIGN_OR_RETURN(req.body, EncodeProperties(props));
  co_return (co_await Call(broker, std::move(req))).status();
}

asio::awaitable<absl::StatusOr<std::map<std::string, std::string>>>
AdminClient::GetBrokerRuntimeInfo(std::string broker) {
  RMQ_CO_ASSIGN_OR_RETURN(
      Json body, co_await CallJson(broker, RemotingCommand::Request(rc::kGetBrokerRuntimeInfo)));
  co_return KvTableFromJson(body);
}

asio::awaitable<absl::StatusOr<ConsumeStats>> AdminClient::GetConsumeStats(std::string broker,
                                                                           std::string group,
                                                                           std::string topic) {
  RemotingCommand req = RemotingCommand::Request(rc::kGetConsumeStats);
  req.ext_fields["consumerGroup"] = group;
  if (!topic.empty()) req.ext_fields["topic"] = topic;
  RMQ_CO_ASSIGN_OR_RETURN(Json body, co_await CallJson(broker, std::move(req)));
  co_return ConsumeStatsFromJson(body);
}

asio::awaitable<absl::StatusOr<TopicStats>> AdminClient::GetTopicStats(std::string broker,
                                                                       std::string topic) {
  RemotingCommand req = RemotingCommand::Request(rc::kGetTopicStatsInfo);
  req.ext_fields["topic"] = topic;
  RMQ_CO_ASSIGN_OR_RETURN(Json body, co_await CallJson(broker, std::move(req)));
  co_return TopicStatsFromJson(body);
}

// --- Name server ---

asio::awaitable<absl::StatusOr<ClusterInfo>> AdminClient::GetBrokerClusterInfo(
    std::string namesrv) {
  RMQ_CO_ASSIGN_OR_RETURN(
      Json body, co_await CallJson(namesrv, RemotingCommand::Request(rc::kGetBrokerClusterInfo)));
  co_return ClusterInfoFromJson(body);
}

asio::awaitable<absl::StatusOr<TopicRouteData>> AdminClient::GetRouteInfoByTopic(
    std::string namesrv, std::string topic) {
  RemotingCommand req = RemotingCommand::Request(rc::kGetRouteInfoByTopic);
  req.ext_fields["topic"] = topic;
  req.ext_fields["acceptStandardJsonOnly"] = "true";
  RMQ_CO_ASSIGN_OR_RETURN(Json body, co_await CallJson(namesrv, std::move(req)));
  co_return TopicRouteDataFromJson(body);
}

asio::awaitable<absl::StatusOr<std::vector<std::string>>> AdminClient::GetAllTopicList(
    std::string namesrv) {
  RMQ_CO_ASSIGN_OR_RETURN(
      Json body,
      co_await CallJson(namesrv, RemotingCommand::Request(rc::kGetAllTopicListFromNameServer)));
  co_return TopicListFromJson(body);
}

}  // namespace rmq::rocketmq
