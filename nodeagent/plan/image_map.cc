#include "nodeagent/plan/image_map.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"

namespace rmq::nodeagent {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }
bool IsHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

absl::Status BadReference(std::string_view image, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("image \"", std::string(image), "\": ", std::string(why)));
}

// A path component of a repository: lower-case alphanumerics separated by '.', '_' or '-'.
bool IsPathComponent(std::string_view part) {
  if (part.empty() || !IsLowerAlnum(part.front()) || !IsLowerAlnum(part.back())) return false;
  return std::all_of(part.begin(), part.end(),
                     [](char c) { return IsLowerAlnum(c) || c == '.' || c == '_' || c == '-'; });
}

// A registry host with an optional port ("registry.local:5000", "localhost").
bool IsDomain(std::string_view domain) {
  if (domain.empty()) return false;
  return std::all_of(domain.begin(), domain.end(),
                     [](char c) { return IsAlnum(c) || c == '.' || c == '-' || c == ':'; });
}

// [\w][\w.-]{0,127}
bool IsTag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128 || tag.front() == '.' || tag.front() == '-') return false;
  return std::all_of(tag.begin(), tag.end(),
                     [](char c) { return IsAlnum(c) || c == '_' || c == '.' || c == '-'; });
}

// algorithm:hex, with at least 32 lower-case hex digits.
bool IsDigest(std::string_view digest) {
  const size_t colon = digest.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view algorithm = digest.substr(0, colon);
  const std::string_view hex = digest.substr(colon + 1);
  if (!std::all_of(algorithm.begin(), algorithm.end(),
                   [](char c) { return IsAlnum(c) || c == '+' || c == '.' || c == '_'; })) {
    return false;
  }
  return hex.size() >= 32 && std::all_of(hex.begin(), hex.end(), IsHex);
}

// ---------------------------------------------------------------------------------------------
// The YAML file.

// Where an entry is, for messages: "image map: images[1] (apache/rocketmq), line 7: ".
std::string Where(size_t index, const std::string& image, const YAML::Node& node) {
  std::string where = absl::StrCat("image map: images[", index, "]");
  if (!image.empty()) absl::StrAppend(&where, " (", image, ")");
  const YAML::Mark mark = node.Mark();
  if (mark.line >= 0) absl::StrAppend(&where, ", line ", mark.line + 1);
  return where;
}

absl::Status FieldError(const std::string& where, std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": ", std::string(field), ": ", std::string(why)));
}

absl::StatusOr<std::string> ScalarField(const YAML::Node& value, const std::string& where,
                                        std::string_view field) {
  if (!value.IsScalar()) return FieldError(where, field, "expected a string");
  return value.Scalar();
}

