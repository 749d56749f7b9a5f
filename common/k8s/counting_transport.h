// counting_transport.h: a Transport decorator that counts the requests sent through it, by HTTP
// method ("watch" for streams), e.g. for a process's /metrics or a benchmark of idle traffic.
//
// Threading: as the wrapped transport (one executor); the counters are read on it too.
//
// Example:
//   CountingTransport counting(**transport);
//   Client client(counting);
//   ... counting.Count("PATCH") ...
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "common/k8s/transport.h"

namespace rmq::k8s {

class CountingTransport : public Transport {
 public:
  explicit CountingTransport(Transport& inner) : inner_(inner) {}

  boost::asio::awaitable<absl::StatusOr<HttpResponse>> Send(HttpRequest request) override {
    ++counts_[request.method];
    co_return co_await inner_.Send(std::move(request));
  }
  boost::asio::awaitable<absl::StatusOr<std::unique_ptr<HttpStream>>> OpenStream(
      HttpRequest request) override {
    ++counts_["watch"];
    co_return co_await inner_.OpenStream(std::move(request));
  }
  void Shutdown() override { inner_.Shutdown(); }
  size_t ConnectionsOpened() const override { return inner_.ConnectionsOpened(); }
  size_t IdleConnections() const override { return inner_.IdleConnections(); }

  // Requests by method ("GET", "PATCH", ..., "watch"), retries by the inner transport excluded.
  const std::map<std::string, int64_t>& counts() const { return counts_; }
  int64_t Total() const {
    int64_t n = 0;
    for (const auto& [method, count] : counts_) n += count;
    return n;
  }

 private:
  Transport& inner_;
  std::map<std::string, int64_t> counts_;
};

}  // namespace rmq::k8s
