// env.h: environment variables of a container and Kubernetes' $(VAR) references (pure).
//
// Kubernetes expands `$(NAME)` in a container's command, args, env values and subPathExpr
// (k8s.io/kubernetes third_party/forked/golang/expansion). The rules, applied left to right:
//  - `$(NAME)` is replaced by NAME's value when the mapping knows NAME; otherwise it stays as
//    written, "$(NAME)" (so an unknown reference is visible, not silently empty);
//  - `$$` is an escaped `$`: "$$(NAME)" gives "$(NAME)" unexpanded;
//  - a `$` followed by anything else, or at the end of the input, stays as is ("$HOME", "a$");
//  - `$(` without a closing `)` stays as is ("$(NAME" -> "$(NAME").
// One deliberate difference: Go re-encodes the byte after a lone `$` as a rune, which mangles a
// non-ASCII character there ("$é"); here bytes are copied unchanged.
//
// EnvList keeps the last value of each name in the position of its first definition, which is
// how the container runtime merges the image's env with the pod's (later entries override).
// Thread-compatible (free functions and values).
//
// Example:
//   EnvList env;
//   SetEnv(env, "HOME", "/home/rocketmq");
//   std::string arg = ExpandReferences("$(HOME)/conf/$$x", EnvListMapping(env));
//   // arg == "/home/rocketmq/conf/$x"
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rmq::nodeagent {

struct EnvVar {
  std::string name{};
  std::string value{};

  friend bool operator==(const EnvVar&, const EnvVar&) = default;
};

using EnvList = std::vector<EnvVar>;

// A variable's value, or nullopt when it is not defined.
using EnvMapping = std::function<std::optional<std::string>(std::string_view name)>;

// `input` with $(NAME) references replaced as described above.
std::string ExpandReferences(std::string_view input, const EnvMapping& mapping);

// Sets `name` to `value`: replaces the value in place if `name` is in `env`, else appends.
void SetEnv(EnvList& env, std::string_view name, std::string value);

// The value of `name` in `env`, nullopt when absent.
std::optional<std::string> FindEnv(const EnvList& env, std::string_view name);

// A mapping over `env`, which must outlive the mapping.
EnvMapping EnvListMapping(const EnvList& env);

// Kubernetes' rule for environment variable names since RelaxedEnvironmentVariableValidation
// (GA in 1.34, validation.IsRelaxedEnvVarName): non-empty printable ASCII without '='. The
// kubelet skips envFrom keys that fail it.
bool IsEnvVarName(std::string_view name);

}  // namespace rmq::nodeagent
