// crd_plane.h: a local control plane with deploy/crds/ installed and Established, for the
// operator's integration tests.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tests/support/local_control_plane.h"

namespace rmq::controller {

inline absl::StatusOr<std::unique_ptr<rmq::testing::LocalControlPlane>> StartPlaneWithCrds(
    rmq::testing::LocalControlPlaneOptions options) {
  absl::StatusOr<std::unique_ptr<rmq::testing::LocalControlPlane>> plane =
      rmq::testing::LocalControlPlane::Start(std::move(options));
  if (!plane.ok()) return plane.status();
  absl::StatusOr<std::string> out = (*plane)->Kubectl(
      {"apply", "--server-side", "-f", std::string(RMQ_SOURCE_DIR) + "/deploy/crds/"});
  if (out.ok()) {
    out = (*plane)->Kubectl({"wait", "--for=condition=Established", "--timeout=60s",
                             "crd/brokers.rocketmq.apache.org",
                             "crd/nameservices.rocketmq.apache.org"});
  }
  if (!out.ok()) return out.status();
  return plane;
}

}  // namespace rmq::controller
