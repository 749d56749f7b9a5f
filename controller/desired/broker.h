// broker.h: the children of a Broker (pure, golden-tested).
//
//   ConfigMap <cr>-broker-config   broker.conf: the settings common to the cluster (rendered
//                                  from the spec, merged with the user's broker-common.conf)
//   ConfigMap <cr>-nameservers     NAMESRV_ADDR: the name-server list the brokers start with
//                                  (read at container start through configMapKeyRef, so a new
//                                  list does not roll the pods: the agents update running brokers)
//   Service <cr>-brokers           headless, every broker pod of the CR
//   StatefulSet per instance       <cr>-<g>-master, <cr>-<g>-replica-<r>, one pod each: the broker
//                                  container and the rocketmq-agent sidecar
//   PodDisruptionBudget <cr>-brokers  maxUnavailable 1 over the CR's broker pods
//
// The broker container (official apache/rocketmq image) copies broker.conf, appends its identity
// (brokerName, brokerId, brokerIP1 = pod IP, namesrvAddr, brokerRole=SLAVE for brokerId > 0) and
// execs $ROCKETMQ_HOME/bin/mqbroker. Env keeps the Apache operator's names (NAMESRV_ADDR,
// BROKER_ID, BROKER_CLUSTER_NAME, BROKER_NAME, POD_IP; BROKER_MEM from spec.env goes into
// JAVA_OPT_EXT, which the image's runbroker.sh appends last). The pod template carries a hash of
// broker.conf, so a configuration change rolls the pods.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controller/api/spec.h"
#include "controller/desired/name_service.h"
#include "controller/desired/names.h"
#include "controller/desired/sidecar.h"

namespace rmq::controller {

inline constexpr char kBrokerConfKey[] = "broker.conf";
inline constexpr char kUserConfKey[] = "broker-common.conf";
inline constexpr char kNameServersKey[] = "NAMESRV_ADDR";

// Keys the operator sets; a user's value for one of them is dropped (and reported).
bool IsOperatorOwnedBrokerKey(std::string_view key);

struct RenderedBrokerConf {
  std::string text;
  std::vector<std::string> ignored_keys;  // operator-owned keys found in the user's file
};
// `user_conf`: the text of the user's broker-common.conf ("" when none), Java properties format.
RenderedBrokerConf RenderBrokerConf(const BrokerSpec& spec, std::string_view user_conf);

// The ConfigMap holding the user's broker-common.conf: the first spec.volumes entry whose
// configMap carries that key (by items, or a configMap without items: assumed to have it).
std::optional<std::string> UserConfigMapName(const BrokerSpec& spec);

struct BrokerInputs {
  std::string user_conf;     // see RenderBrokerConf
  std::string name_servers;  // resolved list, "host:port;host:port" (must not be empty)
};

struct BrokerChildren {
  Json config_map;
  Json name_servers_config_map;
  Json service;
  std::vector<Json> stateful_sets;  // BrokerInstances() order
  Json pdb;
  RenderedBrokerConf conf;

  std::vector<Json> All() const;  // apply order: config maps, service, stateful sets, pdb
};

absl::StatusOr<BrokerChildren> BuildBrokerChildren(const Json& cr, const BrokerSpec& spec,
                                                   const BrokerInputs& inputs,
                                                   const AgentSidecarOptions& agent);

}  // namespace rmq::controller
