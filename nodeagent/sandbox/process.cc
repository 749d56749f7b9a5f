#include "nodeagent/sandbox/process.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/status_macros.h"

namespace rmq::nodeagent {

namespace {

// A container's /dev/shm, as Docker sizes it.
constexpr const char* kShmOptions = "mode=1777,size=65536k";

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string Sv(std::string_view s) { return std::string(s); }

absl::Status ErrnoStatus(const std::string& what, int err) {
  std::string message = absl::StrCat(what, ": ", std::strerror(err));
  if (err == ENOENT || err == ESRCH) return absl::NotFoundError(message);
  if (err == EPERM || err == EACCES) return absl::PermissionDeniedError(message);
  return absl::InternalError(message);
}

// The child's steps between fork and exec, reported back on failure.
enum class Step : int32_t {
  kSetsid,
  kSetns,
  kUnshare,
  kSethostname,
  kMakeRslave,
  kUmountSys,
  kMountSys,
  kOpenLayer,
  kOverlay,
  kMountShm,
  kMkdir,
  kCreateFile,
  kBind,
  kStatfs,
  kRemountReadOnly,
  kChdir,
  kDup,
  kSetgroups,
  kSetgid,
  kSetuid,
  kExec,
};

// What the child writes to the error pipe before _exit(127).
struct ChildFailure {
  Step step = Step::kExec;
  int32_t index = 0;  // the mount (kMkdir ... kRemountReadOnly), layer, overlay or exec candidate
  int32_t sub = 0;    // the directory of a kMkdir; the attempt of a kOverlay (1: image alone)
  int32_t err = 0;    // errno
};

// One bind mount, prepared before the fork.
struct MountOp {
  std::string source{};
  std::string target{};
  bool is_dir = false;
  bool read_only = false;
  std::vector<std::string> mkdirs{};  // directories to create, outermost first
};

// A directory of an overlay, named in the mount options as /proc/self/fd/<fd>: the child opens
// `path` and moves it onto `fd` (a placeholder the parent reserved) before the first overlay, so
// that an overlay mounted earlier (say at /tmp) cannot hide the layers of a later one (an image
// root under /tmp), and no path needs escaping in the options. It must be opened in the child's
// own mount namespace: overlayfs refuses layers of another one ("failed to clone upperpath").
struct LayerOp {
  std::string path{};
  int fd = -1;
};

// The overlay of one top-level entry X of an image root at /X, prepared before the fork.
struct OverlayOp {
  std::string target{};         // "/X"
  std::string options{};        // lowerdir=ROOT/X:/X,upperdir=...,workdir=...
  std::string options_alone{};  // lowerdir=ROOT/X,...: when the kernel refuses the overlap
  std::string shown{};          // `options` with the paths instead of the descriptors (errors)
  std::string shown_alone{};
};

// Everything the child needs, built before the fork (the child of a threaded process may only
// make async-signal-safe calls: no allocation, no locks). PointAtStorage() fills argv and env once
// the plan sits where the fork will see it (moving the strings would move short ones' bytes).
struct ChildPlan {
  void PointAtStorage() {
    argv.clear();
    for (std::string& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    env.clear();
    for (std::string& e : env_storage) env.push_back(e.data());
    env.push_back(nullptr);
  }

  std::vector<std::string> argv_storage{};
  std::vector<char*> argv{};
  std::vector<std::string> env_storage{};
  std::vector<char*> env{};
  std::vector<std::string> exec_candidates{};
  std::string working_dir = "/";
  std::string hostname{};
  bool new_uts = false;
  bool new_mount_ns = false;
  bool remount_sys = false;
  std::vector<LayerOp> layers{};
  std::vector<OverlayOp> overlays{};
  bool private_shm = false;
  std::vector<MountOp> mounts{};
  std::optional<uid_t> uid{};
  std::optional<gid_t> gid{};
  int netns_fd = -1;
  int stdin_fd = -1;
  int log_fd = -1;
  std::vector<int> image_fds{};  // the layers' placeholders (closed in the parent after the fork)
};

// Moves `fd` above the standard descriptors (an agent with stdio closed would get 0-2 from
// open(), and dup2 onto 0-2 would then clobber it). Keeps O_CLOEXEC.
int AboveStdio(int fd) {
  if (fd < 0 || fd > STDERR_FILENO) return fd;
  const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  ::close(fd);
  return moved;
}

// An absolute, normal path other than "/" (no ".", "..", "//" components).
bool IsCleanAbsolutePath(const std::string& path) {
  if (path.size() < 2 || path[0] != '/' || path.back() == '/') return false;
  for (absl::string_view part : absl::StrSplit(absl::string_view(path).substr(1), '/')) {
    if (part.empty() || part == "." || part == "..") return false;
  }
  return true;
}

absl::StatusOr<MountOp> PlanMount(const std::string& source, const std::string& target,
                                  bool read_only) {
  if (!IsCleanAbsolutePath(target)) {
    return absl::InvalidArgumentError(
        absl::StrCat("mount target \"", target, "\" is not a clean absolute path"));
  }
  struct stat st {};
  if (::stat(source.c_str(), &st) != 0) return ErrnoStatus(absl::StrCat("stat ", source), errno);
  MountOp op{
      .source = source, .target = target, .is_dir = S_ISDIR(st.st_mode), .read_only = read_only};
  // Every proper prefix of the target, and the target itself for a directory.
  for (size_t slash = target.find('/', 1); slash != std::string::npos;
       slash = target.find('/', slash + 1)) {
    op.mkdirs.push_back(target.substr(0, slash));
  }
  if (op.is_dir) op.mkdirs.push_back(target);
  return op;
}

absl::StatusOr<ChildPlan> Plan(const SpawnSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) {
    return absl::InvalidArgumentError("SpawnInPod: empty argv");
  }
  ChildPlan plan;
  plan.argv_storage = spec.argv;
  plan.env_storage = spec.env;
  std::string path_var = kDefaultPath;
  for (const std::string& e : plan.env_storage) {
    if (e.find('=') == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("env entry \"", e, "\" has no '='"));
    }
    if (absl::StartsWith(e, "PATH=")) path_var = e.substr(5);
  }
  // execvpe's search, done here so the child only calls execve (a name with a '/' is a path).
  if (spec.argv[0].find('/') != std::string::npos) {
    plan.exec_candidates.push_back(spec.argv[0]);
  } else {
    for (absl::string_view dir : absl::StrSplit(path_var, ':')) {
      plan.exec_candidates.push_back(
          absl::StrCat(dir.empty() ? absl::string_view(".") : dir, "/", spec.argv[0]));
    }
  }
  if (!spec.working_dir.empty()) plan.working_dir = spec.working_dir;
  plan.hostname = spec.hostname;
  plan.new_uts = !spec.hostname.empty();
  if (spec.hostname.size() > 64) {
    return absl::InvalidArgumentError(absl::StrCat("hostname \"", spec.hostname, "\" is too long"));
  }
  plan.remount_sys = !spec.netns_path.empty();
  for (const Mount& m : spec.mounts) {
    RMQ_ASSIGN_OR_RETURN(MountOp op, PlanMount(m.host_path, m.container_path, m.read_only));
    plan.mounts.push_back(std::move(op));
  }
  if (!spec.hosts_file.empty()) {
    RMQ_ASSIGN_OR_RETURN(MountOp op, PlanMount(spec.hosts_file, "/etc/hosts", true));
    if (op.is_dir) {
      return absl::InvalidArgumentError(
          absl::StrCat("hosts file ", spec.hosts_file, " is a directory"));
    }
    plan.mounts.push_back(std::move(op));
  }
  plan.new_mount_ns = plan.remount_sys || !plan.mounts.empty();
  plan.uid = spec.uid;
  plan.gid = spec.gid;
  return plan;
}

absl::StatusOr<int> OpenCloexec(const std::string& path, int flags, mode_t mode) {
  const int fd = AboveStdio(::open(path.c_str(), flags | O_CLOEXEC, mode));
  if (fd < 0) return ErrnoStatus(absl::StrCat("open ", path), errno);
  return fd;
}

// A directory as an overlay layer: "/proc/self/fd/N", N reserved in `plan` for the child.
absl::StatusOr<std::string> LayerPath(const std::string& dir, ChildPlan& plan) {
  RMQ_ASSIGN_OR_RETURN(int fd, OpenCloexec("/dev/null", O_RDONLY, 0));
  plan.image_fds.push_back(fd);
  plan.layers.push_back(LayerOp{.path = dir, .fd = fd});
  return absl::StrCat("/proc/self/fd/", fd);
}

// The image's overlays and /dev/shm (see SpawnSpec::image_root). Opens descriptors into `plan`;
// creates the upper and work directories under the scratch dir.
absl::Status PlanImage(const SpawnSpec& spec, ChildPlan& plan) {
  if (spec.image_root.empty()) {
    if (!spec.scratch_dir.empty()) {
      return absl::InvalidArgumentError("scratch_dir without image_root");
    }
    return absl::OkStatus();
  }
  const std::string& root = spec.image_root;
  const std::string& scratch = spec.scratch_dir;
  if (!IsCleanAbsolutePath(root)) {
    return absl::InvalidArgumentError(
        absl::StrCat("image root \"", root, "\" is not a clean absolute path"));
  }
  if (!IsCleanAbsolutePath(scratch)) {
    return absl::InvalidArgumentError(
        absl::StrCat("scratch dir \"", scratch,
                     "\" (required with an image root) is not a clean absolute path"));
  }
  if (scratch == root || absl::StartsWith(scratch, root + "/")) {
    return absl::InvalidArgumentError(
        absl::StrCat("scratch dir ", scratch, " lies in the image root ", root));
  }
  std::error_code ec;
  std::vector<std::string> entries;
  for (std::filesystem::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    entries.push_back(it->path().filename().string());
  }
  if (ec) return ErrnoStatus(absl::StrCat("list image root ", root), ec.value());
  std::sort(entries.begin(), entries.end());
  for (const std::string& name : entries) {
    const std::string image_dir = absl::StrCat(root, "/", name);
    const std::string host_dir = absl::StrCat("/", name);
    struct stat st {};
    if (::stat(image_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat("image entry ", host_dir, ": ", image_dir, " is not a directory"));
    }
    if (::lstat(host_dir.c_str(), &st) != 0) {
      if (errno != ENOENT) return ErrnoStatus(absl::StrCat("lstat ", host_dir), errno);
      return absl::FailedPreconditionError(
          absl::StrCat("image entry ", host_dir, ": ", host_dir,
                       " does not exist on the host, and is not created there (", image_dir, ")"));
    }
    if (!S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat("image entry ", host_dir, ": ", host_dir,
                       " is not a directory on the host (a symlink?)"));
    }
    const std::string upper = absl::StrCat(scratch, "/", name, "/upper");
    const std::string work = absl::StrCat(scratch, "/", name, "/work");
    for (const std::string& dir : {upper, work}) {
      std::filesystem::create_directories(dir, ec);
      if (ec) return ErrnoStatus(absl::StrCat("mkdir -p ", dir), ec.value());
    }
    RMQ_ASSIGN_OR_RETURN(std::string image_fd, LayerPath(image_dir, plan));
    RMQ_ASSIGN_OR_RETURN(std::string host_fd, LayerPath(host_dir, plan));
    RMQ_ASSIGN_OR_RETURN(std::string upper_fd, LayerPath(upper, plan));
    RMQ_ASSIGN_OR_RETURN(std::string work_fd, LayerPath(work, plan));
    const std::string writable = absl::StrCat(",upperdir=", upper_fd, ",workdir=", work_fd);
    const std::string writable_shown = absl::StrCat(",upperdir=", upper, ",workdir=", work);
    plan.overlays.push_back(
        OverlayOp{.target = host_dir,
                  .options = absl::StrCat("lowerdir=", image_fd, ":", host_fd, writable),
                  .options_alone = absl::StrCat("lowerdir=", image_fd, writable),
                  .shown = absl::StrCat("lowerdir=", image_dir, ":", host_dir, writable_shown),
                  .shown_alone = absl::StrCat("lowerdir=", image_dir, writable_shown)});
  }
  plan.private_shm = true;
  plan.new_mount_ns = true;
  return absl::OkStatus();
}

