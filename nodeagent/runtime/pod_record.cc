#include "nodeagent/runtime/pod_record.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "common/k8s/watch_stream.h"

namespace rmq::nodeagent {
namespace {

using Json = k8s::Json;

absl::Status Invalid(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("pod record: ", std::string(what)));
}

absl::StatusOr<std::string> StringField(const Json& obj, const char* key, bool required) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) return Invalid(absl::StrCat("missing \"", key, "\""));
    return std::string();
  }
  if (!it->is_string()) return Invalid(absl::StrCat("\"", key, "\" is not a string"));
  return it->get<std::string>();
}

absl::StatusOr<int64_t> IntField(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return int64_t{0};
  if (!it->is_number_integer()) return Invalid(absl::StrCat("\"", key, "\" is not an integer"));
  return it->get<int64_t>();
}

absl::Status ErrnoError(std::string_view what, const std::string& path, int err) {
  return absl::InternalError(absl::StrCat(std::string(what), " ", path, ": ", std::strerror(err)));
}

}  // namespace

std::string SerializePodRecord(const PodRecord& record) {
  Json containers = Json::array();
  for (const ContainerRecord& c : record.containers) {
    containers.push_back({{"name", c.name},
                          {"init", c.init},
                          {"process", c.identity.pid == 0 ? "" : c.identity.ToString()},
                          {"startedAtNs", c.started_at_ns},
                          {"completed", c.completed}});
  }
  Json out = {{"uid", record.uid},       {"namespace", record.namespace_name},
              {"name", record.name},     {"ip", record.ip},
              {"netns", record.netns},   {"acceptedAtNs", record.accepted_at_ns},
              {"containers", containers}};
  return out.dump(2) + "\n";
}

absl::StatusOr<PodRecord> ParsePodRecord(std::string_view text) {
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Invalid("not a JSON object");
  PodRecord r;
  absl::StatusOr<std::string> s = StringField(doc, "uid", true);
  if (!s.ok()) return s.status();
  r.uid = *s;
  if (r.uid.empty()) return Invalid("empty \"uid\"");
  if (s = StringField(doc, "namespace", true); !s.ok()) return s.status();
  r.namespace_name = *s;
  if (s = StringField(doc, "name", true); !s.ok()) return s.status();
  r.name = *s;
  if (s = StringField(doc, "ip", false); !s.ok()) return s.status();
  r.ip = *s;
  if (s = StringField(doc, "netns", false); !s.ok()) return s.status();
  r.netns = *s;
  absl::StatusOr<int64_t> accepted = IntField(doc, "acceptedAtNs");
  if (!accepted.ok()) return accepted.status();
  r.accepted_at_ns = *accepted;
  auto containers = doc.find("containers");
  if (containers != doc.end()) {
    if (!containers->is_array()) return Invalid("\"containers\" is not a list");
    for (const Json& c : *containers) {
      if (!c.is_object()) return Invalid("a container is not an object");
      ContainerRecord cr;
      if (s = StringField(c, "name", true); !s.ok()) return s.status();
      cr.name = *s;
      auto init = c.find("init");
      cr.init = init != c.end() && init->is_boolean() && init->get<bool>();
      auto completed = c.find("completed");
      cr.completed = completed != c.end() && completed->is_boolean() && completed->get<bool>();
      if (s = StringField(c, "process", false); !s.ok()) return s.status();
      if (!s->empty()) {
        absl::StatusOr<ProcessIdentity> id = ParseProcessIdentity(*s);
        if (!id.ok()) {
          return Invalid(absl::StrCat("container ", cr.name, ": ", id.status().message()));
        }
        cr.identity = *id;
      }
      absl::StatusOr<int64_t> started = IntField(c, "startedAtNs");
      if (!started.ok()) return started.status();
      cr.started_at_ns = *started;
      r.containers.push_back(std::move(cr));
    }
  }
  return r;
}

std::string PodDirectory(std::string_view state_dir, std::string_view uid) {
  return absl::StrCat(std::string(state_dir), "/pods/", std::string(uid));
}

absl::Status WritePodRecord(std::string_view state_dir, const PodRecord& record) {
  const std::string dir = PodDirectory(state_dir, record.uid);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("mkdir ", dir, ": ", ec.message()));
  const std::string path = dir + "/state.json";
  const std::string tmp = path + ".tmp";
  const std::string text = SerializePodRecord(record);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError("open", tmp, errno);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return ErrnoError("write", tmp, err);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoError("fsync", tmp, err);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return ErrnoError("rename", tmp, errno);
  return absl::OkStatus();
}

absl::StatusOr<PodRecords> ReadPodRecords(std::string_view state_dir) {
  PodRecords out;
  const std::filesystem::path root = std::filesystem::path(std::string(state_dir)) / "pods";
  std::error_code ec;
  if (!std::filesystem::exists(root, ec)) return out;
  std::filesystem::directory_iterator it(root, ec);
  if (ec) return absl::InternalError(absl::StrCat("read ", root.string(), ": ", ec.message()));
  for (const auto& entry : it) {
    if (!entry.is_directory(ec)) continue;
    const std::string uid = entry.path().filename().string();
    std::ifstream in(entry.path() / "state.json");
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<PodRecord> record =
        in ? ParsePodRecord(text.str()) : absl::StatusOr<PodRecord>(Invalid("no state.json"));
    if (!record.ok() || record->uid != uid) {
      out.broken.push_back(uid);
      continue;
    }
    out.records.push_back(std::move(*record));
  }
  return out;
}

}  // namespace rmq::nodeagent