absl::StatusOr<std::vector<std::string>> ListField(const YAML::Node& value,
                                                   const std::string& where,
                                                   std::string_view field) {
  std::vector<std::string> out;
  if (value.IsNull()) return out;
  if (!value.IsSequence()) return FieldError(where, field, "expected a list of strings");
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string item = absl::StrCat(std::string(field), "[", i, "]");
    RMQ_ASSIGN_OR_RETURN(std::string s, ScalarField(value[i], where, item));
    out.push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<EnvList> EnvField(const YAML::Node& value, const std::string& where) {
  EnvList out;
  if (value.IsNull()) return out;
  if (!value.IsMap()) return FieldError(where, "env", "expected a map of names to strings");
  for (const auto& item : value) {
    if (!item.first.IsScalar() || !IsEnvVarName(item.first.Scalar())) {
      return FieldError(where, "env", "names must be printable ASCII without '='");
    }
    const std::string name = item.first.Scalar();
    if (FindEnv(out, name).has_value()) {
      return FieldError(where, absl::StrCat("env.", name), "given twice");
    }
    RMQ_ASSIGN_OR_RETURN(std::string v,
                         ScalarField(item.second, where, absl::StrCat("env.", name)));
    out.push_back(EnvVar{.name = name, .value = std::move(v)});
  }
  return out;
}

absl::StatusOr<ImageEntry> ParseEntry(const YAML::Node& node, size_t index, const EnvLookup& env) {
  if (!node.IsMap()) {
    return absl::InvalidArgumentError(absl::StrCat(Where(index, "", node), ": expected a map"));
  }
  ImageEntry entry;
  const YAML::Node image = node["image"];
  if (!image.IsDefined() || !image.IsScalar() || image.Scalar().empty()) {
    return FieldError(Where(index, "", node), "image", "required, a string");
  }
  entry.image = image.Scalar();
  const std::string where = Where(index, entry.image, node);
  absl::StatusOr<ImageReference> reference = ParseImageReference(entry.image);
  if (!reference.ok()) return FieldError(where, "image", std::string(reference.status().message()));
  if (!reference->digest.empty()) {
    return FieldError(where, "image",
                      "name repository[:tag]; digests are dropped from pod images before matching");
  }
  entry.reference = *std::move(reference);

  std::set<std::string> keys;
  for (const auto& item : node) {
    const std::string key = item.first.IsScalar() ? item.first.Scalar() : std::string();
    const YAML::Node& value = item.second;
    if (!keys.insert(key).second) return FieldError(where, key, "given twice");
    if (key == "image") continue;
    constexpr std::string_view kKnown[] = {"root", "workingDir", "entrypoint", "cmd", "env"};
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": unknown field \"", key,
                       "\" (known: image, root, workingDir, entrypoint, cmd, env)"));
    }
    if (value.IsNull() && key != "root") continue;  // an optional field written empty: unset
    if (key == "root") {
      RMQ_ASSIGN_OR_RETURN(std::string root, ScalarField(value, where, key));
      absl::StatusOr<std::string> expanded = ExpandEnvironment(root, env);
      if (!expanded.ok()) return FieldError(where, key, std::string(expanded.status().message()));
      entry.root = *std::move(expanded);
    } else if (key == "workingDir") {
      RMQ_ASSIGN_OR_RETURN(entry.working_dir, ScalarField(value, where, key));
      if (!entry.working_dir.empty() && entry.working_dir.front() != '/') {
        return FieldError(
            where, key, absl::StrCat("must be an absolute path, got \"", entry.working_dir, "\""));
      }
    } else if (key == "entrypoint") {
      RMQ_ASSIGN_OR_RETURN(entry.entrypoint, ListField(value, where, key));
    } else if (key == "cmd") {
      RMQ_ASSIGN_OR_RETURN(entry.cmd, ListField(value, where, key));
    } else {
      RMQ_ASSIGN_OR_RETURN(entry.env, EnvField(value, where));
    }
  }
  if (entry.root.empty()) return FieldError(where, "root", "required, a directory");
  if (entry.root.front() != '/') {
    return FieldError(where, "root",
                      absl::StrCat("must be an absolute path, got \"", entry.root, "\""));
  }
  return entry;
}

absl::StatusOr<ImageMap> ParseImageMapNode(const YAML::Node& root, const EnvLookup& env) {
  if (!root.IsDefined() || root.IsNull()) return ImageMap();
  YAML::Node images = root;
  if (root.IsMap()) {
    for (const auto& item : root) {
      if (!item.first.IsScalar() || item.first.Scalar() != "images") {
        return absl::InvalidArgumentError(absl::StrCat(
            "image map: unknown top-level field \"",
            item.first.IsScalar() ? item.first.Scalar() : std::string("?"), "\" (known: images)"));
      }
    }
    images = root["images"];
    if (!images.IsDefined() || images.IsNull()) return ImageMap();
    if (!images.IsSequence()) {
      return absl::InvalidArgumentError("image map: images: expected a list");
    }
  } else if (!root.IsSequence()) {
    return absl::InvalidArgumentError(
        "image map: expected a list of images (or `images:` with one)");
  }
  std::vector<ImageEntry> entries;
  std::set<std::string> seen;
  for (size_t i = 0; i < images.size(); ++i) {
    RMQ_ASSIGN_OR_RETURN(ImageEntry entry, ParseEntry(images[i], i, env));
    const ImageReference& r = entry.reference;
    const std::string key = absl::StrCat(r.repository, ":", r.tag);
    if (!seen.insert(key).second) {
      return FieldError(Where(i, entry.image, images[i]), "image",
                        "the same image as an earlier entry");
    }
    entries.push_back(std::move(entry));
  }
  return ImageMap(std::move(entries));
}

}  // namespace

