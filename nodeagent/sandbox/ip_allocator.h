// ip_allocator.h: IPv4 addresses for pods from the node's pod CIDR (pure, no I/O).
//
// An IpAllocator hands out the addresses of one CIDR except the network address, the broadcast
// address and the gateway (the bridge's own address). Allocation is next-fit: it continues after
// the last address handed out and wraps around, so a released address is reused as late as
// possible (a stale /etc/hosts entry or a peer's cached connection then does not reach a new pod),
// as the host-local CNI plugin does. After an agent restart, Adopt() marks the addresses that
// surviving pod networks still hold.
//
// Not thread-safe: owned by one strand of the node agent.
//
// Example:
//   auto alloc = IpAllocator::Create("10.244.0.0/16", "10.244.0.1");
//   absl::StatusOr<std::string> ip = alloc->Allocate();      // "10.244.0.2"
//   RMQ_RETURN_IF_ERROR(alloc->Adopt("10.244.0.7"));         // held by a surviving pod
//   alloc->Release(*ip);
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rmq::nodeagent {

// Dotted-quad IPv4 parsing and formatting (host byte order). nullopt for anything else
// ("10.0.0", "10.0.0.256", leading/trailing spaces, IPv6).
std::optional<uint32_t> ParseIpv4(std::string_view text);
std::string FormatIpv4(uint32_t address);

struct Ipv4Cidr {
  uint32_t network = 0;  // host byte order, host bits zero
  int prefix_len = 0;    // 0-32

  uint32_t Mask() const;
  uint32_t Broadcast() const;
  bool Contains(uint32_t address) const;
  std::string ToString() const;  // "10.244.0.0/16"
};

// "a.b.c.d/n". InvalidArgument for malformed text or host bits set ("10.244.0.1/16").
absl::StatusOr<Ipv4Cidr> ParseIpv4Cidr(std::string_view text);

class IpAllocator {
 public:
  // `cidr` must leave room for at least one pod (prefix /30 or shorter); `gateway` must be a
  // usable host address inside it.
  static absl::StatusOr<IpAllocator> Create(std::string_view cidr, std::string_view gateway);

  // The next free address, or ResourceExhausted when every usable address is taken.
  absl::StatusOr<std::string> Allocate();
  // Marks `ip` as taken (a pod network that survived a restart). InvalidArgument if it is not a
  // usable address of the range (outside, network, broadcast, gateway); AlreadyExists if taken.
  absl::Status Adopt(std::string_view ip);
  // Frees `ip`; false if it was not taken (or not an address of the range).
  bool Release(std::string_view ip);

  bool InUse(std::string_view ip) const;
  size_t in_use() const { return taken_.size(); }
  // How many addresses are free now.
  size_t available() const { return capacity_ - taken_.size(); }
  const Ipv4Cidr& cidr() const { return cidr_; }
  int prefix_len() const { return cidr_.prefix_len; }

 private:
  IpAllocator(Ipv4Cidr cidr, uint32_t gateway);
  bool Usable(uint32_t address) const;

  Ipv4Cidr cidr_{};
  uint32_t gateway_ = 0;
  size_t capacity_ = 0;
  uint32_t next_ = 0;  // where the next search starts
  std::set<uint32_t> taken_{};
};

}  // namespace rmq::nodeagent
