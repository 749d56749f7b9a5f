// names.h: names, labels and well-known paths of the objects the operator renders (pure).
//
// Compatible with the Apache operator where its names are visible to users: labels
// app=name_service,name_service_cr=<cr> and app=broker,broker_cr=<cr>; NameService StatefulSet
// <cr>; broker StatefulSets <cr>-<g>-master and <cr>-<g>-replica-<r>; brokerClusterName <cr>,
// brokerName <cr>-<g>, brokerId r. Added: app.kubernetes.io/* labels and per-instance labels,
// so each broker StatefulSet's selector is its own (the Apache operator's overlap).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace rmq::controller {

using Json = nlohmann::json;

inline constexpr char kFieldManager[] = "rocketmq-operator";
inline constexpr char kManagedBy[] = "rocketmq-operator";

// Label keys.
inline constexpr char kLabelApp[] = "app";
inline constexpr char kLabelNameServiceCr[] = "name_service_cr";
inline constexpr char kLabelBrokerCr[] = "broker_cr";
inline constexpr char kLabelK8sName[] = "app.kubernetes.io/name";
inline constexpr char kLabelK8sInstance[] = "app.kubernetes.io/instance";
inline constexpr char kLabelK8sComponent[] = "app.kubernetes.io/component";
inline constexpr char kLabelK8sManagedBy[] = "app.kubernetes.io/managed-by";
inline constexpr char kLabelBrokerGroup[] = "rocketmq.apache.org/broker-group";
inline constexpr char kLabelBrokerId[] = "rocketmq.apache.org/broker-id";

// Annotations.
inline constexpr char kAnnotationConfigHash[] = "rocketmq.apache.org/config-hash";

// Ports.
inline constexpr int kNameServerPort = 9876;
inline constexpr int kBrokerVipPort = 10909;
inline constexpr int kBrokerPort = 10911;
inline constexpr int kBrokerHaPort = 10912;
inline constexpr int kAgentGrpcPort = 9095;
inline constexpr int kAgentHttpPort = 9096;

// Paths inside the official apache/rocketmq image (user home /home/rocketmq).
inline constexpr char kRocketmqHome[] = "/home/rocketmq";
inline constexpr char kStoreDir[] = "/home/rocketmq/store";
inline constexpr char kLogsDir[] = "/home/rocketmq/logs";
inline constexpr char kNamesrvDir[] = "/home/rocketmq/namesrv";
inline constexpr char kBrokerConfigDir[] = "/etc/rocketmq/broker";
inline constexpr char kBrokerRunDir[] = "/home/rocketmq/run";

// NameService children.
std::string NameServiceStatefulSetName(const std::string& cr);  // <cr>
std::string NameServiceServiceName(const std::string& cr);      // <cr> (headless)
Json NameServiceSelector(const std::string& cr);                // app, name_service_cr
Json NameServiceLabels(const std::string& cr);                  // selector + app.kubernetes.io/*

// One broker instance: a StatefulSet of one pod.
struct BrokerInstance {
  int32_t group = 0;
  int32_t broker_id = 0;     // 0 = master
  std::string stateful_set;  // <cr>-<g>-master | <cr>-<g>-replica-<r>
  std::string pod;           // <stateful_set>-0
  std::string broker_name;   // <cr>-<g>
};
// Group-major order: <cr>-0-master, <cr>-0-replica-1, ..., <cr>-1-master, ...
std::vector<BrokerInstance> BrokerInstances(const std::string& cr, int32_t groups,
                                            int32_t replica_per_group);
std::string BrokerServiceName(const std::string& cr);         // <cr>-brokers (headless)
std::string BrokerConfigMapName(const std::string& cr);       // <cr>-broker-config
std::string NameServersConfigMapName(const std::string& cr);  // <cr>-nameservers
std::string BrokerPdbName(const std::string& cr);             // <cr>-brokers
Json BrokerClusterSelector(const std::string& cr);            // app, broker_cr: every pod of the CR
Json BrokerInstanceSelector(const std::string& cr, const BrokerInstance& instance);
Json BrokerInstanceLabels(const std::string& cr, const BrokerInstance& instance);

// "<key>=<value>,..." of a selector's matchLabels, for list calls and the scale subresource.
std::string SelectorString(const Json& match_labels);

// 64-bit FNV-1a of `data` as 16 hex digits: stable across processes and versions (for the
// config-hash annotation; not for security).
std::string StableHash(std::string_view data);

}  // namespace rmq::controller
