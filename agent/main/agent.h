// agent.h: the rocketmq-agent process, wired: remoting client, gRPC API, metrics, probes.
//
// Threads: one io_context thread owns the RemotingClient/AdminClient and runs every broker
// coroutine (the gRPC service's, the metrics refresh, the readiness probe) and the HTTP server.
// gRPC runs its own threads and hands work to the io thread. The calling thread waits for
// SIGTERM/SIGINT and then shuts down in order: /readyz turns 503, the gRPC server stops taking
// calls and waits up to --shutdown-timeout for running ones (broker requests still pending at the
// deadline are cancelled), the HTTP server closes, the remoting client closes its connections,
// and the io thread drains and exits.
//
// HTTP routes: /metrics (Prometheus text: broker metrics from a cache refreshed at most every
// --metrics-cache-ttl, one refresh in flight at most, plus the agent's own metrics), /healthz
// (200 while the process runs), /readyz (200 when the broker serves and, after each broker
// start, has registered on its name servers: agent/probe/readiness.h; 503 with a reason
// otherwise; from a broker state at most kReadinessMaxAge old, one probe in flight at most).
//
// Example (main.cc):
//   return RunAgent(*options);  // blocks until a signal; returns the exit status
#pragma once

#include <chrono>

#include "agent/main/options.h"

namespace rmq::agent {

// Age limit of the broker state behind /readyz.
inline constexpr std::chrono::seconds kReadinessMaxAge{2};
// How long the readiness probe waits for a name server's answer (it asks them at once, while a
// broker start's registration is unconfirmed; see agent/probe/readiness.h). Below the 5 s
// timeoutSeconds of the operator's readinessProbe, with the connect timeout (at most 3 s).
inline constexpr std::chrono::milliseconds kNameServerProbeTimeout{2000};

// Runs the agent until SIGTERM/SIGINT; returns kAgentExitOk after a clean shutdown, or
// kAgentExitFailed when it cannot start (e.g. a port in use). Takes over SIGTERM/SIGINT; call
// once per process.
int RunAgent(const AgentOptions& options);

}  // namespace rmq::agent
