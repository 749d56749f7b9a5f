#include "controller/operations/name_server_change.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace rmq::controller {

std::set<std::string> NameServerSet(const std::string& list) {
  std::set<std::string> out;
  for (absl::string_view entry : absl::StrSplit(list, ';', absl::SkipWhitespace())) {
    out.insert(std::string(absl::StripAsciiWhitespace(entry)));
  }
  return out;
}

bool SameNameServers(const std::string& a, const std::string& b) {
  return NameServerSet(a) == NameServerSet(b);
}

NameServerDecision DecideNameServerChange(
    const std::string& desired, const NameServerChangeState& state,
    const std::vector<BrokerNameServerView>& brokers,
    const std::vector<std::string>& name_servers_not_serving) {
  NameServerDecision d;
  d.next = state;
  if (state.published.empty()) {
    d.action = NameServerAction::kPublish;
    d.list = desired;
    d.next = {.published = desired, .target = ""};
    d.message = "first name-server list published";
    return d;
  }
  const bool change = !SameNameServers(desired, state.published);
  const std::string target = change ? desired : state.published;
  d.list = target;
  d.next.target = change ? desired : "";
  const std::set<std::string> want = NameServerSet(target);
  if (change && !name_servers_not_serving.empty()) {
    d.action = NameServerAction::kWait;
    d.waiting_for_name_servers = true;
    d.message = absl::StrCat("waiting for name server pod(s) ",
                             absl::StrJoin(name_servers_not_serving, ", "),
                             " before giving the brokers ", target);
    return d;
  }

  std::vector<std::string> unreachable;
  std::vector<std::string> stale;
  std::vector<std::string> unregistered;
  std::string missing_example;
  for (const BrokerNameServerView& b : brokers) {
    if (!b.reachable) {
      unreachable.push_back(b.pod);
      continue;
    }
    if (NameServerSet(b.configured) != want) {
      stale.push_back(b.pod);
      continue;
    }
    for (const std::string& ns : want) {
      auto it = b.registered.find(ns);
      if (it == b.registered.end() || !it->second) {
        unregistered.push_back(b.pod);
        if (missing_example.empty()) missing_example = absl::StrCat(b.pod, " on ", ns);
        break;
      }
    }
  }
  if (!stale.empty()) {
    d.action = NameServerAction::kUpdateBrokers;
    d.brokers = stale;
    d.message = absl::StrCat("giving ", stale.size(), " broker(s) the name servers ", target);
    return d;
  }
  if (!change) {
    // Published list = desired; brokers that cannot be checked keep it from the ConfigMap.
    d.action = NameServerAction::kNothing;
    d.message = absl::StrCat("brokers run with the published name servers ", target);
    return d;
  }
  if (!unreachable.empty() || !unregistered.empty()) {
    d.action = NameServerAction::kWait;
    d.brokers = unreachable;
    d.brokers.insert(d.brokers.end(), unregistered.begin(), unregistered.end());
    d.message = !unreachable.empty()
                    ? absl::StrCat("waiting for the agents of ", absl::StrJoin(unreachable, ", "))
                    : absl::StrCat("waiting for registrations (", missing_example, ")");
    return d;
  }
  d.action = NameServerAction::kPublish;
  d.next = {.published = target, .target = ""};
  d.message = absl::StrCat("every broker is registered on ", target, ": published");
  return d;
}

}  // namespace rmq::controller
