// topic_create_bench: creating N topics on a real RocketMQ 5.3.3 broker
//   (a) with the batch request (UPDATE_AND_CREATE_TOPIC_LIST via AdminClient::CreateTopics),
//   (b) with one UPDATE_AND_CREATE_TOPIC per topic, awaited one after another,
//   (c) with one request per topic, 32 in flight on the same connection,
//   (d) with `mqadmin updateTopic` (one JVM per topic, as the Apache operator does), sampled on a
//       few topics and extrapolated.
// Prints wall times and the ratios against (a). Usage: topic_create_bench [N] [mqadmin_samples]
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "bench/mqadmin.h"
#include "common/net/blocking.h"
#include "common/rocketmq/admin/admin_client.h"
#include "tests/support/local_rocketmq.h"

namespace {

using rmq::rocketmq::AdminClient;
using rmq::rocketmq::TopicConfig;
using Clock = std::chrono::steady_clock;
namespace asio = boost::asio;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::vector<TopicConfig> Topics(const std::string& prefix, int n) {
  std::vector<TopicConfig> out;
  for (int i = 0; i < n; ++i) {
    TopicConfig t;
    t.topic_name = absl::StrCat(prefix, i);
    out.push_back(t);
  }
  return out;
}

asio::awaitable<int> CreateSequential(AdminClient& admin, std::string broker,
                                      std::vector<TopicConfig> topics) {
  int failed = 0;
  for (auto& t : topics) failed += (co_await admin.CreateTopic(broker, t)).ok() ? 0 : 1;
  co_return failed;
}

asio::awaitable<int> CreatePipelined(AdminClient& admin, std::string broker,
                                     std::vector<TopicConfig> topics, int in_flight) {
  auto executor = co_await asio::this_coro::executor;
  size_t next = 0;
  int failed = 0;
  int running = 0;
  asio::steady_timer done(executor, asio::steady_timer::time_point::max());
  auto worker = [&]() -> asio::awaitable<void> {
    while (next < topics.size()) {
      TopicConfig t = topics[next++];
      failed += (co_await admin.CreateTopic(broker, t)).ok() ? 0 : 1;
    }
    if (--running == 0) done.cancel();
  };
  for (int i = 0; i < in_flight; ++i) {
    ++running;
    asio::co_spawn(executor, worker(), asio::detached);
  }
  boost::system::error_code ec;
  co_await done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return failed;
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 10000;
  int mqadmin_samples = argc > 2 ? std::atoi(argv[2]) : 3;
  auto mq = rmq::testing::LocalRocketMQ::Start({});
  if (!mq.ok()) {
    std::fprintf(stderr, "cannot start RocketMQ: %s\n", mq.status().ToString().c_str());
    return 1;
  }
  const std::string broker = (*mq)->broker_addr();
  std::printf("broker boot: %.2f s, name server boot: %.2f s\n",
              static_cast<double>((*mq)->broker_boot_time().count()) / 1000,
              static_cast<double>((*mq)->namesrv_boot_time().count()) / 1000);

  asio::io_context io;
  rmq::rocketmq::ClientOptions options;
  options.request_timeout = std::chrono::seconds(60);
  rmq::rocketmq::RemotingClient client(io.get_executor(), options);
  AdminClient admin(client);

  auto t0 = Clock::now();
  auto batch = rmq::net::BlockOn(io, admin.CreateTopics(broker, Topics("BenchBatch_", n)));
  double batch_s = Seconds(Clock::now() - t0);
  if (!batch.ok() || !batch->ok() || batch->created != n) {
    std::fprintf(stderr, "batch create failed\n");
    return 1;
  }
  std::printf("(a) batch create %d topics: %.2f s (%d write requests)\n", n, batch_s,
              batch->requests);

  t0 = Clock::now();
  int failed = rmq::net::BlockOn(io, CreateSequential(admin, broker, Topics("BenchSingle_", n)));
  double single_s = Seconds(Clock::now() - t0);
  std::printf("(b) one request per topic, sequential: %.2f s (%d failed)\n", single_s, failed);

  t0 = Clock::now();
  failed = rmq::net::BlockOn(io, CreatePipelined(admin, broker, Topics("BenchPipe_", n), 32));
  double pipe_s = Seconds(Clock::now() - t0);
  std::printf("(c) one request per topic, 32 in flight: %.2f s (%d failed)\n", pipe_s, failed);

  double mqadmin_per_call = 0;
  if (mqadmin_samples > 0) {
    t0 = Clock::now();
    for (int i = 0; i < mqadmin_samples; ++i) {
      rmq::bench::RunMqadmin(**mq, absl::StrCat("updateTopic -b ", broker, " -t BenchMqadmin_", i));
    }
    mqadmin_per_call = Seconds(Clock::now() - t0) / mqadmin_samples;
    std::printf(
        "(d) mqadmin updateTopic: %.2f s per topic (mean of %d), %.0f s for %d (extrapolated)\n",
        mqadmin_per_call, mqadmin_samples, mqadmin_per_call * n, n);
  }

  std::printf("ratio (b)/(a) sequential singles vs batch: %.1fx\n", single_s / batch_s);
  std::printf("ratio (c)/(a) pipelined singles vs batch: %.1fx\n", pipe_s / batch_s);
  if (mqadmin_per_call > 0) {
    std::printf("ratio (d)/(a) mqadmin per topic vs batch: %.0fx\n",
                mqadmin_per_call * n / batch_s);
  }
  client.Shutdown();
  io.poll();
  return 0;
}
