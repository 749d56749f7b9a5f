#include "nodeagent/plan/env.h"

#include <algorithm>
#include <utility>

namespace rmq::nodeagent {

std::string ExpandReferences(std::string_view input, const EnvMapping& mapping) {
  std::string out;
  out.reserve(input.size());
  size_t i = 0;
  while (i < input.size()) {
    const char c = input[i];
    if (c != '$' || i + 1 == input.size()) {
      out.push_back(c);
      ++i;
      continue;
    }
    const char next = input[i + 1];
    if (next == '$') {  // escaped operator
      out.push_back('$');
      i += 2;
      continue;
    }
    if (next != '(') {  // a lone operator: kept with the byte after it
      out.push_back('$');
      out.push_back(next);
      i += 2;
      continue;
    }
    const size_t close = input.find(')', i + 2);
    if (close == std::string_view::npos) {  // incomplete reference: "$(" kept, scan goes on
      out.append("$(");
      i += 2;
      continue;
    }
    const std::string_view name = input.substr(i + 2, close - (i + 2));
    if (std::optional<std::string> value = mapping(name); value.has_value()) {
      out.append(*value);
    } else {
      out.append("$(").append(name).append(")");
    }
    i = close + 1;
  }
  return out;
}

void SetEnv(EnvList& env, std::string_view name, std::string value) {
  for (EnvVar& var : env) {
    if (var.name == name) {
      var.value = std::move(value);
      return;
    }
  }
  env.push_back(EnvVar{.name = std::string(name), .value = std::move(value)});
}

std::optional<std::string> FindEnv(const EnvList& env, std::string_view name) {
  for (const EnvVar& var : env) {
    if (var.name == name) return var.value;
  }
  return std::nullopt;
}

EnvMapping EnvListMapping(const EnvList& env) {
  return [&env](std::string_view name) { return FindEnv(env, name); };
}

bool IsEnvVarName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(),
                                      [](char c) { return c >= ' ' && c <= '~' && c != '='; });
}

}  // namespace rmq::nodeagent
