// prober.h: run one probe or lifecycle handler (exec, httpGet, tcpSocket, grpc, sleep) against a
// container, as the kubelet's prober does.
//
// RunHandler() runs `handler` once, bounded by `timeout`, and says what happened: success,
// failure (with the message the kubelet would put in its Event), or kUnknown when the handler
// could not be run at all (an unknown kind). The caller (the container's supervisor) feeds the
// result into a ProbeTracker, or, for a lifecycle hook, decides whether to kill the container.
//
// Kubernetes rules followed (kubelet 1.36: pkg/probe/{exec,http,tcp,grpc}, pkg/kubelet/prober,
// pkg/kubelet/lifecycle/handlers.go):
//  - a handler whose named port the container does not declare (Handler::port_error) fails with
//    that message and nothing is run; a network handler with a port outside 1..65535 fails with
//    "invalid port number: N".
//  - exec: the command runs in the container's mount, UTS, network and IPC namespaces (those of
//    ProbeTarget::pid), in its working directory, with exactly its environment (argv[0] without
//    '/' is looked up in that environment's PATH, else the default
//    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"), stdin from /dev/null,
//    stdout and stderr captured together (the first 10 KiB kept). Exit 0 is success with the
//    output as message; any other exit is failure with the output as message. After `timeout`
//    the command's process group is killed (SIGKILL) and the probe fails with
//    `command "<argv joined by spaces>" timed out`. A failure to start it (the target process is
//    gone, a namespace cannot be joined, chdir, command not found) is a failure naming the step,
//    e.g. `exec probe: execve /bin/nope: No such file or directory`.
//    Output written after the command exited by processes it left running is not waited for.
//  - httpGet: GET <scheme>://<host>:<port><path> with host = Handler::host or the pod IP, path
//    "/" when empty; the handler's headers, plus "User-Agent: kube-probe/1.36" and
//    "Accept: */*" unless given, and "Connection: close". A "Host" header sets the Host. HTTPS
//    does not verify the certificate. Status 200..399 is success (a 3xx is not followed: the
//    kubelet counts a redirect it does not follow as success too, "Probe terminated
//    redirects"); anything else fails with "HTTP probe failed with statuscode: N". At most
//    10 KiB of the body are read (it is the message on success), the rest is discarded with
//    the connection. Connect, TLS, write and read are bounded by `timeout` together; an error
//    fails as Go's client words it: `Get "http://10.0.0.7:8080/healthz": dial tcp
//    10.0.0.7:8080: connect: connection refused`.
//  - tcpSocket: success when a TCP connection to host:port opens within `timeout` (it is then
//    closed); else failure "dial tcp 10.0.0.7:9876: connect: connection refused" or
//    "dial tcp ...: i/o timeout".
//  - grpc: grpc.health.v1.Health/Check {service: Handler::grpc_service} over plaintext HTTP/2 to
//    host:port, deadline `timeout`, on a fresh channel. SERVING is success ("service healthy");
//    another status fails with `service unhealthy (responded with "NOT_SERVING")`; an RPC error
//    fails with the kubelet's words ("error: this server does not implement the grpc health
//    protocol (grpc.health.v1.Health): ...", "timeout: health rpc did not complete within 1s",
//    "error: health rpc probe failed: rpc error: code = NotFound desc = ...").
//  - sleep (lifecycle hooks): waits sleep_seconds (<= 0: not at all) and succeeds; if `timeout`
//    ends first it fails with "container terminated before sleep hook finished".
//
// Not done: following same-host redirects (the kubelet follows up to 10), proxies, HTTP/2 for
// httpGet, entering the container's PID or user namespace (the node agent's containers have
// none of their own), cgroups for the exec'd command.
//
// Threading: RunHandler is a coroutine on the caller's executor; the network kinds are
// asynchronous there. The exec kind's fork, exec and wait run on `blocking` (one of its threads
// per running exec handler), never on the caller's executor; the gRPC call completes on a gRPC
// thread and resumes the coroutine on the caller's executor. Many handlers may run at once.
// Lifetimes: join `blocking` before destroying the caller's io_context (a pool thread releases
// its hold on that context just after an exec's result is posted back).
// The child runs only async-signal-safe calls between fork and exec (everything is prepared
// before the fork), so forking from a threaded agent is safe.
//
// Example:
//   ProbeTarget target{.pod_ip = pod_ip, .pid = container_pid,
//                      .env = env_strings,  // plan.env as "NAME=value"
//                      .working_dir = plan.working_dir};
//   HandlerOutcome out = co_await RunHandler(probe.handler, target,
//                                            std::chrono::seconds(probe.timeout_seconds), pool);
//   ProbeUpdate update = tracker.Record(ProbeKind::kLiveness, out.result, clock.Now());
//   if (out.result == ProbeResult::kFailure) events.Warning("Unhealthy", out.message);
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/net/asio.h"
#include "nodeagent/plan/pod_plan.h"
#include "nodeagent/status/probe_tracker.h"