// The MS_* flags of the mount at `path` that a read-only bind remount must keep (runc does the
// same: the kernel refuses to clear locked flags, and silently clearing nosuid/nodev is wrong).
unsigned long KeptMountFlags(const struct statfs& fs) {  // NOLINT(google-runtime-int): mount(2)
  unsigned long flags = 0;                               // NOLINT(google-runtime-int)
  if ((fs.f_flags & ST_NOSUID) != 0) flags |= MS_NOSUID;
  if ((fs.f_flags & ST_NODEV) != 0) flags |= MS_NODEV;
  if ((fs.f_flags & ST_NOEXEC) != 0) flags |= MS_NOEXEC;
  if ((fs.f_flags & ST_NOATIME) != 0) flags |= MS_NOATIME;
  if ((fs.f_flags & ST_NODIRATIME) != 0) flags |= MS_NODIRATIME;
  if ((fs.f_flags & ST_RELATIME) != 0) flags |= MS_RELATIME;
  return flags;
}

// Child side: report the failure and exit. Async-signal-safe.
[[noreturn]] void Fail(int err_fd, Step step, int32_t index, int32_t sub, int err) {
  ChildFailure failure{.step = step, .index = index, .sub = sub, .err = err};
  ssize_t ignored = ::write(err_fd, &failure, sizeof(failure));
  (void)ignored;
  ::_exit(127);
}

