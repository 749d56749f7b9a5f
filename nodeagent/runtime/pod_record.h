// pod_record.h: what the node agent remembers about a pod across its own restarts (pure parts
// plus the file I/O).
//
// A PodRecord lives in "<state_dir>/pods/<uid>/state.json" and is rewritten (atomically: a
// temporary file, then rename) every time a container starts or the pod's network is made. A new
// agent instance reads every record at start: a pod still in the API is adopted (its network
// namespace, address and processes, recognised by pid + start time), anything else is cleaned up
// (processes killed, namespace deleted, directory removed).
//
// Restart counts and container states are not recorded: the pod's status in the API holds them
// and the adopting agent reads them from there.
//
// Example:
//   PodRecord record{.uid = uid, .namespace_name = "ns", .name = "web-0", .ip = "10.244.0.7"};
//   record.containers.push_back({.name = "web", .identity = {pid, start_time},
//                                .started_at_ns = now_ns});
//   RMQ_RETURN_IF_ERROR(WritePodRecord(state_dir, record));
//   absl::StatusOr<std::vector<PodRecord>> all = ReadPodRecords(state_dir);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nodeagent/sandbox/process.h"

namespace rmq::nodeagent {

struct ContainerRecord {
  std::string name{};
  bool init = false;
  ProcessIdentity identity{};  // pid 0: not running (e.g. an init container that completed)
  int64_t started_at_ns = 0;   // unix time of the start, nanoseconds
  bool completed = false;      // an init container that exited 0

  friend bool operator==(const ContainerRecord&, const ContainerRecord&) = default;
};

struct PodRecord {
  std::string uid{};
  std::string namespace_name{};
  std::string name{};
  std::string ip{};            // "" for a hostNetwork pod or before the network exists
  std::string netns{};         // "" likewise
  int64_t accepted_at_ns = 0;  // when the agent first took the pod (status.startTime)
  std::vector<ContainerRecord> containers{};

  friend bool operator==(const PodRecord&, const PodRecord&) = default;
};

// JSON text of a record, and back. InvalidArgument names what is wrong in the text.
std::string SerializePodRecord(const PodRecord& record);
absl::StatusOr<PodRecord> ParsePodRecord(std::string_view text);

// "<state_dir>/pods/<uid>".
std::string PodDirectory(std::string_view state_dir, std::string_view uid);

// Writes "<state_dir>/pods/<uid>/state.json" atomically (the directory is created).
absl::Status WritePodRecord(std::string_view state_dir, const PodRecord& record);

// Every readable record under "<state_dir>/pods"; unreadable ones are returned as errors in
// `broken` (their directory names) so the caller can clean them up.
struct PodRecords {
  std::vector<PodRecord> records{};
  std::vector<std::string> broken{};  // uids (directory names) without a valid state.json
};
absl::StatusOr<PodRecords> ReadPodRecords(std::string_view state_dir);

}  // namespace rmq::nodeagent
