#include "nodeagent/sandbox/network.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/base/status_macros.h"
#include "nodeagent/sandbox/command.h"
#include "nodeagent/sandbox/ip_allocator.h"
#include "nodeagent/sandbox/names.h"

namespace rmq::nodeagent {

namespace {

using Json = nlohmann::json;

std::string Sv(std::string_view s) { return std::string(s); }

// Runs `ip <args>` and parses its JSON output (`-j` must be among the args).
absl::StatusOr<Json> IpJson(const std::vector<std::string>& argv) {
  RMQ_ASSIGN_OR_RETURN(std::string out, RunChecked(argv));
  if (out.empty()) return Json::array();  // `ip -j` prints nothing for an empty list
  Json parsed = Json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_array()) {
    return absl::InternalError(
        absl::StrCat(CommandLine(argv), ": output is not a JSON array: ", out.substr(0, 200)));
  }
  return parsed;
}

std::string StringField(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

int64_t IntField(const Json& object, const char* key, int64_t fallback) {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  return it != object.end() && it->is_number_integer() ? it->get<int64_t>() : fallback;
}

bool HasFlag(const Json& link, std::string_view flag) {
  if (!link.is_object()) return false;
  auto it = link.find("flags");
  if (it == link.end() || !it->is_array()) return false;
  return std::any_of(it->begin(), it->end(),
                     [&](const Json& f) { return f.is_string() && f.get<std::string>() == flag; });
}

// True if `ip link show dev <name>` (or `ip -n <ns> ...`) says the device does not exist.
bool IsNoDevice(const CommandResult& result) {
  return result.exit_code != 0 && (absl::StrContains(result.err, "does not exist") ||
                                   absl::StrContains(result.err, "Cannot find device"));
}

// The host link named `name`, or nullopt if there is none.
absl::StatusOr<std::optional<Json>> HostLink(const std::string& name, bool details) {
  std::vector<std::string> argv = {"ip", "-j"};
  if (details) argv.emplace_back("-d");
  for (const char* a : {"link", "show", "dev"}) argv.emplace_back(a);
  argv.push_back(name);
  RMQ_ASSIGN_OR_RETURN(CommandResult result, RunCommand(argv));
  if (IsNoDevice(result)) return std::optional<Json>();
  if (result.exit_code != 0) {
    return CommandFailure(argv, result);
  }
  Json parsed = Json::parse(result.out, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_array() || parsed.size() != 1) {
    return absl::InternalError(
        absl::StrCat(CommandLine(argv), ": unexpected output: ", result.out.substr(0, 200)));
  }
  return std::optional<Json>(parsed[0]);
}

// Deletes a host link; a missing one is fine.
absl::Status DeleteHostLink(const std::string& name) {
  const std::vector<std::string> argv = {"ip", "link", "del", "dev", name};
  RMQ_ASSIGN_OR_RETURN(CommandResult result, RunCommand(argv));
  if (result.exit_code == 0 || IsNoDevice(result)) return absl::OkStatus();
  return CommandFailure(argv, result);
}

// A locally administered unicast MAC derived from the gateway address (02:52:a:b:c:d), fixed so
// that the bridge keeps it when ports come and go (a kernel-chosen one follows the lowest port
// MAC, and pods' ARP entries for the gateway would go stale).
std::string BridgeMac(uint32_t gateway) {
  return absl::StrFormat("02:52:%02x:%02x:%02x:%02x", (gateway >> 24) & 0xff,
                         (gateway >> 16) & 0xff, (gateway >> 8) & 0xff, gateway & 0xff);
}

absl::Status ValidateSpec(const PodNetworkSpec& spec) {
  if (!IsValidNetnsName(spec.netns)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid netns name \"", spec.netns, "\""));
  }
  if (!IsValidInterfaceName(spec.host_veth)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid host veth name \"", spec.host_veth, "\" (1-15 bytes)"));
  }
  if (!IsValidInterfaceName(spec.bridge)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid bridge name \"", spec.bridge, "\""));
  }
  if (!ParseIpv4(spec.ip)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid pod IP \"", spec.ip, "\""));
  }
  if (spec.prefix_len < 1 || spec.prefix_len > 30) {
    return absl::InvalidArgumentError(absl::StrCat("invalid prefix length ", spec.prefix_len));
  }
  return absl::OkStatus();
}