// The child, between fork and exec: async-signal-safe calls only.
[[noreturn]] void RunChild(const ChildPlan& plan, int err_fd) {
  // All signals stay blocked (the parent blocked them around the fork) until just before exec.
  ResetSignalDispositionsInChild();
  if (::setsid() < 0) Fail(err_fd, Step::kSetsid, 0, 0, errno);
  if (plan.netns_fd >= 0 && ::setns(plan.netns_fd, CLONE_NEWNET) != 0) {
    Fail(err_fd, Step::kSetns, 0, 0, errno);
  }
  const int unshare_flags =
      (plan.new_uts ? CLONE_NEWUTS : 0) | (plan.new_mount_ns ? CLONE_NEWNS : 0);
  if (unshare_flags != 0 && ::unshare(unshare_flags) != 0) {
    Fail(err_fd, Step::kUnshare, 0, 0, errno);
  }
  if (plan.new_uts && ::sethostname(plan.hostname.data(), plan.hostname.size()) != 0) {
    Fail(err_fd, Step::kSethostname, 0, 0, errno);
  }
  if (plan.new_mount_ns && ::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) {
    Fail(err_fd, Step::kMakeRslave, 0, 0, errno);
  }
  if (plan.remount_sys) {
    // /sys shows the network devices of the namespace that mounted it: mount it anew, as
    // `ip netns exec` does, so the pod sees its own eth0 there.
    if (::umount2("/sys", MNT_DETACH) != 0 && errno != EINVAL) {
      Fail(err_fd, Step::kUmountSys, 0, 0, errno);
    }
    if (::mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
      Fail(err_fd, Step::kMountSys, 0, 0, errno);
    }
  }
  for (size_t i = 0; i < plan.layers.size(); ++i) {
    const LayerOp& l = plan.layers[i];
    const int fd = ::open(l.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || ::dup3(fd, l.fd, O_CLOEXEC) != l.fd) {
      Fail(err_fd, Step::kOpenLayer, static_cast<int32_t>(i), 0, errno);
    }
    ::close(fd);
  }
  // The image over the host's top-level directories; the kernel refuses a lower layer that lies
  // under another one (ELOOP; EINVAL on older kernels): then the image's directory alone.
  for (size_t i = 0; i < plan.overlays.size(); ++i) {
    const OverlayOp& o = plan.overlays[i];
    const auto index = static_cast<int32_t>(i);
    if (::mount("overlay", o.target.c_str(), "overlay", 0, o.options.c_str()) == 0) continue;
    if (errno != ELOOP && errno != EINVAL) Fail(err_fd, Step::kOverlay, index, 0, errno);
    if (::mount("overlay", o.target.c_str(), "overlay", 0, o.options_alone.c_str()) != 0) {
      Fail(err_fd, Step::kOverlay, index, 1, errno);
    }
  }
  if (plan.private_shm &&
      ::mount("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, kShmOptions) != 0) {
    Fail(err_fd, Step::kMountShm, 0, 0, errno);
  }
  for (size_t i = 0; i < plan.mounts.size(); ++i) {
    const MountOp& m = plan.mounts[i];
    const auto index = static_cast<int32_t>(i);
    for (size_t d = 0; d < m.mkdirs.size(); ++d) {
      if (::mkdir(m.mkdirs[d].c_str(), 0755) != 0 && errno != EEXIST) {
        Fail(err_fd, Step::kMkdir, index, static_cast<int32_t>(d), errno);
      }
    }
    if (!m.is_dir) {
      const int fd = ::open(m.target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0 && errno != EISDIR) Fail(err_fd, Step::kCreateFile, index, 0, errno);
      if (fd >= 0) ::close(fd);
    }
    if (::mount(m.source.c_str(), m.target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      Fail(err_fd, Step::kBind, index, 0, errno);
    }
    if (m.read_only) {
      struct statfs fs {};
      if (::statfs(m.target.c_str(), &fs) != 0) Fail(err_fd, Step::kStatfs, index, 0, errno);
      if (::mount(nullptr, m.target.c_str(), nullptr,
                  MS_BIND | MS_REMOUNT | MS_RDONLY | KeptMountFlags(fs), nullptr) != 0) {
        Fail(err_fd, Step::kRemountReadOnly, index, 0, errno);
      }
    }
  }
  if (::chdir(plan.working_dir.c_str()) != 0) Fail(err_fd, Step::kChdir, 0, 0, errno);
  if (!DupToInChild(plan.stdin_fd, STDIN_FILENO) || !DupToInChild(plan.log_fd, STDOUT_FILENO) ||
      !DupToInChild(plan.log_fd, STDERR_FILENO)) {
    Fail(err_fd, Step::kDup, 0, 0, errno);
  }
  if (plan.uid || plan.gid) {
    const gid_t gid = plan.gid.value_or(0);
    if (::setgroups(1, &gid) != 0) Fail(err_fd, Step::kSetgroups, 0, 0, errno);
    if (::setgid(gid) != 0) Fail(err_fd, Step::kSetgid, 0, 0, errno);
  }
  if (plan.uid && ::setuid(*plan.uid) != 0) Fail(err_fd, Step::kSetuid, 0, 0, errno);
  // Nothing of the agent's leaks into the pod: every other descriptor closes at exec (the error
  // pipe too, which is how the parent learns that exec succeeded).
  const ChildExecError failure =
      ExecCandidatesInChild(plan.exec_candidates, plan.argv.data(), plan.env.data());
  Fail(err_fd, Step::kExec, failure.candidate, 0, failure.err);
}

std::string DescribeFailure(const ChildFailure& f, const ChildPlan& plan, const SpawnSpec& spec) {
  auto mount_at = [&](int32_t index) -> const MountOp* {
    return index >= 0 && static_cast<size_t>(index) < plan.mounts.size() ? &plan.mounts[index]
                                                                         : nullptr;
  };
  const MountOp* m = mount_at(f.index);
  const std::string target = m != nullptr ? m->target : "?";
  switch (f.step) {
    case Step::kSetsid:
      return "setsid";
    case Step::kSetns:
      return absl::StrCat("setns(", spec.netns_path, ", CLONE_NEWNET)");
    case Step::kUnshare:
      return absl::StrCat("unshare(", plan.new_uts ? "CLONE_NEWUTS" : "",
                          plan.new_uts && plan.new_mount_ns ? "|" : "",
                          plan.new_mount_ns ? "CLONE_NEWNS" : "", ")");
    case Step::kSethostname:
      return absl::StrCat("sethostname(", plan.hostname, ")");
    case Step::kMakeRslave:
      return "mount --make-rslave /";
    case Step::kUmountSys:
      return "umount -l /sys";
    case Step::kMountSys:
      return "mount -t sysfs sysfs /sys";
    case Step::kOpenLayer: {
      const bool ok = f.index >= 0 && static_cast<size_t>(f.index) < plan.layers.size();
      return absl::StrCat("open ", ok ? plan.layers[f.index].path : "?", " (overlay layer)");
    }
    case Step::kOverlay: {
      const bool ok = f.index >= 0 && static_cast<size_t>(f.index) < plan.overlays.size();
      if (!ok) return "mount -t overlay";
      const OverlayOp& o = plan.overlays[f.index];
      return absl::StrCat("mount -t overlay overlay ", o.target, " -o ",
                          f.sub == 0 ? o.shown : o.shown_alone);
    }
    case Step::kMountShm:
      return absl::StrCat("mount -t tmpfs -o nosuid,nodev,noexec,", kShmOptions, " shm /dev/shm");
    case Step::kMkdir: {
      const bool ok = m != nullptr && f.sub >= 0 && static_cast<size_t>(f.sub) < m->mkdirs.size();
      return absl::StrCat("mkdir ", ok ? m->mkdirs[f.sub] : target);
    }
    case Step::kCreateFile:
      return absl::StrCat("create mount point ", target);
    case Step::kBind:
      return absl::StrCat("mount --rbind ", m != nullptr ? m->source : "?", " ", target);
    case Step::kStatfs:
      return absl::StrCat("statfs ", target);
    case Step::kRemountReadOnly:
      return absl::StrCat("mount -o remount,bind,ro ", target);
    case Step::kChdir:
      return absl::StrCat("chdir ", plan.working_dir);
    case Step::kDup:
      return "dup2 (stdio)";
    case Step::kSetgroups:
      return absl::StrCat("setgroups(", plan.gid.value_or(0), ")");
    case Step::kSetgid:
      return absl::StrCat("setgid(", plan.gid.value_or(0), ")");
    case Step::kSetuid:
      return absl::StrCat("setuid(", plan.uid.value_or(0), ")");
    case Step::kExec: {
      const bool ok = f.index >= 0 && static_cast<size_t>(f.index) < plan.exec_candidates.size();
      std::string what = absl::StrCat("execve ", ok ? plan.exec_candidates[f.index] : spec.argv[0]);
      if (plan.exec_candidates.size() > 1) {
        absl::StrAppend(&what, " (", spec.argv[0], " not found in PATH)");
      }
      return what;
    }
  }
  return "unknown step";
}

}  // namespace

absl::StatusOr<pid_t> SpawnInPod(const SpawnSpec& spec) {
  RMQ_ASSIGN_OR_RETURN(ChildPlan plan, Plan(spec));
  plan.PointAtStorage();
  absl::Cleanup close_fds = [&plan] {
    for (int fd : {plan.netns_fd, plan.stdin_fd, plan.log_fd}) {
      if (fd >= 0) ::close(fd);
    }
    for (int fd : plan.image_fds) ::close(fd);
  };
  RMQ_RETURN_IF_ERROR(PlanImage(spec, plan));
  if (!spec.netns_path.empty()) {
    RMQ_ASSIGN_OR_RETURN(plan.netns_fd, OpenCloexec(spec.netns_path, O_RDONLY, 0));
  }
  RMQ_ASSIGN_OR_RETURN(plan.stdin_fd, OpenCloexec("/dev/null", O_RDONLY, 0));
  RMQ_ASSIGN_OR_RETURN(plan.log_fd, OpenCloexec(spec.log_path.empty() ? "/dev/null" : spec.log_path,
                                                O_WRONLY | O_CREAT | O_APPEND, 0640));
  std::array<int, 2> err_pipe{-1, -1};
  if (::pipe2(err_pipe.data(), O_CLOEXEC) != 0) return ErrnoStatus("pipe2", errno);
  err_pipe[0] = AboveStdio(err_pipe[0]);
  err_pipe[1] = AboveStdio(err_pipe[1]);
  absl::Cleanup close_pipe = [&err_pipe] {
    for (int fd : err_pipe) {
      if (fd >= 0) ::close(fd);
    }
  };
  if (err_pipe[0] < 0 || err_pipe[1] < 0) return ErrnoStatus("pipe2 (move above stdio)", errno);

  // Block every signal across the fork: the child must not run the agent's handlers before it
  // reset them (RunChild unblocks right before exec).
  sigset_t all;
  sigset_t saved;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &saved);
  std::fflush(nullptr);  // nothing buffered before the fork is written twice
  const pid_t pid = ::fork();
  if (pid == 0) RunChild(plan, err_pipe[1]);
  const int fork_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (pid < 0) return ErrnoStatus("fork", fork_errno);
  ::close(err_pipe[1]);
  err_pipe[1] = -1;

  // EOF: exec succeeded (the pipe closed on exec). A ChildFailure: the child exits 127.
  ChildFailure failure;
  size_t got = 0;
  while (got < sizeof(failure)) {
    const ssize_t n =
        ::read(err_pipe[0], reinterpret_cast<char*>(&failure) + got, sizeof(failure) - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  if (got == 0) return pid;
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  if (got != sizeof(failure)) {
    return absl::InternalError(absl::StrCat("spawn ", spec.argv[0], ": truncated error report"));
  }
  return ErrnoStatus(
      absl::StrCat("spawn ", spec.argv[0], ": ", DescribeFailure(failure, plan, spec)),
      failure.err);
}

absl::Status SignalProcess(pid_t pid, int sig) {
  if (pid <= 0) return absl::InvalidArgumentError(absl::StrCat("signal: bad pid ", pid));
  if (::kill(pid, sig) != 0) return ErrnoStatus(absl::StrCat("kill(", pid, ", ", sig, ")"), errno);
  return absl::OkStatus();
}

absl::Status SignalProcessGroup(pid_t pgid, int sig) {
  if (pgid <= 1) return absl::InvalidArgumentError(absl::StrCat("signal: bad pgid ", pgid));
  if (::kill(-pgid, sig) != 0) {
    return ErrnoStatus(absl::StrCat("kill(-", pgid, ", ", sig, ")"), errno);
  }
  return absl::OkStatus();
}

bool Alive(pid_t pid) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  absl::StatusOr<ProcStat> stat = ReadProcStat(pid);
  return stat.ok() && stat->state != 'Z' && stat->state != 'X';
}

std::string ProcessIdentity::ToString() const { return absl::StrCat(pid, ":", start_time); }

absl::StatusOr<ProcessIdentity> ParseProcessIdentity(std::string_view text) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(text.data(), text.size()), ':');
  ProcessIdentity id;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &id.pid) || id.pid <= 0 ||
      !absl::SimpleAtoi(parts[1], &id.start_time)) {
    return absl::InvalidArgumentError(
        absl::StrCat("process identity \"", Sv(text), "\" is not <pid>:<start time>"));
  }
  return id;
}

