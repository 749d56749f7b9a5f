// crd.h: installing CustomResourceDefinitions and waiting until the API serves them.
//
// InstallCrds() server-side-applies each CRD (so a newer operator's CRD replaces the older one's
// fields it owns) and then waits, by watching each CRD, until its Established condition is True.
// A CRD whose names are refused (NamesAccepted=False, e.g. a plural another CRD already uses)
// fails at once with the server's message instead of timing out.
//
// Example:
//   absl::Status s = co_await InstallCrds(client, crds, "rocketmq-operator",
//   std::chrono::seconds(60));
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/k8s/client.h"

namespace rmq::k8s {

// The state of a CRD's conditions: OK when Established, FailedPrecondition when its names were
// not accepted (with the reason and message), Unavailable while still pending.
absl::Status CrdReadiness(const Json& crd);

// The same from a multi-document YAML stream (e.g. deploy/crds/*.yaml); InvalidArgument with the
// document, line and column for bad YAML.
boost::asio::awaitable<absl::Status> InstallCrdsFromYaml(Client& client, std::string yaml,
                                                         std::string field_manager,
                                                         std::chrono::milliseconds timeout);

boost::asio::awaitable<absl::Status> InstallCrds(Client& client, std::vector<Json> crds,
                                                 std::string field_manager,
                                                 std::chrono::milliseconds timeout);

}  // namespace rmq::k8s
