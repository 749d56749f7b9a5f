#include "common/k8s/rest_config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace rmq::k8s {
namespace {

namespace fs = std::filesystem;

// The `field` map of the entry of a named list (clusters, contexts, users) called `name`.
// (yaml-cpp throws when a missing node is indexed, so every step is checked.)
std::optional<YAML::Node> FindNamed(const YAML::Node& root, const char* list_key,
                                    const std::string& name, const char* field) {
  const YAML::Node list = root[list_key];
  if (!list || !list.IsSequence()) return std::nullopt;
  for (const YAML::Node& item : list) {
    if (!item.IsMap()) continue;
    const YAML::Node item_name = item["name"];
    if (!item_name || !item_name.IsScalar() || item_name.as<std::string>() != name) continue;
    const YAML::Node value = item[field];
    if (value && value.IsMap()) return value;
    return std::nullopt;
  }
  return std::nullopt;
}

std::string Scalar(const YAML::Node& map, const char* key) {
  if (!map.IsMap()) return "";
  const YAML::Node v = map[key];
  return v && v.IsScalar() ? v.as<std::string>() : "";
}

// Inline base64 data or a file path (relative to the kubeconfig's directory); empty if neither.
absl::StatusOr<std::string> DataOrFile(const YAML::Node& map, const char* data_key,
                                       const char* file_key, const std::string& base_dir,
                                       const std::string& where, const FileReader& read) {
  const std::string data = Scalar(map, data_key);
  if (!data.empty()) {
    std::string decoded;
    if (!absl::Base64Unescape(data, &decoded)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", data_key, " is not base64"));
    }
    return decoded;
  }
  std::string file = Scalar(map, file_key);
  if (file.empty()) return std::string();
  if (fs::path(file).is_relative() && !base_dir.empty()) {
    file = (fs::path(base_dir) / file).string();
  }
  absl::StatusOr<std::string> content = read(file);
  if (!content.ok()) {
    return absl::Status(content.status().code(), absl::StrCat(where, ": ", file_key, " ", file,
                                                              ": ", content.status().message()));
  }
  return content;
}

absl::StatusOr<RestConfig> FromKubeconfig(const YAML::Node& root, const std::string& path,
                                          const std::string& wanted_context,
                                          const FileReader& read) {
  const std::string file = absl::StrCat("kubeconfig ", path);
  if (!root.IsMap()) return absl::InvalidArgumentError(absl::StrCat(file, " is not a YAML map"));
  const std::string context_name =
      wanted_context.empty() ? Scalar(root, "current-context") : wanted_context;
  if (context_name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, " has no current-context and no context was given"));
  }
  const std::optional<YAML::Node> context_map =
      FindNamed(root, "contexts", context_name, "context");
  if (!context_map.has_value()) {
    return absl::NotFoundError(absl::StrCat(file, " has no context '", context_name, "'"));
  }
  const YAML::Node& context = *context_map;
  RestConfig config;
  config.source = absl::StrCat(file, " (context ", context_name, ")");
  const std::string where = config.source;
  const std::string cluster_name = Scalar(context, "cluster");
  const std::optional<YAML::Node> cluster_map =
      FindNamed(root, "clusters", cluster_name, "cluster");
  if (cluster_name.empty() || !cluster_map.has_value()) {
    return absl::NotFoundError(
        absl::StrCat(where, ": context names cluster '", cluster_name, "', which is not defined"));
  }
  const YAML::Node& cluster = *cluster_map;
  config.server = Scalar(cluster, "server");
  while (!config.server.empty() && config.server.back() == '/') config.server.pop_back();
  if (config.server.rfind("https://", 0) != 0 && config.server.rfind("http://", 0) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": cluster '", cluster_name,
                                                   "' has no http(s) server URL (got '",
                                                   config.server, "')"));
  }
  config.insecure_skip_tls_verify = Scalar(cluster, "insecure-skip-tls-verify") == "true";
  config.tls_server_name = Scalar(cluster, "tls-server-name");
  const std::string base_dir = fs::path(path).parent_path().string();
  absl::StatusOr<std::string> ca = DataOrFile(cluster, "certificate-authority-data",
                                              "certificate-authority", base_dir, where, read);
  if (!ca.ok()) return ca.status();
  config.ca_pem = *std::move(ca);
  if (const std::string ns = Scalar(context, "namespace"); !ns.empty()) config.namespace_name = ns;

  const std::string user_name = Scalar(context, "user");
  if (user_name.empty()) return config;  // anonymous
  const std::optional<YAML::Node> user_map = FindNamed(root, "users", user_name, "user");
  if (!user_map.has_value()) {
    return absl::NotFoundError(
        absl::StrCat(where, ": context names user '", user_name, "', which is not defined"));
  }
  const YAML::Node& user = *user_map;
  for (const char* plugin : {"exec", "auth-provider"}) {
    if (user[plugin].IsDefined()) {
      return absl::UnimplementedError(absl::StrCat(
          where, ": user '", user_name, "' uses an ", plugin,
          " plugin, which this client does not run; use a client certificate or a token"));
    }
  }
  absl::StatusOr<std::string> cert =
      DataOrFile(user, "client-certificate-data", "client-certificate", base_dir, where, read);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key =
      DataOrFile(user, "client-key-data", "client-key", base_dir, where, read);
  if (!key.ok()) return key.status();
  if (cert->empty() != key->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": user '", user_name,
                     "' has a client certificate without a key or a key without a "
                     "certificate"));
  }
  config.client_cert_pem = *std::move(cert);
  config.client_key_pem = *std::move(key);
  config.bearer_token = Scalar(user, "token");
  std::string token_file = Scalar(user, "tokenFile");
  if (!token_file.empty() && fs::path(token_file).is_relative()) {
    token_file = (fs::path(base_dir) / token_file).string();
  }
  config.token_file = token_file;
  return config;
}

}  // namespace

