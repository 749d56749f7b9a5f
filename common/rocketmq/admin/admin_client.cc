#include "common/rocketmq/admin/admin_client.h"

#include <set>

#include "absl/strings/numbers.h"
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

// --- Idempotent batch upsert, shared by topics and subscription groups ---
//
// 1. Read the broker's table; items already matching are `unchanged` and not sent.
// 2. Send the rest in batch requests of at most kMaxBatchBodyBytes. A broker without the batch
//    code (REQUEST_CODE_NOT_SUPPORTED) gets single requests from then on; a failed batch has each
//    of its items re-sent singly so every item gets its own result.
// 3. After a successful batch, read the table back and re-send singly whatever did not land
//    (the 5.3.x topic batch skips the whole batch when one item is unchanged; a batch that throws
//    half-way leaves the rest unapplied).
// 4. Count created/updated from the first read; single-request errors are per-item failures.

struct TopicUpsert {
  using Item = TopicConfig;
  static constexpr int32_t kBatchCode = rc::kUpdateAndCreateTopicList;
  static constexpr const char* kListField = "topicConfigList";

  static const std::string& Name(const Item& t) { return t.topic_name; }
  static bool Matches(const Item& want, const Item& have) { return want == have; }
  // Upsert means "make it equal": attributes the broker has and `want` lacks are deleted.
  static Item Request(const Item& want, const Item* have) {
    Item request = want;
    if (have != nullptr) {
      for (const auto& [key, value] : have->attributes) {
        if (want.attributes.count(key) == 0) request.attributes["-" + key] = "";
      }
    }
    return request;
  }
  static Json CreateJson(const Item& t) { return TopicConfigToCreateJson(t); }
  static size_t Size(const Item& t) { return DumpJson(CreateJson(t)).size(); }
  static asio::awaitable<absl::StatusOr<std::map<std::string, Item>>> ReadAll(AdminClient& admin,
                                                                              std::string broker) {
    RMQ_CO_ASSIGN_OR_RETURN(TopicConfigTable table, co_await admin.GetAllTopicConfig(broker));
    co_return std::move(table.topics);
  }
  static asio::awaitable<absl::Status> CreateOne(AdminClient& admin, std::string broker,
                                                 Item item) {
    return admin.CreateTopic(std::move(broker), std::move(item));
  }
};

struct GroupUpsert {
  using Item = SubscriptionGroupConfig;
  static constexpr int32_t kBatchCode = rc::kUpdateAndCreateSubscriptionGroupList;
  static constexpr const char* kListField = "groupConfigList";

  static const std::string& Name(const Item& g) { return g.group_name; }
  // The broker fills defaults for fields a request leaves out: only the given fields decide.
  static bool Matches(const Item& want, const Item& have) {
    return SubscriptionGroupMatches(want, have);
  }
  static Item Request(const Item& want, const Item* /*have*/) { return want; }
  static Json CreateJson(const Item& g) { return SubscriptionGroupToCreateJson(g); }
  static size_t Size(const Item& g) { return DumpJson(CreateJson(g)).size(); }
  static asio::awaitable<absl::StatusOr<std::map<std::string, Item>>> ReadAll(AdminClient& admin,
                                                                              std::string broker) {
    RMQ_CO_ASSIGN_OR_RETURN(SubscriptionGroupTable table,
                            co_await admin.GetAllSubscriptionGroups(broker));
    co_return std::move(table.groups);
  }
  static asio::awaitable<absl::Status> CreateOne(AdminClient& admin, std::string broker,
                                                 Item item) {
    return admin.CreateSubscriptionGroup(std::move(broker), std::move(item));
  }
};

