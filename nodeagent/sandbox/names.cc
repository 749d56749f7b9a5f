#include "nodeagent/sandbox/names.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace rmq::nodeagent {

namespace {

bool HasForbiddenChar(std::string_view name) {
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '/' || u <= 0x20 || u == 0x7f) return true;
  }
  return false;
}

}  // namespace

bool IsValidInterfaceName(std::string_view name) {
  if (name.empty() || name.size() > kMaxInterfaceNameLength) return false;
  if (name == "." || name == "..") return false;
  return !HasForbiddenChar(name) && name.find(':') == std::string_view::npos;
}

bool IsValidNetnsName(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  if (name == "." || name == "..") return false;
  return !HasForbiddenChar(name);
}

absl::StatusOr<PodNetworkNames> PodNetworkNamesFor(std::string_view pod_uid,
                                                   const PodNetworkNamePrefixes& prefixes) {
  std::string id;
  id.reserve(pod_uid.size());
  for (char c : pod_uid) {
    if (c == '-') continue;
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(absl::StrCat("pod UID \"", std::string(pod_uid),
                                                     "\" has a character other than [A-Za-z0-9-]"));
    }
    id.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  if (id.size() < kMinVethUidChars) {
    return absl::InvalidArgumentError(absl::StrCat("pod UID \"", std::string(pod_uid),
                                                   "\" has fewer than ", kMinVethUidChars,
                                                   " letters and digits"));
  }
  if (prefixes.veth.size() > kMaxInterfaceNameLength - kMinVethUidChars) {
    return absl::InvalidArgumentError(
        absl::StrCat("veth prefix \"", prefixes.veth, "\" is longer than ",
                     kMaxInterfaceNameLength - kMinVethUidChars, " bytes"));
  }
  PodNetworkNames names;
  names.netns = absl::StrCat(prefixes.netns, id);
  names.host_veth =
      absl::StrCat(prefixes.veth, id.substr(0, kMaxInterfaceNameLength - prefixes.veth.size()));
  if (!IsValidNetnsName(names.netns)) {
    return absl::InvalidArgumentError(
        absl::StrCat("netns prefix \"", prefixes.netns, "\" makes an invalid name ", names.netns));
  }
  if (!IsValidInterfaceName(names.host_veth)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "veth prefix \"", prefixes.veth, "\" makes an invalid interface name ", names.host_veth));
  }
  return names;
}

}  // namespace rmq::nodeagent
