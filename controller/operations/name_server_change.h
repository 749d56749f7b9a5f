// name_server_change.h: a Broker's name-server change as a small state machine (pure).
//
// Clients learn the name servers from what the operator publishes (the Broker's
// status.nameServers and the <cr>-nameservers ConfigMap). A new list (a NameService scaled, a
// spec.nameServers edit) is published only once every broker of the cluster runs with it and is
// registered on each of its name servers, so no client is ever sent to a name server that lacks
// routes. Brokers get the new list through their agents (UpdateNameServers), without a restart.
//
// The persisted part (NameServerChangeState) lives in the Broker's status, so a restarted
// operator resumes where the last one stopped; every step is safe to repeat (UpdateNameServers
// with the list a broker already has changes nothing).
//
// Lists are compared as sets of "host:port" entries: order, blanks, duplicates and a trailing ';'
// (the Apache operator's format) do not matter.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace rmq::controller {

// "a:1; b:2;a:1;" -> {"a:1", "b:2"}.
std::set<std::string> NameServerSet(const std::string& list);
bool SameNameServers(const std::string& a, const std::string& b);

// What the operator saw of one broker (its agent's GetBrokerState).
struct BrokerNameServerView {
  std::string pod;
  bool reachable = false;                  // the agent answered
  std::string configured;                  // the broker's namesrvAddr
  std::map<std::string, bool> registered;  // per name server of `configured`: has the broker
};

// Persisted in the Broker's status (nameServerChange).
struct NameServerChangeState {
  std::string published;  // what clients see
  std::string target;     // being propagated; "" when none
};

enum class NameServerAction {
  kNothing,        // published == desired and every broker runs with it
  kUpdateBrokers,  // call UpdateNameServers(target) on `brokers`
  kWait,           // name servers or brokers are catching up (not serving, unreachable,
                   // registering): look again later
  kPublish,        // every broker runs with `list` and is registered everywhere: publish it
};

struct NameServerDecision {
  NameServerAction action = NameServerAction::kNothing;
  std::string list;                       // the target (or, for kPublish, the list to publish)
  std::vector<std::string> brokers;       // kUpdateBrokers: pods to update; kWait: pods waited for
  std::string message;                    // for the NameServersPropagated condition and Events
  bool waiting_for_name_servers = false;  // kWait: for name-server pods, not for brokers
  NameServerChangeState next;             // the state to persist
};

// `desired`: the list the spec asks for now; `brokers`: every broker pod of the cluster;
// `name_servers_not_serving`: pods behind `desired` that do not answer as their name yet (not
// created, terminating, not ready; see NameServerPodsNotServing). A change waits for them before
// any broker is given the list: a pod still terminating from a scale-in answers under the name
// with its old registrations, and the agents would take those for the broker's.
// With no published list yet (a new cluster), the desired list is published at once: the brokers
// start with it (the ConfigMap) and nothing was published before.
NameServerDecision DecideNameServerChange(const std::string& desired,
                                          const NameServerChangeState& state,
                                          const std::vector<BrokerNameServerView>& brokers,
                                          const std::vector<std::string>& name_servers_not_serving);

}  // namespace rmq::controller