template <typename Traits>
asio::awaitable<absl::StatusOr<BatchResult>> AdminClient::Upsert(
    std::string broker, std::map<std::string, typename Traits::Item> wanted, BatchResult result) {
  using Item = typename Traits::Item;
  using Table = std::map<std::string, Item>;
  if (wanted.empty()) co_return result;
  auto matches = [](const Table& table, const std::string& name, const Item& want) {
    auto it = table.find(name);
    return it != table.end() && Traits::Matches(want, it->second);
  };

  RMQ_CO_ASSIGN_OR_RETURN(Table before, co_await Traits::ReadAll(*this, broker));
  std::map<std::string, Item> requests;  // what is sent for each changed item
  std::vector<Item> to_send;
  for (const auto& [name, want] : wanted) {
    if (matches(before, name, want)) {
      ++result.unchanged;
      continue;
    }
    auto it = before.find(name);
    Item request = Traits::Request(want, it == before.end() ? nullptr : &it->second);
    requests.emplace(name, request);
    to_send.push_back(std::move(request));
  }

  std::vector<Item> singles;
  for (auto& chunk : Chunk<Item>(std::move(to_send), &Traits::Size)) {
    if (!result.batch_supported) {
      for (auto& item : chunk) singles.push_back(std::move(item));
      continue;
    }
    Json list = Json::array();
    for (const auto& item : chunk) list.push_back(Traits::CreateJson(item));
    RemotingCommand req = RemotingCommand::Request(Traits::kBatchCode);
    req.body = DumpJson(Json{{Traits::kListField, std::move(list)}});
    ++result.requests;
    absl::StatusOr<RemotingCommand> sent = co_await this->Call(broker, std::move(req));
    const absl::Status& s = sent.status();
    if (IsNotSupported(s)) result.batch_supported = false;
    if (!s.ok()) {
      for (auto& item : chunk) singles.push_back(std::move(item));
    }
  }
  if (result.requests > 0 && result.batch_supported) {
    RMQ_CO_ASSIGN_OR_RETURN(Table after, co_await Traits::ReadAll(*this, broker));
    std::set<std::string> queued;
    for (const auto& item : singles) queued.insert(Traits::Name(item));
    for (const auto& [name, want] : wanted) {
      if (!matches(before, name, want) && queued.count(name) == 0 && !matches(after, name, want)) {
        singles.push_back(requests.at(name));
      }
    }
  }
  for (const Item& item : singles) {
    ++result.requests;
    absl::Status s = co_await Traits::CreateOne(*this, broker, item);
    if (!s.ok()) result.failed.emplace_back(Traits::Name(item), s);
  }

  std::set<std::string> failed;
  for (const auto& [name, s] : result.failed) failed.insert(name);
  for (const auto& [name, want] : wanted) {
    if (failed.count(name) > 0 || matches(before, name, want)) continue;
    if (before.count(name) > 0) {
      ++result.updated;
    } else {
      ++result.created;
    }
  }
  co_return result;
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
  co_return co_await Upsert<TopicUpsert>(std::move(broker), std::move(wanted), std::move(result));
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
  co_return co_await Upsert<GroupUpsert>(std::move(broker), std::move(wanted), std::move(result));
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
  // A broker's StoreStatsService samples its put/get counters once a second into LinkedLists; in
  // the first second after start they are empty and GET_BROKER_RUNTIME_INFO fails with
  // SYSTEM_ERROR java.util.NoSuchElementException (LinkedList.getLast). Ask again, for up to 3 s.
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<Json> body =
        co_await CallJson(broker, RemotingCommand::Request(rc::kGetBrokerRuntimeInfo));
    if (body.ok()) co_return KvTableFromJson(*body);
    if (attempt >= 30 ||
        body.status().message().find("NoSuchElementException") == std::string_view::npos) {
      co_return body.status();
    }
    timer.expires_after(std::chrono::milliseconds(100));
    co_await timer.async_wait(asio::use_awaitable);
  }
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

// --- Messages and offsets ---

asio::awaitable<absl::StatusOr<SendResult>> AdminClient::SendMessage(
    std::string broker, std::string topic, int32_t queue_id, std::string body, std::string tags) {
  RMQ_CO_RETURN_IF_ERROR(ValidateTopicName(topic));
  // MessageDecoder.messageProperties2String: name 0x01 value 0x02 ...
  std::string properties = "WAIT\x01true\x02";
  if (!tags.empty()) absl::StrAppend(&properties, "TAGS\x01", tags, "\x02");
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  RemotingCommand req = RemotingCommand::Request(rc::kSendMessage);
  req.ext_fields = {{"producerGroup", "rocketmq-agent"},
                    {"topic", topic},
                    {"defaultTopic", "TBW102"},
                    {"defaultTopicQueueNums", "4"},
                    {"queueId", absl::StrCat(queue_id)},
                    {"sysFlag", "0"},
                    {"bornTimestamp", absl::StrCat(now_ms)},
                    {"flag", "0"},
                    {"properties", properties},
                    {"reconsumeTimes", "0"},
                    {"unitMode", "false"},
                    {"batch", "false"}};
  req.body = std::move(body);
  RMQ_CO_ASSIGN_OR_RETURN(RemotingCommand resp, co_await Call(broker, std::move(req)));
  SendResult result;
  result.msg_id = resp.ext_fields["msgId"];
  if (!absl::SimpleAtoi(resp.ext_fields["queueId"], &result.queue_id) ||
      !absl::SimpleAtoi(resp.ext_fields["queueOffset"], &result.queue_offset)) {
    co_return absl::DataLossError(
        absl::StrCat("SEND_MESSAGE response from ", broker, " lacks queueId/queueOffset"));
  }
  co_return result;
}

asio::awaitable<absl::StatusOr<std::vector<ConsumerOffsets>>> AdminClient::GetAllConsumerOffsets(
    std::string broker) {
  RMQ_CO_ASSIGN_OR_RETURN(
      Json body, co_await CallJson(broker, RemotingCommand::Request(rc::kGetAllConsumerOffset)));
  co_return ConsumerOffsetsFromJson(body);
}

asio::awaitable<absl::StatusOr<HaRuntimeInfo>> AdminClient::GetBrokerHaStatus(std::string broker) {
  RMQ_CO_ASSIGN_OR_RETURN(
      Json body, co_await CallJson(broker, RemotingCommand::Request(rc::kGetBrokerHaStatus)));
  co_return HaRuntimeInfoFromJson(body);
}

asio::awaitable<absl::Status> AdminClient::UpdateConsumerOffset(std::string broker,
                                                                std::string group,
                                                                std::string topic, int32_t queue_id,
                                                                int64_t offset) {
  RemotingCommand req = RemotingCommand::Request(rc::kUpdateConsumerOffset);
  req.ext_fields = {{"consumerGroup", group},
                    {"topic", topic},
                    {"queueId", absl::StrCat(queue_id)},
                    {"commitOffset", absl::StrCat(offset)}};
  co_return (co_await Call(broker, std::move(req))).status();
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