absl::StatusOr<ImageReference> ParseImageReference(std::string_view image) {
  if (image.empty()) return BadReference(image, "empty");
  if (std::any_of(image.begin(), image.end(),
                  [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; })) {
    return BadReference(image, "contains white space");
  }
  ImageReference out;
  std::string_view name = image;
  if (const size_t at = name.find('@'); at != std::string_view::npos) {
    out.digest = std::string(name.substr(at + 1));
    name = name.substr(0, at);
    if (!IsDigest(out.digest)) return BadReference(image, "malformed digest");
  }
  const size_t last_slash = name.rfind('/');
  const size_t colon = name.rfind(':');
  if (colon != std::string_view::npos &&
      (last_slash == std::string_view::npos || colon > last_slash)) {
    out.tag = std::string(name.substr(colon + 1));
    name = name.substr(0, colon);
    if (!IsTag(out.tag)) return BadReference(image, "malformed tag");
  }
  std::string domain = "docker.io";
  std::string_view path = name;
  const size_t first_slash = name.find('/');
  if (first_slash != std::string_view::npos) {
    const std::string_view first = name.substr(0, first_slash);
    if (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
        first == "localhost") {
      if (!IsDomain(first)) return BadReference(image, "malformed registry");
      domain = std::string(first);
      path = name.substr(first_slash + 1);
    }
  }
  if (domain == "index.docker.io") domain = "docker.io";
  std::string full_path(path);
  if (domain == "docker.io" && path.find('/') == std::string_view::npos) {
    full_path = absl::StrCat("library/", full_path);
  }
  size_t start = 0;
  while (true) {
    const size_t slash = full_path.find('/', start);
    const std::string_view part = std::string_view(full_path).substr(
        start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!IsPathComponent(part)) {
      return BadReference(image,
                          "repository path components must be lower-case alphanumerics "
                          "separated by '.', '_' or '-'");
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  out.repository = absl::StrCat(domain, "/", full_path);
  return out;
}

const ImageEntry* ImageMap::Find(std::string_view image) const {
  absl::StatusOr<ImageReference> wanted = ParseImageReference(image);
  if (!wanted.ok()) return nullptr;
  const std::string tag = wanted->tag.empty() ? "latest" : wanted->tag;
  const ImageEntry* by_repository = nullptr;
  for (const ImageEntry& entry : entries_) {
    const ImageReference& r = entry.reference;
    if (r.repository != wanted->repository) continue;
    if (r.tag == tag) return &entry;
    if (r.tag.empty() && by_repository == nullptr) by_repository = &entry;
  }
  return by_repository;
}

absl::StatusOr<std::string> ExpandEnvironment(std::string_view text, const EnvLookup& env) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '$' || i + 1 == text.size()) {
      out.push_back(c);
      continue;
    }
    if (text[i + 1] == '$') {
      out.push_back('$');
      ++i;
      continue;
    }
    if (text[i + 1] != '{') {
      out.push_back(c);
      continue;
    }
    const size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("unterminated ${ in \"", std::string(text), "\""));
    }
    const std::string_view name = text.substr(i + 2, close - (i + 2));
    std::optional<std::string> value = env ? env(name) : std::nullopt;
    if (!value.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("environment variable ", std::string(name), " is not set"));
    }
    out.append(*value);
    i = close;
  }
  return out;
}

absl::StatusOr<ImageMap> ParseImageMap(std::string_view yaml, const EnvLookup& env) {
  try {
    return ParseImageMapNode(YAML::Load(std::string(yaml)), env);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("image map: ", e.what()));
  }
}

}  // namespace rmq::nodeagent