bool Matches(const PodNetworkState& state, const PodNetworkSpec& spec) {
  return state.ip == spec.ip && state.prefix_len == spec.prefix_len && state.eth0_up &&
         state.lo_up && state.host_veth == spec.host_veth && state.bridge == spec.bridge &&
         state.host_veth_up;
}

bool NetnsExists(std::string_view netns) {
  std::error_code ec;
  return std::filesystem::exists(NetnsPath(netns), ec);
}

}  // namespace

std::string NetnsPath(std::string_view netns) {
  return absl::StrCat(Sv(kNetnsDir), "/", Sv(netns));
}

absl::Status EnsureBridge(const BridgeConfig& config) {
  if (!IsValidInterfaceName(config.name)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid bridge name \"", config.name, "\""));
  }
  RMQ_ASSIGN_OR_RETURN(IpAllocator range, IpAllocator::Create(config.cidr, config.gateway));
  const std::optional<uint32_t> gateway = ParseIpv4(config.gateway);
  if (!config.service_cidr.empty()) {
    RMQ_RETURN_IF_ERROR(ParseIpv4Cidr(config.service_cidr).status());
  }

  RMQ_ASSIGN_OR_RETURN(std::optional<Json> link, HostLink(config.name, /*details=*/true));
  if (!link) {
    RMQ_RETURN_IF_ERROR(RunChecked({"ip", "link", "add", config.name, "address",
                                    BridgeMac(*gateway), "type", "bridge"})
                            .status());
  } else {
    const Json& info = (*link)["linkinfo"];
    if (StringField(info, "info_kind") != "bridge") {
      return absl::FailedPreconditionError(absl::StrCat("link ", config.name,
                                                        " exists and is not a bridge (kind \"",
                                                        StringField(info, "info_kind"), "\")"));
    }
  }
  // `replace` is idempotent: adds the address or leaves it as it is.
  RMQ_RETURN_IF_ERROR(
      RunChecked({"ip", "addr", "replace", absl::StrCat(config.gateway, "/", range.prefix_len()),
                  "dev", config.name})
          .status());
  RMQ_RETURN_IF_ERROR(RunChecked({"ip", "link", "set", "dev", config.name, "up"}).status());
  if (!config.service_cidr.empty()) {
    RMQ_RETURN_IF_ERROR(
        RunChecked({"ip", "route", "replace", "blackhole", config.service_cidr}).status());
  }
  return absl::OkStatus();
}

absl::Status DeleteBridge(const BridgeConfig& config) {
  if (!IsValidInterfaceName(config.name)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid bridge name \"", config.name, "\""));
  }
  RMQ_RETURN_IF_ERROR(DeleteHostLink(config.name));
  if (!config.service_cidr.empty()) {
    const std::vector<std::string> argv = {"ip", "route", "del", "blackhole", config.service_cidr};
    RMQ_ASSIGN_OR_RETURN(CommandResult result, RunCommand(argv));
    // "RTNETLINK answers: No such process": the route is already gone.
    if (result.exit_code != 0 && !absl::StrContains(result.err, "No such process")) {
      return CommandFailure(argv, result);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<PodNetworkState> InspectPodNetwork(std::string_view netns) {
  if (!IsValidNetnsName(netns)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid netns name \"", Sv(netns), "\""));
  }
  if (!NetnsExists(netns)) {
    return absl::NotFoundError(absl::StrCat("no network namespace ", NetnsPath(netns)));
  }
  PodNetworkState state;
  state.netns = Sv(netns);
  RMQ_ASSIGN_OR_RETURN(Json links, IpJson({"ip", "-n", Sv(netns), "-j", "addr", "show"}));
  int64_t peer_index = -1;
  for (const Json& link : links) {
    const std::string name = StringField(link, "ifname");
    if (name == "lo") state.lo_up = HasFlag(link, "UP");
    if (name != "eth0") continue;
    state.eth0_up = HasFlag(link, "UP");
    peer_index = IntField(link, "link_index", -1);
    int inet_count = 0;
    const Json& addrs = link.contains("addr_info") ? link["addr_info"] : Json::array();
    for (const Json& addr : addrs) {
      if (StringField(addr, "family") != "inet") continue;
      ++inet_count;
      state.ip = StringField(addr, "local");
      state.prefix_len = static_cast<int>(IntField(addr, "prefixlen", 0));
    }
    if (inet_count != 1) {
      state.ip.clear();
      state.prefix_len = 0;
    }
  }
  if (peer_index > 0) {
    RMQ_ASSIGN_OR_RETURN(Json host_links, IpJson({"ip", "-j", "link", "show"}));
    for (const Json& link : host_links) {
      if (IntField(link, "ifindex", -2) != peer_index) continue;
      state.host_veth = StringField(link, "ifname");
      state.bridge = StringField(link, "master");
      state.host_veth_up = HasFlag(link, "UP");
    }
  }
  return state;
}

