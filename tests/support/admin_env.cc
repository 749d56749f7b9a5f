#include "tests/support/admin_env.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace rmq::testing {

absl::StatusOr<std::unique_ptr<AdminTestEnv>> AdminTestEnv::Start(
    LocalRocketMQOptions options, rocketmq::AclCredentials credentials) {
  absl::StatusOr<std::unique_ptr<LocalRocketMQ>> mq = LocalRocketMQ::Start(std::move(options));
  if (!mq.ok()) return mq.status();
  return std::unique_ptr<AdminTestEnv>(new AdminTestEnv(*std::move(mq), std::move(credentials)));
}

AdminTestEnv::AdminTestEnv(std::unique_ptr<LocalRocketMQ> mq, rocketmq::AclCredentials credentials)
    : mq_(std::move(mq)), session_(std::make_unique<AdminSession>(std::move(credentials))) {}

AdminTestEnv::~AdminTestEnv() {
  session_.reset();  // the client first: it talks to the broker
  mq_.reset();
}

AdminSession::AdminSession(rocketmq::AclCredentials credentials) : guard_(io_.get_executor()) {
  rocketmq::ClientOptions options;
  options.credentials = std::move(credentials);
  options.request_timeout = std::chrono::seconds(30);
  client_ = std::make_unique<rocketmq::RemotingClient>(io_.get_executor(), options);
  admin_ = std::make_unique<rocketmq::AdminClient>(*client_);
  thread_ = std::thread([this] { io_.run(); });
}

absl::Status AdminSession::WaitForRegistration(const std::string& namesrv,
                                               const std::string& broker, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Status last = absl::NotFoundError("not asked yet");
  while (absl::Now() < deadline) {
    absl::StatusOr<rocketmq::ClusterInfo> info = Run(admin_->GetBrokerClusterInfo(namesrv));
    if (info.ok()) {
      for (const auto& [name, data] : info->brokers) {
        for (const auto& [id, addr] : data.broker_addrs) {
          if (addr == broker) return absl::OkStatus();
        }
      }
      last = absl::NotFoundError(absl::StrCat("name server lists ", info->brokers.size(),
                                              " broker names, none at ", broker));
    } else {
      last = info.status();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return absl::DeadlineExceededError(absl::StrCat("broker ", broker, " not registered on ", namesrv,
                                                  " after ", absl::FormatDuration(timeout), ": ",
                                                  last.ToString()));
}

AdminSession::~AdminSession() {
  boost::asio::post(io_, [this] { client_->Shutdown(); });
  guard_.reset();
  thread_.join();
  admin_.reset();
  client_.reset();
}

}  // namespace rmq::testing
