#include "tests/support/admin_env.h"

namespace rmq::testing {

absl::StatusOr<std::unique_ptr<AdminTestEnv>> AdminTestEnv::Start(
    LocalRocketMQOptions options, rocketmq::AclCredentials credentials) {
  absl::StatusOr<std::unique_ptr<LocalRocketMQ>> mq = LocalRocketMQ::Start(std::move(options));
  if (!mq.ok()) return mq.status();
  return std::unique_ptr<AdminTestEnv>(new AdminTestEnv(*std::move(mq), std::move(credentials)));
}

AdminTestEnv::AdminTestEnv(std::unique_ptr<LocalRocketMQ> mq, rocketmq::AclCredentials credentials)
    : mq_(std::move(mq)), guard_(io_.get_executor()) {
  rocketmq::ClientOptions options;
  options.credentials = std::move(credentials);
  options.request_timeout = std::chrono::seconds(30);
  client_ = std::make_unique<rocketmq::RemotingClient>(io_.get_executor(), options);
  admin_ = std::make_unique<rocketmq::AdminClient>(*client_);
  thread_ = std::thread([this] { io_.run(); });
}

AdminTestEnv::~AdminTestEnv() {
  boost::asio::post(io_, [this] { client_->Shutdown(); });
  guard_.reset();
  thread_.join();
  admin_.reset();
  client_.reset();
  mq_.reset();
}

}  // namespace rmq::testing