namespace rmq::nodeagent {

// Where a handler runs: the container.
struct ProbeTarget {
  std::string pod_ip{};            // default host for httpGet/tcpSocket/grpc (Handler::host empty)
  pid_t pid = 0;                   // the container's main process: exec joins its namespaces
  std::vector<std::string> env{};  // "NAME=value": the container's environment, for exec
  std::string working_dir{};       // the container's working directory, for exec ("" = "/")
};

struct HandlerOutcome {
  // kUnknown: the handler could not be run at all (an unknown kind), or the kubelet would throw
  // the result away (reading an HTTP body failed after the status line).
  ProbeResult result = ProbeResult::kUnknown;
  // For Events and logs: the failure's reason, the exec output, the HTTP body (each at most
  // kMaxProbeOutput bytes of output/body).
  std::string message{};

  friend bool operator==(const HandlerOutcome&, const HandlerOutcome&) = default;
};

// The kubelet keeps 10 KiB of an exec's output and of an HTTP body.
inline constexpr size_t kMaxProbeOutput = size_t{10} * 1024;

// The User-Agent of HTTP and gRPC probes.
inline constexpr std::string_view kProbeUserAgent = "kube-probe/1.36";

// Runs `handler` against `target` within `timeout` (see the banner). Never throws for a probe
// failure; the outcome carries it. `handler`, `target` and `blocking` must outlive the
// coroutine (co_await it in the full expression that names them, as usual).
net::asio::awaitable<HandlerOutcome> RunHandler(const Handler& handler, const ProbeTarget& target,
                                                std::chrono::milliseconds timeout,
                                                net::asio::thread_pool& blocking);

// ---------------------------------------------------------------------------------------------
// Pure pieces of the prober, exposed for tests.
namespace prober_internal {

// "host:port", with IPv6 literals in brackets ("[fd00::7]:8080").
std::string JoinHostPort(std::string_view host, int32_t port);

// The request target for httpGet's path: "/" when empty, a leading '/' added when missing.
std::string HttpRequestTarget(std::string_view path);

// The outcome for an HTTP response: 200..399 success (3xx with "Probe terminated redirects,
// Response body: <body>"; else the body as message), anything else failure
// "HTTP probe failed with statuscode: N".
HandlerOutcome ClassifyHttpStatus(unsigned status, std::string_view body);

// Appends `data` to `out` without letting `out` grow beyond `cap` bytes; the rest is dropped.
void AppendCapped(std::string& out, std::string_view data, size_t cap = kMaxProbeOutput);

// Where execve looks for argv[0]: argv[0] itself when it contains '/', else each PATH directory
// (from the last "PATH=" in `env`, or the default PATH) joined with it; an empty PATH entry
// means the working directory (".").
std::vector<std::string> ExecCandidates(std::string_view argv0,
                                        const std::vector<std::string>& env);

// grpc.health.v1.HealthCheckRequest {service} in protobuf wire format (empty for "").
std::string EncodeHealthCheckRequest(std::string_view service);
// The `status` field (1, enum) of a grpc.health.v1.HealthCheckResponse; 0 (UNKNOWN) when absent.
// Unknown fields are skipped. InvalidArgument for malformed bytes.
absl::StatusOr<int32_t> DecodeHealthCheckResponse(std::string_view bytes);
// "UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN", else the number (as Go's String()).
std::string HealthStatusName(int32_t status);

// A gRPC status code as grpc-go names it ("NotFound", "DeadlineExceeded"; "Code(N)" otherwise).
std::string GrpcCodeName(int code);

}  // namespace prober_internal
}  // namespace rmq::nodeagent