absl::StatusOr<ProcStat> ParseProcStat(std::string_view content) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("/proc/<pid>/stat: ", Sv(why), ": \"", Sv(content.substr(0, 120)), "\""));
  };
  const size_t open = content.find(" (");
  const size_t close = content.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return bad("no (comm)");
  }
  ProcStat stat;
  if (!absl::SimpleAtoi(absl::string_view(content.data(), open), &stat.pid)) {
    return bad("bad pid");
  }
  // Fields after the command name, numbered as in proc(5) from 3 (state).
  std::string_view rest = content.substr(close + 1);
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(rest.data(), rest.size()), ' ', absl::SkipEmpty());
  auto field = [&](size_t number) { return fields[number - 3]; };
  if (fields.size() < 20) return bad("fewer than 22 fields");
  if (field(3).size() != 1) return bad("bad state");
  stat.state = field(3)[0];
  if (!absl::SimpleAtoi(field(4), &stat.ppid) || !absl::SimpleAtoi(field(5), &stat.pgrp) ||
      !absl::SimpleAtoi(field(6), &stat.session) ||
      !absl::SimpleAtoi(absl::StripAsciiWhitespace(field(22)), &stat.start_time)) {
    return bad("bad number");
  }
  return stat;
}

absl::StatusOr<ProcStat> ReadProcStat(pid_t pid) {
  const std::string path = absl::StrCat("/proc/", pid, "/stat");
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("no process ", pid, " (", path, ")"));
  std::stringstream content;
  content << in.rdbuf();
  if (in.bad()) return absl::NotFoundError(absl::StrCat("no process ", pid, " (read ", path, ")"));
  return ParseProcStat(content.str());
}

