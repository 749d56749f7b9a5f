// broker_reader.h: one metrics refresh: reads what BuildBrokerMetrics() needs from the broker.
//
// Requests, in order: GET_BROKER_CONFIG (stops here if the broker does not answer),
// GET_BROKER_RUNTIME_INFO, GET_ALL_TOPIC_CONFIG, GET_TOPIC_STATS_INFO for each topic of
// TopicsToRead() (masters only; 16 requests in flight), GET_ALL_CONSUMER_OFFSET. Failures are
// recorded in the snapshot (statuses, `failed_reads`), never thrown; a refresh always completes.
//
// Threading: a coroutine on the AdminClient's executor.
//
// Example:
//   BrokerSnapshot snap = co_await ReadBrokerSnapshot(admin, "127.0.0.1:10911", ++refreshes);
#pragma once

#include <cstdint>
#include <string>

#include "agent/metrics/broker_metrics.h"
#include "common/net/asio.h"
#include "common/rocketmq/admin/admin_client.h"

namespace rmq::agent {

boost::asio::awaitable<BrokerSnapshot> ReadBrokerSnapshot(rocketmq::AdminClient& admin,
                                                          std::string broker,
                                                          uint64_t refresh_count);

}  // namespace rmq::agent
