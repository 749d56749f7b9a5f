// image_map.h: container images mapped to local directories (pure parsing and lookup).
//
// The node agent pulls nothing: each image a pod may name is described by an entry of a YAML
// file (deploy/local/images/images.yaml; its header and deploy/README.md "Local images" are the
// contract), with the directory that plays the image's filesystem and the image config a runtime
// would read from the registry (entrypoint, cmd, env, working directory):
//
//   - image: apache/rocketmq:5.3.3        # one tag; "apache/rocketmq" matches every tag
//     root: ${RMQ_IMAGES}/rocketmq-5.3.3  # absolute after ${VAR} expansion
//     workingDir: /home/rocketmq/rocketmq-5.3.3/bin
//     entrypoint: ["./docker-entrypoint.sh"]
//     cmd: ["dummy"]
//     env: {ROCKETMQ_HOME: /home/rocketmq/rocketmq-5.3.3}
//
// The file is that list, or a map whose `images` key holds it. Fields: `image`
// (repository[:tag]) and `root` are required; `workingDir`, `entrypoint`, `cmd` (lists of
// strings) and `env` (a map of string values, kept in file order) are optional. Unknown fields
// are errors, so that a typo does not silently drop a setting. Only `root` is expanded:
// `${NAME}` is replaced by the environment variable NAME (an unset one is an error), `$$` is a
// literal `$`, any other `$` stays; the other fields are literal, as in an image's configuration.
// Scalars are taken as written: `env: {DEBUG: yes}` sets "yes", not "true".
//
// Image references are normalised as Docker normalises them, so "apache/rocketmq:5.3.3",
// "docker.io/apache/rocketmq:5.3.3" and "index.docker.io/apache/rocketmq:5.3.3" are one image,
// "busybox" is "docker.io/library/busybox", and "registry.local:5000/x" keeps its registry. A pod
// image's digest ("@sha256:...") is dropped and no tag means "latest". An entry with the pod
// image's tag wins over an entry without a tag, whatever their order (the file's header asks for
// tagged entries first, so both readings agree on it).
//
// Errors are InvalidArgument and name the entry, its line and the field:
//   "image map: images[1] (apache/rocketmq), line 7: cmd: expected a list of strings".
// Thread-compatible; an ImageMap is immutable after parsing.
//
// Example:
//   RMQ_ASSIGN_OR_RETURN(ImageMap images, ParseImageMap(yaml_text, ProcessEnv()));
//   const ImageEntry* rocketmq = images.Find("apache/rocketmq:5.3.3");
//   if (rocketmq == nullptr) { /* ErrImagePull */ }
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "nodeagent/plan/env.h"

namespace rmq::nodeagent {

// A parsed image reference: "docker.io/apache/rocketmq:5.3.3@sha256:ab..".
struct ImageReference {
  std::string repository{};  // with its registry: "docker.io/apache/rocketmq"
  std::string tag{};         // "" when none was given
  std::string digest{};      // "sha256:..." or ""

  friend bool operator==(const ImageReference&, const ImageReference&) = default;
};

// Parses and normalises `image` (see the banner). The tag stays empty when absent; Find()
// applies the "latest" default. InvalidArgument for an empty reference, white space, upper case
// in the repository path, an empty path component or a malformed digest.
absl::StatusOr<ImageReference> ParseImageReference(std::string_view image);

struct ImageEntry {
  std::string image{};  // as written in the file
  ImageReference reference{};
  std::string root{};         // absolute directory: the image's filesystem
  std::string working_dir{};  // "" when the image sets none
  std::vector<std::string> entrypoint{};
  std::vector<std::string> cmd{};
  EnvList env{};
};

class ImageMap {
 public:
  ImageMap() = default;
  explicit ImageMap(std::vector<ImageEntry> entries) : entries_(std::move(entries)) {}

  // The entry for `image`: one naming the same repository and tag ("latest" when `image` has no
  // tag; its digest is ignored), else one naming the repository alone. nullptr when none matches
  // or `image` does not parse.
  const ImageEntry* Find(std::string_view image) const;

  const std::vector<ImageEntry>& entries() const { return entries_; }

 private:
  std::vector<ImageEntry> entries_;
};

// An environment variable's value, nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// Parses the image map file (see the banner). Two entries for the same normalised reference, and
// an entry with a digest, are errors; an empty file, `[]` or `images: []` is an empty map.
absl::StatusOr<ImageMap> ParseImageMap(std::string_view yaml, const EnvLookup& env);

// `${NAME}` replaced by env(NAME), `$$` by `$`; InvalidArgument for an unset variable or an
// unterminated `${`. The expansion of `root`, exposed for tests and other files with the same
// convention.
absl::StatusOr<std::string> ExpandEnvironment(std::string_view text, const EnvLookup& env);

}  // namespace rmq::nodeagent