absl::StatusOr<ProcessIdentity> ReadProcessIdentity(pid_t pid) {
  RMQ_ASSIGN_OR_RETURN(ProcStat stat, ReadProcStat(pid));
  return ProcessIdentity{.pid = stat.pid, .start_time = stat.start_time};
}

void ResetSignalDispositionsInChild() {
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction action {};
    action.sa_handler = SIG_DFL;
    ::sigaction(sig, &action, nullptr);  // fails for SIGKILL, SIGSTOP, libc's own: fine
  }
}

bool DupToInChild(int from, int to) {
  if (from == to) return ::fcntl(to, F_SETFD, 0) == 0;
  return ::dup2(from, to) == to;
}

ChildExecError ExecCandidatesInChild(const std::vector<std::string>& candidates, char* const* argv,
                                     char* const* envp) {
  ::syscall(SYS_close_range, STDERR_FILENO + 1, ~0U, CLOSE_RANGE_CLOEXEC);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ChildExecError failure{.err = ENOENT, .candidate = 0};
  bool saw_eacces = false;
  for (size_t i = 0; i < candidates.size(); ++i) {
    ::execve(candidates[i].c_str(), argv, envp);
    failure = {.err = errno, .candidate = static_cast<int32_t>(i)};
    if (failure.err == EACCES) {
      saw_eacces = true;
    } else if (failure.err != ENOENT && failure.err != ENOTDIR && failure.err != ENAMETOOLONG) {
      break;
    }
  }
  if (saw_eacces && (failure.err == ENOENT || failure.err == ENOTDIR)) failure.err = EACCES;
  return failure;
}

absl::Status MakeSubPath(const std::string& volume_dir, const std::string& sub_path) {
  std::string path = volume_dir;
  for (absl::string_view part : absl::StrSplit(sub_path, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      return absl::InvalidArgumentError(absl::StrCat("subPath ", sub_path, " contains .."));
    }
    absl::StrAppend(&path, "/", part);
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
      if (S_ISLNK(st.st_mode)) {
        return absl::FailedPreconditionError(absl::StrCat("subPath ", sub_path, ": ", path,
                                                          " is a symlink (refused: it could "
                                                          "lead out of the volume)"));
      }
      continue;
    }
    if (errno != ENOENT) {
      return absl::InternalError(absl::StrCat("lstat ", path, ": ", std::strerror(errno)));
    }
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
      return absl::InternalError(absl::StrCat("mkdir ", path, ": ", std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

}  // namespace rmq::nodeagent
