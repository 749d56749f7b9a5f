// admin_env.h: an AdminClient running on its own io thread (AdminSession), and a real RocketMQ
// (LocalRocketMQ) with one (AdminTestEnv), for integration tests and benchmarks that call the
// admin API from plain test code.
//
// Run() hands a coroutine to the io thread and blocks the calling (test) thread until it
// finishes; the client itself only ever runs on the io thread. Destruction shuts the client
// down, joins the thread, then stops RocketMQ.
//
// Example:
//   auto env = AdminTestEnv::Start({});
//   auto info = (*env)->Run((*env)->admin().GetBrokerRuntimeInfo((*env)->mq().broker_addr()));
#pragma once

#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/net/asio.h"
#include "common/rocketmq/admin/admin_client.h"
#include "tests/support/local_rocketmq.h"

namespace rmq::testing {

// An AdminClient on its own io thread, for brokers and name servers at any address (e.g. pods
// of the local cluster). Run() as in AdminTestEnv.
class AdminSession {
 public:
  explicit AdminSession(rocketmq::AclCredentials credentials = {});
  ~AdminSession();
  AdminSession(const AdminSession&) = delete;
  AdminSession& operator=(const AdminSession&) = delete;

  template <typename T>
  T Run(boost::asio::awaitable<T> work) {
    return boost::asio::co_spawn(io_, std::move(work), boost::asio::use_future).get();
  }

  // Polls `namesrv` until it lists `broker` ("ip:port"); DeadlineExceeded with the last answer
  // after `timeout`.
  absl::Status WaitForRegistration(const std::string& namesrv, const std::string& broker,
                                   absl::Duration timeout);

  boost::asio::any_io_executor executor() { return io_.get_executor(); }
  rocketmq::RemotingClient& client() { return *client_; }
  rocketmq::AdminClient& admin() { return *admin_; }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::unique_ptr<rocketmq::RemotingClient> client_;
  std::unique_ptr<rocketmq::AdminClient> admin_;
  std::thread thread_;
};

class AdminTestEnv {
 public:
  // `credentials` sign every request of the client (for brokers with ACL enabled).
  static absl::StatusOr<std::unique_ptr<AdminTestEnv>> Start(
      LocalRocketMQOptions options, rocketmq::AclCredentials credentials = {});
  ~AdminTestEnv();
  AdminTestEnv(const AdminTestEnv&) = delete;
  AdminTestEnv& operator=(const AdminTestEnv&) = delete;

  template <typename T>
  T Run(boost::asio::awaitable<T> work) {
    return session_->Run(std::move(work));
  }

  // Polls the name server until it lists the broker's address (a fresh broker registers some
  // seconds after "boot success"); DeadlineExceeded with the last answer after `timeout`.
  absl::Status WaitForRegistration(absl::Duration timeout = absl::Seconds(40)) {
    return session_->WaitForRegistration(namesrv(), broker(), timeout);
  }

  // The io thread's executor: the one the client and admin run on.
  boost::asio::any_io_executor executor() { return session_->executor(); }
  LocalRocketMQ& mq() { return *mq_; }
  rocketmq::RemotingClient& client() { return session_->client(); }
  rocketmq::AdminClient& admin() { return session_->admin(); }
  const std::string& broker() const { return mq_->broker_addr(); }
  const std::string& namesrv() const { return mq_->namesrv_addr(); }

 private:
  AdminTestEnv(std::unique_ptr<LocalRocketMQ> mq, rocketmq::AclCredentials credentials);

  std::unique_ptr<LocalRocketMQ> mq_;
  std::unique_ptr<AdminSession> session_;
};

}  // namespace rmq::testing
