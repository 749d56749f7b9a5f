// process.h: a pod's container as a plain process, in the pod's namespaces.
//
// SpawnInPod() forks and, in the child, before exec: starts a new session (own process group,
// pgid == pid), joins the pod's network namespace (setns), takes its own UTS namespace with the
// pod's hostname, and a private mount namespace (/ made rslave: host mounts still propagate in,
// ours never out) where it remounts /sys for the pod's network namespace, bind-mounts each volume
// at its container path (creating the mount point if missing) and the pod's hosts file over
// /etc/hosts; then redirects stdout and stderr to the log file (appending), stdin to /dev/null,
// drops to uid/gid if asked and execs. A failure of any of these steps, exec included, comes back
// through a close-on-exec pipe as an error naming the step and errno: a bad command is an error,
// not a silent exit 127.
//
// The process does not die with the agent (no parent-death signal, own session): pods survive an
// agent restart. The caller is its parent and reaps it (ProcessWatcher). A new agent finds it
// again by the ProcessIdentity the old one recorded (pid + start time, which tells a reused pid
// apart) and adopts it (ProcessWatcher::Adopt).
//
// With an image (`image_root`), the image's top-level directories are overlaid first (writes go
// to `scratch_dir`), /dev/shm gets a private tmpfs, and the volumes' mount points are created
// inside those overlays (in the scratch dir: neither ROOT nor the host's /X is written).
// Mount points outside them that do not exist are created on the host file system (a mount
// namespace hides mounts, not files): e.g. an empty /etc/config directory remains after the pod
// is gone. The mounts themselves live only in the pod process's namespace and vanish with its
// last process.
//
// Thread-safe: the child runs only async-signal-safe calls between fork and exec (everything is
// prepared before the fork). Blocking: returns once the child exec'd or failed (milliseconds).
//
// Example:
//   absl::StatusOr<pid_t> pid = SpawnInPod({
//       .argv = {"sh", "-c", "exec mqnamesrv"}, .env = {"PATH=/usr/bin:/bin"},
//       .netns_path = net->netns_path, .hostname = "namesrv-0",
//       .mounts = {{.host_path = pod_dir + "/config", .container_path = "/etc/config",
//                   .read_only = true}},
//       .hosts_file = pod_dir + "/hosts", .log_path = pod_dir + "/namesrv.log"});
//   RMQ_ASSIGN_OR_RETURN(ProcessIdentity id, ReadProcessIdentity(*pid));  // -> state file
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rmq::nodeagent {

struct Mount {
  std::string host_path{};       // an existing file or directory on the host
  std::string container_path{};  // absolute; a file mount point for a file, else a directory
  bool read_only = false;
};

struct SpawnSpec {
  // argv[0] is a path, or a name looked up in the PATH of `env` (or the default
  // "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").
  std::vector<std::string> argv{};
  std::vector<std::string> env{};  // "NAME=value": the whole environment, nothing inherited
  std::string working_dir{};       // empty: "/"
  std::string netns_path{};        // /run/netns/<name>; empty: the host's network namespace
  std::string hostname{};          // empty: the host's UTS namespace; else an own one
  // The container image's file system (deploy/README.md, "Contract with the node agent"): a host
  // directory laid out like the image's /. Each top-level entry X (a directory) becomes an overlay
  // at /X: the image's X over the host's /X (lowerdir=ROOT/X:/X), or the image's X alone when the
  // kernel refuses the overlap because ROOT lies under /X (ELOOP/EINVAL). A /X missing on the host
  // is an error (nothing is created on the host's /). Then a private tmpfs on /dev/shm. All before
  // `mounts`, whose mount points are then created inside the overlays. Empty: no image.
  std::string image_root{};
  // The container's writable layer, required with `image_root`: upper and work dirs per entry
  // (scratch_dir/X/upper, scratch_dir/X/work), created if missing; outside `image_root`, which is
  // never written. Give each container start a fresh one (a restarted container starts clean).
  std::string scratch_dir{};
  std::vector<Mount> mounts{};  // applied in order (a later one may nest in an earlier one)
  std::string hosts_file{};     // bind-mounted read-only over /etc/hosts; empty: none
  std::string log_path{};       // stdout + stderr, appended (created 0640); empty: /dev/null
  std::optional<uid_t> uid{};   // run as this user (after the mounts)
  std::optional<gid_t> gid{};   // and this group (also the only supplementary group)
};

// Starts the process; its pid (== its process group and session id). Errors: InvalidArgument
// for a bad spec, NotFound for a missing program, netns, host path or log directory,
// FailedPrecondition for an image entry X without a /X on the host, else the failing step, e.g.
// `mount --bind /a /etc/config: No such file or directory`.
absl::StatusOr<pid_t> SpawnInPod(const SpawnSpec& spec);

// Child-side helpers shared by SpawnInPod and the exec prober, async-signal-safe:
// every signal back to its default disposition (the agent's handlers and ignored signals are not
// the child's); `from` moved onto `to` without close-on-exec.
void ResetSignalDispositionsInChild();
bool DupToInChild(int from, int to);

// The last steps of a forked child before exec, shared by SpawnInPod and the exec prober: marks
// every descriptor above stderr close-on-exec, clears the signal mask, then tries each of
// `candidates` (argv[0] resolved against PATH) with execve, following execvpe's rules (go on after
// ENOENT/ENOTDIR/ENAMETOOLONG/EACCES, report EACCES if any candidate gave it, stop at any other
// error). Returns only on failure: the errno to report and the index of the candidate that gave it.
// Async-signal-safe (only reads its arguments).
struct ChildExecError {
  int err = 0;
  int32_t candidate = 0;
};
ChildExecError ExecCandidatesInChild(const std::vector<std::string>& candidates, char* const* argv,
                                     char* const* envp);

// kill(pid, sig) / kill(-pgid, sig). NotFound if there is no such process (group).
absl::Status SignalProcess(pid_t pid, int sig);
absl::Status SignalProcessGroup(pid_t pgid, int sig);

// True while `pid` runs (exists and is not a zombie).
bool Alive(pid_t pid);

// What tells a process apart from a later one with the same pid: the pid and its start time in
// clock ticks since boot (/proc/<pid>/stat field 22). Recorded in the agent's state file.
struct ProcessIdentity {
  pid_t pid = 0;
  uint64_t start_time = 0;

  bool operator==(const ProcessIdentity&) const = default;
  std::string ToString() const;  // "<pid>:<start_time>"
};
absl::StatusOr<ProcessIdentity> ParseProcessIdentity(std::string_view text);

// The fields of /proc/<pid>/stat the sandbox uses.
struct ProcStat {
  pid_t pid = 0;
  char state = '?';  // R, S, D, Z, T, ...
  pid_t ppid = 0;
  pid_t pgrp = 0;
  pid_t session = 0;
  uint64_t start_time = 0;
};
// Parses the content of /proc/<pid>/stat (pure; the command name may hold spaces and ')').
absl::StatusOr<ProcStat> ParseProcStat(std::string_view content);
// Reads /proc/<pid>/stat. NotFound if the process is gone.
absl::StatusOr<ProcStat> ReadProcStat(pid_t pid);
absl::StatusOr<ProcessIdentity> ReadProcessIdentity(pid_t pid);

// Creates <volume_dir>/<sub_path> (a relative path without "..", as the pod plan checked) as a
// directory, with its missing parents (mode 0755), as the kubelet does for a volumeMount's
// subPath that does not exist yet. An existing file or directory is left alone. A component that
// is a symlink is refused (FailedPrecondition): it could lead out of the volume.
absl::Status MakeSubPath(const std::string& volume_dir, const std::string& sub_path);

}  // namespace rmq::nodeagent
