// quantity.h: Kubernetes resource quantities ("500m", "1Gi", "2e3") and the values a
// resourceFieldRef exposes to a container (pure).
//
// Grammar (k8s.io/apimachinery/pkg/api/resource): an optional sign, digits with an optional
// fraction ("1", "1.5", ".5"), then a suffix: binary (Ki Mi Gi Ti Pi Ei), decimal (n u m "" k M
// G T P E) or a decimal exponent (e3, E-2). Values are held exactly, in units of 10^-9.
// Thread-compatible.
//
// Example:
//   RMQ_ASSIGN_OR_RETURN(Quantity memory, ParseQuantity("1Gi"));
//   RMQ_ASSIGN_OR_RETURN(Quantity mebi, ParseQuantity("1Mi"));
//   CeilDiv(memory, mebi) == 1024
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"

namespace rmq::nodeagent {

struct Quantity {
  absl::int128 nanos = 0;  // the value times 10^9

  friend bool operator==(const Quantity&, const Quantity&) = default;
};

// InvalidArgument naming the text for anything outside the grammar, or a magnitude beyond 2^63
// units.
absl::StatusOr<Quantity> ParseQuantity(std::string_view text);

// ceil(value / divisor), the kubelet's rounding for resourceFieldRef; divisor must be positive.
int64_t CeilDiv(Quantity value, Quantity divisor);

}  // namespace rmq::nodeagent
