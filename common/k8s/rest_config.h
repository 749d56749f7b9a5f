// rest_config.h: where the Kubernetes API server is and how to authenticate to it.
//
// Two sources, as client-go has them:
//  - a kubeconfig file (the current context or a named one): server, CA (file or inline data),
//    client certificate and key (files or data), bearer token (inline or tokenFile), TLS server
//    name, insecure-skip-tls-verify, the context's namespace. Relative paths are resolved against
//    the kubeconfig's directory. exec and auth-provider plugins are refused (Unimplemented).
//  - in-cluster: KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT and the service-account files
//    (token, ca.crt, namespace). The token file is kept as a path: the client re-reads it, since
//    projected service-account tokens rotate.
// Every error names what is wrong and where (file, context, field).
//
// ParseKubeconfig and InClusterConfig are pure over an injected file reader and environment, so
// every variant is unit-tested without files. Thread-compatible.
//
// Example:
//   absl::StatusOr<RestConfig> config = LoadKubeconfig(path);           // current context
//   absl::StatusOr<RestConfig> in = LoadInClusterConfig();
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"

namespace rmq::k8s {

struct RestConfig {
  std::string server;  // "https://host:port" (no trailing slash)
  std::string ca_pem;  // empty: the system's trust store
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;  // overrides the host name checked against the server certificate
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string bearer_token;                // static token
  std::string token_file;                  // re-read token (in-cluster, kubeconfig tokenFile)
  std::string namespace_name = "default";  // the context's (or service account's) namespace
  std::string source;  // for messages: "kubeconfig /path (context x)" or "in-cluster"
};

// Reads a file named by a config (CA, certificate, key, token). Returns NotFound et al.
using FileReader = std::function<absl::StatusOr<std::string>(const std::string& path)>;
// Looks up an environment variable; nullptr when unset.
using EnvLookup = std::function<const char*(const char* name)>;

// `yaml`: the kubeconfig's text; `path`: where it was read from (messages, relative paths);
// `context`: empty for current-context.
absl::StatusOr<RestConfig> ParseKubeconfig(const std::string& yaml, const std::string& path,
                                           const std::string& context, const FileReader& read);

// `service_account_dir`: normally /var/run/secrets/kubernetes.io/serviceaccount.
absl::StatusOr<RestConfig> InClusterConfig(const EnvLookup& env,
                                           const std::string& service_account_dir,
                                           const FileReader& read);

// The same over the real file system and environment.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);
absl::StatusOr<RestConfig> LoadKubeconfig(const std::string& path, const std::string& context = "");
absl::StatusOr<RestConfig> LoadInClusterConfig();

}  // namespace rmq::k8s
