// admin_client.h: typed RocketMQ administration over the remoting protocol, no JVM.
//
// Broker operations take the broker's "ip:port" (its listenPort); name-server operations take a
// name server's "ip:port". Every call has the client's deadline; failures are absl::Status with
// the request, peer and the broker's remark in the message (status.h maps the codes).
//
// Broker quirks handled here (rocketmq-protocol.md §2.3):
//  - Batch topic creation (UPDATE_AND_CREATE_TOPIC_LIST, 5.3.0+) returns SUCCESS and silently
//    skips the rest of a batch once one topic in it equals the stored config. CreateTopics() sends
//    only topics that differ from the broker's current table, then reads the table back and
//    re-sends any topic that did not land, one by one. Brokers without the batch code
//    (REQUEST_CODE_NOT_SUPPORTED) get one UPDATE_AND_CREATE_TOPIC per topic.
//  - Batch group creation (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST, 5.3.1+): same fallback and
//    the same read-back check.
//  - 5.x requires '+' on attribute keys in create requests; stored attributes have none. Configs
//    read from a broker can be passed back unchanged: the prefix is added on the way out.
//  - GET_SUBSCRIPTIONGROUP_CONFIG creates the group it is asked about when the broker has
//    autoCreateSubscriptionGroup=true (the default), so GetSubscriptionGroup() reads the whole
//    table instead: reads never change the broker.
//  - DELETE_SUBSCRIPTIONGROUP's offset flag is `removeOffset` in 4.9.x and `cleanOffset` in 5.x:
//    both are sent.
//
// Threading: like the RemotingClient it wraps (same executor); holds no other state.
//
// Example:
//   AdminClient admin(remoting);
//   absl::StatusOr<BatchResult> r = co_await admin.CreateTopics(broker, topics);
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/net/asio.h"
#include "common/rocketmq/admin/types.h"
#include "common/rocketmq/remoting/client.h"

namespace rmq::rocketmq {

// Outcome of an idempotent batch upsert.
struct BatchResult {
  int created = 0;                                           // did not exist before
  int updated = 0;                                           // existed with a different config
  int unchanged = 0;                                         // already equal; nothing sent
  std::vector<std::pair<std::string, absl::Status>> failed;  // name -> reason
  bool batch_supported = true;  // false if the broker lacks the batch request code
  int requests = 0;             // write requests sent to the broker

  bool ok() const { return failed.empty(); }
};

Json ToJson(const BatchResult& r);

class AdminClient {
 public:
  explicit AdminClient(RemotingClient& client,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(0))
      : client_(client), timeout_(timeout) {}

  // --- Topics (broker) ---
  asio::awaitable<absl::StatusOr<TopicConfigTable>> GetAllTopicConfig(std::string broker);
  asio::awaitable<absl::StatusOr<TopicConfig>> GetTopicConfig(std::string broker,
                                                              std::string topic);
  asio::awaitable<absl::Status> CreateTopic(std::string broker, TopicConfig topic);
  asio::awaitable<absl::StatusOr<BatchResult>> CreateTopics(std::string broker,
                                                            std::vector<TopicConfig> topics);
  // Deletes the topic on this broker (not its route on the name servers: see below).
  asio::awaitable<absl::Status> DeleteTopic(std::string broker, std::string topic);
  // Removes the topic's route from one name server (cluster optional, 5.x).
  asio::awaitable<absl::Status> DeleteTopicInNameServer(std::string namesrv, std::string topic,
                                                        std::string cluster = "");

  // --- Subscription groups (broker) ---
  asio::awaitable<absl::StatusOr<SubscriptionGroupTable>> GetAllSubscriptionGroups(
      std::string broker);
  asio::awaitable<absl::StatusOr<SubscriptionGroupConfig>> GetSubscriptionGroup(std::string broker,
                                                                                std::string group);
  asio::awaitable<absl::Status> CreateSubscriptionGroup(std::string broker,
                                                        SubscriptionGroupConfig group);
  asio::awaitable<absl::StatusOr<BatchResult>> CreateSubscriptionGroups(
      std::string broker, std::vector<SubscriptionGroupConfig> groups);
  asio::awaitable<absl::Status> DeleteSubscriptionGroup(std::string broker, std::string group,
                                                        bool clean_offsets);

  // --- Broker config and state ---
  asio::awaitable<absl::StatusOr<BrokerConfig>> GetBrokerConfig(std::string broker);
  // Note: the broker ignores unknown keys without error; read back to confirm.
  asio::awaitable<absl::Status> UpdateBrokerConfig(std::string broker,
                                                   std::map<std::string, std::string> props);
  asio::awaitable<absl::StatusOr<std::map<std::string, std::string>>> GetBrokerRuntimeInfo(
      std::string broker);
  asio::awaitable<absl::StatusOr<ConsumeStats>> GetConsumeStats(std::string broker,
                                                                std::string group,
                                                                std::string topic = "");
  asio::awaitable<absl::StatusOr<TopicStats>> GetTopicStats(std::string broker, std::string topic);
  // Replication state (GET_BROKER_HA_STATUS, 5.x; Unimplemented on older brokers).
  asio::awaitable<absl::StatusOr<HaRuntimeInfo>> GetBrokerHaStatus(std::string broker);

  // --- Messages and offsets (for probes, drain checks, offset import and tests; not a producer
  // or consumer: no routing, no retries) ---
  // Sends one message to one queue of this broker (SEND_MESSAGE). A broker whose write permission
  // is off refuses order topics directly; for other topics producers avoid it via the routes.
  asio::awaitable<absl::StatusOr<SendResult>> SendMessage(std::string broker, std::string topic,
                                                          int32_t queue_id, std::string body,
                                                          std::string tags = "");
  // The broker's whole consumer offset table (GET_ALL_CONSUMER_OFFSET).
  asio::awaitable<absl::StatusOr<std::vector<ConsumerOffsets>>> GetAllConsumerOffsets(
      std::string broker);
  // Commits a consumer offset for one queue (UPDATE_CONSUMER_OFFSET).
  asio::awaitable<absl::Status> UpdateConsumerOffset(std::string broker, std::string group,
                                                     std::string topic, int32_t queue_id,
                                                     int64_t offset);

  // --- Name server ---
  asio::awaitable<absl::StatusOr<ClusterInfo>> GetBrokerClusterInfo(std::string namesrv);
  asio::awaitable<absl::StatusOr<TopicRouteData>> GetRouteInfoByTopic(std::string namesrv,
                                                                      std::string topic);
  asio::awaitable<absl::StatusOr<std::vector<std::string>>> GetAllTopicList(std::string namesrv);

 private:
  // Sends the request; OK only for a SUCCESS response.
  asio::awaitable<absl::StatusOr<RemotingCommand>> Call(const std::string& addr,
                                                        RemotingCommand request);
  // The shared batch-upsert algorithm (admin_client.cc); Traits adapt it to topics or groups.
  template <typename Traits>
  asio::awaitable<absl::StatusOr<BatchResult>> Upsert(
      std::string broker, std::map<std::string, typename Traits::Item> wanted, BatchResult result);
  // As Call, then parses the body with the tolerant JSON reader.
  asio::awaitable<absl::StatusOr<Json>> CallJson(const std::string& addr, RemotingCommand request);

  RemotingClient& client_;
  std::chrono::milliseconds timeout_;
};

// Max bytes of one batch request body; well under the 16 MiB frame limit.
inline constexpr size_t kMaxBatchBodyBytes = size_t{4} * 1024 * 1024;

}  // namespace rmq::rocketmq