absl::StatusOr<RestConfig> ParseKubeconfig(const std::string& yaml, const std::string& path,
                                           const std::string& context, const FileReader& read) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("kubeconfig ", path, " is not valid YAML: ", e.what()));
  }
  try {
    return FromKubeconfig(root, path, context, read);
  } catch (const YAML::Exception& e) {  // a field of an unexpected type
    return absl::InvalidArgumentError(absl::StrCat("kubeconfig ", path, ": ", e.what()));
  }
}

absl::StatusOr<RestConfig> InClusterConfig(const EnvLookup& env,
                                           const std::string& service_account_dir,
                                           const FileReader& read) {
  const char* host = env("KUBERNETES_SERVICE_HOST");
  const char* port = env("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || *host == '\0' || port == nullptr || *port == '\0') {
    return absl::FailedPreconditionError(
        "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not "
        "set (pass --kubeconfig)");
  }
  RestConfig config;
  config.source = "in-cluster";
  const std::string h = host;
  config.server = h.find(':') != std::string::npos ? absl::StrCat("https://[", h, "]:", port)
                                                   : absl::StrCat("https://", h, ":", port);
  const std::string& dir = service_account_dir;
  config.token_file = dir + "/token";
  absl::StatusOr<std::string> token = read(config.token_file);
  if (!token.ok()) {
    return absl::Status(token.status().code(),
                        absl::StrCat("in-cluster: service-account token ", config.token_file, ": ",
                                     token.status().message()));
  }
  absl::StatusOr<std::string> ca = read(dir + "/ca.crt");
  if (!ca.ok()) {
    return absl::Status(ca.status().code(),
                        absl::StrCat("in-cluster: ", dir, "/ca.crt: ", ca.status().message()));
  }
  config.ca_pem = *std::move(ca);
  if (absl::StatusOr<std::string> ns = read(dir + "/namespace"); ns.ok() && !ns->empty()) {
    std::string name = *std::move(ns);
    while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
    config.namespace_name = name;
  }
  return config;
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    return fs::exists(path, ec) ? absl::PermissionDeniedError("cannot be read")
                                : absl::NotFoundError("does not exist");
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

absl::StatusOr<RestConfig> LoadKubeconfig(const std::string& path, const std::string& context) {
  absl::StatusOr<std::string> yaml = ReadFileToString(path);
  if (!yaml.ok()) {
    return absl::Status(yaml.status().code(),
                        absl::StrCat("kubeconfig ", path, ": ", yaml.status().message()));
  }
  return ParseKubeconfig(*yaml, path, context, ReadFileToString);
}

absl::StatusOr<RestConfig> LoadInClusterConfig() {
  return InClusterConfig([](const char* name) { return std::getenv(name); },
                         "/var/run/secrets/kubernetes.io/serviceaccount", ReadFileToString);
}

}  // namespace rmq::k8s
