#include "nodeagent/sandbox/ip_allocator.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace rmq::nodeagent {

std::optional<uint32_t> ParseIpv4(std::string_view text) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(text.data(), text.size()), '.');
  if (parts.size() != 4) return std::nullopt;
  uint32_t address = 0;
  for (absl::string_view part : parts) {
    if (part.empty() || part.size() > 3) return std::nullopt;
    for (char c : part) {
      if (c < '0' || c > '9') return std::nullopt;
    }
    uint32_t octet = 0;
    if (!absl::SimpleAtoi(part, &octet) || octet > 255) return std::nullopt;
    address = (address << 8) | octet;
  }
  return address;
}

std::string FormatIpv4(uint32_t address) {
  return absl::StrCat((address >> 24) & 0xff, ".", (address >> 16) & 0xff, ".",
                      (address >> 8) & 0xff, ".", address & 0xff);
}

uint32_t Ipv4Cidr::Mask() const { return prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - prefix_len); }

uint32_t Ipv4Cidr::Broadcast() const { return network | ~Mask(); }

bool Ipv4Cidr::Contains(uint32_t address) const { return (address & Mask()) == network; }

std::string Ipv4Cidr::ToString() const {
  return absl::StrCat(FormatIpv4(network), "/", prefix_len);
}

absl::StatusOr<Ipv4Cidr> ParseIpv4Cidr(std::string_view text) {
  const size_t slash = text.find('/');
  auto invalid = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("CIDR \"", std::string(text), "\": ", std::string(why)));
  };
  if (slash == std::string_view::npos) return invalid("no /prefix");
  std::optional<uint32_t> address = ParseIpv4(text.substr(0, slash));
  if (!address) return invalid("not an IPv4 address");
  std::string_view len_text = text.substr(slash + 1);
  int len = 0;
  if (len_text.empty() || len_text.size() > 2 ||
      !absl::SimpleAtoi(absl::string_view(len_text.data(), len_text.size()), &len) || len < 0 ||
      len > 32) {
    return invalid("prefix length is not 0-32");
  }
  Ipv4Cidr cidr{.network = *address, .prefix_len = len};
  if ((*address & ~cidr.Mask()) != 0) return invalid("host bits are set");
  return cidr;
}

IpAllocator::IpAllocator(Ipv4Cidr cidr, uint32_t gateway)
    : cidr_(cidr),
      gateway_(gateway),
      // All addresses minus network, broadcast and gateway.
      capacity_((size_t{1} << (32 - cidr.prefix_len)) - 3),
      next_(cidr.network + 1) {}

absl::StatusOr<IpAllocator> IpAllocator::Create(std::string_view cidr, std::string_view gateway) {
  absl::StatusOr<Ipv4Cidr> parsed = ParseIpv4Cidr(cidr);
  if (!parsed.ok()) return parsed.status();
  if (parsed->prefix_len > 30) {
    return absl::InvalidArgumentError(
        absl::StrCat("CIDR ", parsed->ToString(), " has no room for pods (needs /30 or shorter)"));
  }
  std::optional<uint32_t> gw = ParseIpv4(gateway);
  if (!gw || !parsed->Contains(*gw) || *gw == parsed->network || *gw == parsed->Broadcast()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "gateway \"", std::string(gateway), "\" is not a host address of ", parsed->ToString()));
  }
  return IpAllocator(*parsed, *gw);
}

bool IpAllocator::Usable(uint32_t address) const {
  return cidr_.Contains(address) && address != cidr_.network && address != cidr_.Broadcast() &&
         address != gateway_;
}

absl::StatusOr<std::string> IpAllocator::Allocate() {
  if (available() == 0) {
    return absl::ResourceExhaustedError(
        absl::StrCat("no free pod address left in ", cidr_.ToString()));
  }
  // Next-fit: at most one full turn over the range (there is a free address, so it ends).
  uint32_t candidate = next_;
  while (true) {
    if (!Usable(candidate)) {
      candidate = candidate >= cidr_.Broadcast() || candidate < cidr_.network ? cidr_.network + 1
                                                                              : candidate + 1;
      continue;
    }
    if (taken_.count(candidate) == 0) break;
    candidate = candidate + 1;
  }
  taken_.insert(candidate);
  next_ = candidate + 1;
  return FormatIpv4(candidate);
}

absl::Status IpAllocator::Adopt(std::string_view ip) {
  std::optional<uint32_t> address = ParseIpv4(ip);
  if (!address || !Usable(*address)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", std::string(ip), "\" is not a pod address of ", cidr_.ToString()));
  }
  if (!taken_.insert(*address).second) {
    return absl::AlreadyExistsError(absl::StrCat("pod address ", std::string(ip), " is taken"));
  }
  return absl::OkStatus();
}

bool IpAllocator::Release(std::string_view ip) {
  std::optional<uint32_t> address = ParseIpv4(ip);
  return address && taken_.erase(*address) > 0;
}

bool IpAllocator::InUse(std::string_view ip) const {
  std::optional<uint32_t> address = ParseIpv4(ip);
  return address && taken_.count(*address) > 0;
}

}  // namespace rmq::nodeagent
