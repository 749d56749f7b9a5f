#include "controller/desired/names.h"

#include <cinttypes>
#include <cstdio>

#include "absl/strings/str_cat.h"

namespace rmq::controller {

std::string NameServiceStatefulSetName(const std::string& cr) { return cr; }
std::string NameServiceServiceName(const std::string& cr) { return cr; }

Json NameServiceSelector(const std::string& cr) {
  return {{kLabelApp, "name_service"}, {kLabelNameServiceCr, cr}};
}

Json NameServiceLabels(const std::string& cr) {
  Json labels = NameServiceSelector(cr);
  labels[kLabelK8sName] = "rocketmq";
  labels[kLabelK8sInstance] = cr;
  labels[kLabelK8sComponent] = "name-service";
  labels[kLabelK8sManagedBy] = kManagedBy;
  return labels;
}

std::vector<BrokerInstance> BrokerInstances(const std::string& cr, int32_t groups,
                                            int32_t replica_per_group) {
  std::vector<BrokerInstance> out;
  for (int32_t g = 0; g < groups; ++g) {
    for (int32_t r = 0; r <= replica_per_group; ++r) {
      BrokerInstance i;
      i.group = g;
      i.broker_id = r;
      i.stateful_set =
          r == 0 ? absl::StrCat(cr, "-", g, "-master") : absl::StrCat(cr, "-", g, "-replica-", r);
      i.pod = i.stateful_set + "-0";
      i.broker_name = absl::StrCat(cr, "-", g);
      out.push_back(std::move(i));
    }
  }
  return out;
}

std::string BrokerServiceName(const std::string& cr) { return cr + "-brokers"; }
std::string BrokerConfigMapName(const std::string& cr) { return cr + "-broker-config"; }
std::string NameServersConfigMapName(const std::string& cr) { return cr + "-nameservers"; }
std::string BrokerPdbName(const std::string& cr) { return cr + "-brokers"; }

Json BrokerClusterSelector(const std::string& cr) {
  return {{kLabelApp, "broker"}, {kLabelBrokerCr, cr}};
}

Json BrokerInstanceSelector(const std::string& cr, const BrokerInstance& instance) {
  Json s = BrokerClusterSelector(cr);
  s[kLabelBrokerGroup] = std::to_string(instance.group);
  s[kLabelBrokerId] = std::to_string(instance.broker_id);
  return s;
}

Json BrokerInstanceLabels(const std::string& cr, const BrokerInstance& instance) {
  Json labels = BrokerInstanceSelector(cr, instance);
  labels[kLabelK8sName] = "rocketmq";
  labels[kLabelK8sInstance] = cr;
  labels[kLabelK8sComponent] = "broker";
  labels[kLabelK8sManagedBy] = kManagedBy;
  return labels;
}

std::string SelectorString(const Json& match_labels) {
  std::string out;
  for (const auto& [k, v] : match_labels.items()) {
    if (!out.empty()) out += ",";
    absl::StrAppend(&out, k, "=", v.is_string() ? v.get<std::string>() : v.dump());
  }
  return out;
}

std::string StableHash(std::string_view data) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64, h);
  return buf;
}

}  // namespace rmq::controller