absl::StatusOr<PodNetwork> CreatePodNetwork(const PodNetworkSpec& spec) {
  RMQ_RETURN_IF_ERROR(ValidateSpec(spec));
  PodNetwork net{.netns = spec.netns,
                 .netns_path = NetnsPath(spec.netns),
                 .host_veth = spec.host_veth,
                 .ip = spec.ip,
                 .prefix_len = spec.prefix_len,
                 .adopted = false};
  if (NetnsExists(spec.netns)) {
    absl::StatusOr<PodNetworkState> state = InspectPodNetwork(spec.netns);
    if (state.ok() && Matches(*state, spec)) {
      net.adopted = true;
      return net;
    }
    // Half-made (a crash between two steps), or made for another address: start over.
    RMQ_RETURN_IF_ERROR(DeletePodNetwork(spec.netns));
  }
  // A host veth of that name without our namespace is a leftover too.
  RMQ_RETURN_IF_ERROR(DeleteHostLink(spec.host_veth));

  const std::string address = absl::StrCat(spec.ip, "/", spec.prefix_len);
  const std::vector<std::vector<std::string>> steps = {
      {"ip", "netns", "add", spec.netns},
      {"ip", "link", "add", spec.host_veth, "type", "veth", "peer", "name", "eth0", "netns",
       spec.netns},
      {"ip", "link", "set", "dev", spec.host_veth, "master", spec.bridge, "up"},
      {"ip", "-n", spec.netns, "addr", "add", address, "dev", "eth0"},
      {"ip", "-n", spec.netns, "link", "set", "dev", "eth0", "up"},
      {"ip", "-n", spec.netns, "link", "set", "dev", "lo", "up"},
  };
  for (const std::vector<std::string>& step : steps) {
    absl::StatusOr<std::string> done = RunChecked(step);
    if (!done.ok()) {
      absl::Status cleanup = DeletePodNetwork(spec.netns);
      if (cleanup.ok()) cleanup = DeleteHostLink(spec.host_veth);
      std::string message =
          absl::StrCat("create pod network ", spec.netns, ": ", done.status().message());
      if (!cleanup.ok()) {
        absl::StrAppend(&message, " (cleanup failed too: ", cleanup.message(), ")");
      }
      return absl::Status(done.status().code(), message);
    }
  }
  return net;
}

absl::Status DeletePodNetwork(std::string_view netns) {
  if (!IsValidNetnsName(netns)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid netns name \"", Sv(netns), "\""));
  }
  if (!NetnsExists(netns)) return absl::OkStatus();
  // The host end first: deleting either end deletes the pair, even while a process keeps the
  // namespace alive. Best effort: a namespace file that is not a namespace any more (half-made)
  // has no links to find.
  absl::StatusOr<PodNetworkState> state = InspectPodNetwork(netns);
  if (state.ok() && !state->host_veth.empty()) {
    RMQ_RETURN_IF_ERROR(DeleteHostLink(state->host_veth));
  }
  const std::vector<std::string> argv = {"ip", "netns", "del", Sv(netns)};
  RMQ_ASSIGN_OR_RETURN(CommandResult result, RunCommand(argv));
  if (result.exit_code != 0 && NetnsExists(netns)) {
    return CommandFailure(argv, result);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ListPodNetworks(std::string_view prefix) {
  std::vector<std::string> names;
  std::error_code ec;
  std::filesystem::directory_iterator it(std::string(kNetnsDir), ec);
  if (ec == std::errc::no_such_file_or_directory) return names;
  if (ec) {
    return absl::InternalError(absl::StrCat("list ", Sv(kNetnsDir), ": ", ec.message()));
  }
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (absl::StartsWith(name, absl::string_view(prefix.data(), prefix.size()))) {
      names.push_back(std::move(name));
    }
  }
  if (ec) return absl::InternalError(absl::StrCat("list ", Sv(kNetnsDir), ": ", ec.message()));
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace rmq::nodeagent
