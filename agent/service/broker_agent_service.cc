#include "agent/service/broker_agent_service.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/metadata/metadata.h"
#include "agent/registration/registration.h"
#include "agent/service/grpc_status.h"
#include "agent/state/broker_state.h"
#include "agent/state/observe.h"
#include "common/base/status_macros.h"
#include "common/log/logger.h"
#include "common/net/blocking.h"

namespace rmq::agent {
namespace {

namespace asio = boost::asio;
using ::rocketmq::agent::v1::ExportMetadataRequest;
using ::rocketmq::agent::v1::ImportMetadataRequest;
using ::rocketmq::agent::v1::ImportMetadataResponse;
using ::rocketmq::agent::v1::ItemCounts;
using ::rocketmq::agent::v1::MetadataChunk;

// The local broker's cluster and name, from its config.
asio::awaitable<absl::StatusOr<BrokerNames>> ReadBrokerNames(rocketmq::AdminClient& admin,
                                                             std::string broker) {
  RMQ_CO_ASSIGN_OR_RETURN(rocketmq::BrokerConfig config, co_await admin.GetBrokerConfig(broker));
  BrokerNames names;
  if (auto it = config.properties.find("brokerClusterName"); it != config.properties.end()) {
    names.cluster = it->second;
  }
  if (auto it = config.properties.find("brokerName"); it != config.properties.end()) {
    names.broker_name = it->second;
  }
  co_return names;
}

// Streams the chunks computed on the broker's executor.
class ExportReactor final : public grpc::ServerWriteReactor<MetadataChunk> {
 public:
  ExportReactor(const asio::any_io_executor& executor, rocketmq::AdminClient& admin,
                std::string broker, ExportMetadataRequest request)
      : log_(log::Get("agent.service")) {
    asio::co_spawn(executor, Run(admin, std::move(broker), std::move(request)),
                   net::DieOnException);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "export stream broken by the client"));
      return;
    }
    WriteNext();
  }
  void OnDone() override { delete this; }

 private:
  asio::awaitable<void> Run(rocketmq::AdminClient& admin, std::string broker,
                            ExportMetadataRequest request) {
    absl::StatusOr<std::vector<MetadataChunk>> chunks =
        co_await Export(admin, std::move(broker), std::move(request));
    if (!chunks.ok()) {
      log_->warn("export failed: {}", chunks.status().ToString());
      Finish(ToGrpcStatus(chunks.status()));
      co_return;
    }
    chunks_ = *std::move(chunks);
    log_->info("export chunks={} topics={} groups={}", chunks_.size(),
               chunks_.back().summary().topics(), chunks_.back().summary().groups());
    WriteNext();
  }

  static asio::awaitable<absl::StatusOr<std::vector<MetadataChunk>>> Export(
      rocketmq::AdminClient& admin, std::string broker, ExportMetadataRequest request) {
    RMQ_CO_ASSIGN_OR_RETURN(BrokerNames names, co_await ReadBrokerNames(admin, broker));
    RMQ_CO_ASSIGN_OR_RETURN(rocketmq::TopicConfigTable topics,
                            co_await admin.GetAllTopicConfig(broker));
    RMQ_CO_ASSIGN_OR_RETURN(rocketmq::SubscriptionGroupTable groups,
                            co_await admin.GetAllSubscriptionGroups(broker));
    std::vector<rocketmq::ConsumerOffsets> offsets;
    if (request.include_consumer_offsets()) {
      RMQ_CO_ASSIGN_OR_RETURN(offsets, co_await admin.GetAllConsumerOffsets(broker));
    }
    co_return BuildExportChunks(topics, groups, names, request, offsets);
  }

  // Called by Run() once, then only from OnWriteDone(): one write in flight at a time.
  void WriteNext() {
    if (next_ < chunks_.size()) {
      StartWrite(&chunks_[next_++]);
    } else {
      Finish(grpc::Status::OK);
    }
  }

  std::shared_ptr<spdlog::logger> log_;
  std::vector<MetadataChunk> chunks_;
  size_t next_ = 0;
};

void AddCounts(ItemCounts& into, const rocketmq::BatchResult& r) {
  into.set_created(into.created() + static_cast<uint32_t>(r.created));
  into.set_updated(into.updated() + static_cast<uint32_t>(r.updated));
  into.set_unchanged(into.unchanged() + static_cast<uint32_t>(r.unchanged));
  into.set_failed(into.failed() + static_cast<uint32_t>(r.failed.size()));
}

// Collects the streamed chunks, then plans and applies the import on the broker's executor.
class ImportReactor final : public grpc::ServerReadReactor<ImportMetadataRequest> {
 public:
  ImportReactor(asio::any_io_executor executor, rocketmq::AdminClient& admin,
                const BrokerAgentConfig& config, ImportMetadataResponse* response)
      : executor_(std::move(executor)),
        admin_(admin),
        config_(config),
        response_(response),
        log_(log::Get("agent.service")) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client finished sending
      if (!saw_options_) {
        Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            "the import stream is empty: the first message must be options"));
        return;
      }
      asio::co_spawn(executor_, Apply(), net::DieOnException);
      return;
    }
    if (!saw_options_) {
      if (!request_.has_options()) {
        Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            "the first message of an import must be options"));
        return;
      }
      options_ = request_.options();
      saw_options_ = true;
    } else if (request_.has_options()) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "options may only be sent once, as the first message"));
      return;
    } else {
      const MetadataChunk& chunk = request_.chunk();
      if (topics_.size() + groups_.size() + offsets_.size() + chunk.topics_size() +
              chunk.groups_size() + chunk.offsets_size() >
          config_.max_import_items) {
        Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                            absl::StrCat("an import may carry at most ", config_.max_import_items,
                                         " topics, groups and offsets")));
        return;
      }
      topics_.insert(topics_.end(), chunk.topics().begin(), chunk.topics().end());
      groups_.insert(groups_.end(), chunk.groups().begin(), chunk.groups().end());
      offsets_.insert(offsets_.end(), chunk.offsets().begin(), chunk.offsets().end());
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  asio::awaitable<void> Apply() {
    absl::Status status = co_await ApplyImport();
    if (!status.ok()) log_->warn("import failed: {}", status.ToString());
    Finish(ToGrpcStatus(status));
  }

  asio::awaitable<absl::Status> ApplyImport() {
    const std::string& broker = config_.broker_addr;
    RMQ_CO_ASSIGN_OR_RETURN(BrokerNames names, co_await ReadBrokerNames(admin_, broker));
    if (!options_.expected_cluster().empty() && options_.expected_cluster() != names.cluster) {
      co_return absl::FailedPreconditionError(absl::StrCat(
          "this broker belongs to cluster '", names.cluster, "', not the expected cluster '",
          options_.expected_cluster(), "': nothing imported"));
    }
    RMQ_CO_ASSIGN_OR_RETURN(rocketmq::TopicConfigTable topics,
                            co_await admin_.GetAllTopicConfig(broker));
    RMQ_CO_ASSIGN_OR_RETURN(rocketmq::SubscriptionGroupTable groups,
                            co_await admin_.GetAllSubscriptionGroups(broker));
    ImportPlan plan = PlanImport(topics_, groups_, topics, groups, options_.existing());
    *response_->mutable_topics() = plan.topics;
    *response_->mutable_groups() = plan.groups;
    for (auto& f : plan.failures) *response_->add_failures() = std::move(f);
    response_->set_used_batch_requests(true);
    if (options_.dry_run()) {
      // Report what would be written as created/updated without writing.
      ItemCounts& t = *response_->mutable_topics();
      for (const auto& topic : plan.topics_to_write) {
        topics.topics.count(topic.topic_name) > 0 ? t.set_updated(t.updated() + 1)
                                                  : t.set_created(t.created() + 1);
      }
      ItemCounts& g = *response_->mutable_groups();
      for (const auto& group : plan.groups_to_write) {
        groups.groups.count(group.group_name) > 0 ? g.set_updated(g.updated() + 1)
                                                  : g.set_created(g.created() + 1);
      }
      // Offsets are planned against the tables as they are (the topics and groups above were not
      // written), so entries that need them report as failed in a dry run.
      co_return co_await ImportOffsets(topics, groups, /*dry_run=*/true);
    }
    if (!plan.topics_to_write.empty()) {
      RMQ_CO_ASSIGN_OR_RETURN(
          rocketmq::BatchResult r,
          co_await admin_.CreateTopics(broker, std::move(plan.topics_to_write)));
      AddCounts(*response_->mutable_topics(), r);
      AddFailures("topic", r);
      response_->set_used_batch_requests(r.batch_supported);
    }
    if (!plan.groups_to_write.empty()) {
      RMQ_CO_ASSIGN_OR_RETURN(
          rocketmq::BatchResult r,
          co_await admin_.CreateSubscriptionGroups(broker, std::move(plan.groups_to_write)));
      AddCounts(*response_->mutable_groups(), r);
      AddFailures("group", r);
      response_->set_used_batch_requests(response_->used_batch_requests() && r.batch_supported);
    }
    if (!offsets_.empty()) {
      // UPDATE_CONSUMER_OFFSET needs the topic and group: plan against the tables after the writes.
      RMQ_CO_ASSIGN_OR_RETURN(topics, co_await admin_.GetAllTopicConfig(broker));
      RMQ_CO_ASSIGN_OR_RETURN(groups, co_await admin_.GetAllSubscriptionGroups(broker));
      RMQ_CO_RETURN_IF_ERROR(co_await ImportOffsets(topics, groups, /*dry_run=*/false));
    }
    log_->info(
        "import topics(created={} updated={} unchanged={} kept={} failed={}) "
        "groups(created={} updated={} unchanged={} kept={} failed={}) "
        "offsets(created={} updated={} unchanged={} kept={} failed={})",
        response_->topics().created(), response_->topics().updated(),
        response_->topics().unchanged(), response_->topics().skipped_existing(),
        response_->topics().failed(), response_->groups().created(), response_->groups().updated(),
        response_->groups().unchanged(), response_->groups().skipped_existing(),
        response_->groups().failed(), response_->offsets().created(),
        response_->offsets().updated(), response_->offsets().unchanged(),
        response_->offsets().skipped_existing(), response_->offsets().failed());
    co_return absl::OkStatus();
  }

  // Plans the offsets against `topics`/`groups` and the broker's offset table, then writes them
  // (one UPDATE_CONSUMER_OFFSET per differing queue) unless dry_run. Counts per topic@group.
  asio::awaitable<absl::Status> ImportOffsets(const rocketmq::TopicConfigTable& topics,
                                              const rocketmq::SubscriptionGroupTable& groups,
                                              bool dry_run) {
    if (offsets_.empty()) co_return absl::OkStatus();
    const std::string& broker = config_.broker_addr;
    RMQ_CO_ASSIGN_OR_RETURN(std::vector<rocketmq::ConsumerOffsets> existing,
                            co_await admin_.GetAllConsumerOffsets(broker));
    OffsetPlan plan = PlanOffsetImport(offsets_, existing, topics, groups, options_.existing());
    ItemCounts& counts = *response_->mutable_offsets();
    counts = plan.counts;
    for (auto& f : plan.failures) *response_->add_failures() = std::move(f);
    std::vector<absl::Status> outcome(plan.entries.size());
    if (!dry_run) {
      for (const OffsetWrite& w : plan.writes) {
        if (!outcome[w.entry].ok()) continue;  // the entry failed already
        absl::Status s =
            co_await admin_.UpdateConsumerOffset(broker, w.group, w.topic, w.queue_id, w.offset);
        if (!s.ok()) outcome[w.entry] = s;
      }
    }
    for (size_t i = 0; i < plan.entries.size(); ++i) {
      if (!outcome[i].ok()) {
        counts.set_failed(counts.failed() + 1);
        auto* f = response_->add_failures();
        f->set_kind("offset");
        f->set_name(plan.entries[i].name);
        f->set_reason(std::string(outcome[i].message()));
      } else if (plan.entries[i].existed) {
        counts.set_updated(counts.updated() + 1);
      } else {
        counts.set_created(counts.created() + 1);
      }
    }
    co_return absl::OkStatus();
  }

  void AddFailures(const char* kind, const rocketmq::BatchResult& r) {
    for (const auto& [name, status] : r.failed) {
      auto* f = response_->add_failures();
      f->set_kind(kind);
      f->set_name(name);
      f->set_reason(std::string(status.message()));
    }
  }

  asio::any_io_executor executor_;
  rocketmq::AdminClient& admin_;
  const BrokerAgentConfig& config_;
  ImportMetadataResponse* response_;
  std::shared_ptr<spdlog::logger> log_;
  ImportMetadataRequest request_;
  bool saw_options_ = false;
  ::rocketmq::agent::v1::ImportOptions options_;
  std::vector<::rocketmq::agent::v1::TopicConfig> topics_;
  std::vector<::rocketmq::agent::v1::SubscriptionGroup> groups_;
  std::vector<::rocketmq::agent::v1::ConsumerOffset> offsets_;
};

// brokerPermission with the write bit set or cleared; read back to confirm. Setting it makes the
// broker re-register at once with topic perms masked by it, so producers stop (or resume) routing
// to this broker without waiting for the next periodic registration.
asio::awaitable<absl::StatusOr<int32_t>> ReadBrokerPermission(rocketmq::AdminClient& admin,
                                                              std::string broker) {
  RMQ_CO_ASSIGN_OR_RETURN(rocketmq::BrokerConfig config, co_await admin.GetBrokerConfig(broker));
  int32_t perm = 0;
  auto it = config.properties.find("brokerPermission");
  if (it == config.properties.end() || !absl::SimpleAtoi(it->second, &perm)) {
    co_return absl::DataLossError(
        absl::StrCat("broker ", broker, " reports no numeric brokerPermission"));
  }
  co_return perm;
}

asio::awaitable<absl::Status> SetWritePermission(
    rocketmq::AdminClient& admin, std::string broker, bool writable,
    ::rocketmq::agent::v1::SetWritePermissionResponse* out) {
  RMQ_CO_ASSIGN_OR_RETURN(int32_t before, co_await ReadBrokerPermission(admin, broker));
  const int32_t wanted =
      writable ? (before | rocketmq::kPermWrite) : (before & ~rocketmq::kPermWrite);
  out->set_previous_permission(before);
  if (wanted != before) {
    std::map<std::string, std::string> update;
    update.emplace("brokerPermission", absl::StrCat(wanted));
    RMQ_CO_RETURN_IF_ERROR(co_await admin.UpdateBrokerConfig(broker, std::move(update)));
  }
  RMQ_CO_ASSIGN_OR_RETURN(int32_t after, co_await ReadBrokerPermission(admin, broker));
  out->set_permission(after);
  if (after != wanted) {
    co_return absl::InternalError(absl::StrCat("broker ", broker, " kept brokerPermission ", after,
                                               " after being set to ", wanted));
  }
  co_return absl::OkStatus();
}

asio::awaitable<absl::Status> GetConsumerLag(rocketmq::AdminClient& admin, std::string broker,
                                             ::rocketmq::agent::v1::GetConsumerLagRequest request,
                                             ::rocketmq::agent::v1::GetConsumerLagResponse* out) {
  std::vector<std::string> groups(request.groups().begin(), request.groups().end());
  for (const std::string& g : groups) {
    if (absl::Status s = rocketmq::ValidateGroupName(g); !s.ok()) {
      co_return absl::InvalidArgumentError(absl::StrCat("groups: ", s.message()));
    }
  }
  if (!request.topic().empty()) {
    if (absl::Status s = rocketmq::ValidateTopicName(request.topic()); !s.ok()) {
      co_return absl::InvalidArgumentError(absl::StrCat("topic: ", s.message()));
    }
  }
  if (groups.empty()) {
    // Only groups with committed offsets here can lag: one table read instead of a consume-stats
    // request per subscription group (there may be tens of thousands).
    RMQ_CO_ASSIGN_OR_RETURN(std::vector<rocketmq::ConsumerOffsets> offsets,
                            co_await admin.GetAllConsumerOffsets(broker));
    std::set<std::string> with_offsets;
    for (const auto& o : offsets) {
      if (!IsSystemGroup(o.group) && (request.topic().empty() || o.topic == request.topic())) {
        with_offsets.insert(o.group);
      }
    }
    groups.assign(with_offsets.begin(), with_offsets.end());
  }
  for (const std::string& group : groups) {
    RMQ_CO_ASSIGN_OR_RETURN(rocketmq::ConsumeStats stats,
                            co_await admin.GetConsumeStats(broker, group, request.topic()));
    if (stats.offsets.empty()) continue;  // nothing consumed from this broker
    ::rocketmq::agent::v1::GroupLag* lag = out->add_groups();
    lag->set_group(group);
    lag->set_consume_tps(stats.consume_tps);
    ::rocketmq::agent::v1::TopicLag* topic = nullptr;
    for (const rocketmq::ConsumeOffset& o : stats.offsets) {  // sorted by topic, then queue
      if (topic == nullptr || topic->topic() != o.queue.topic) {
        topic = lag->add_topics();
        topic->set_topic(o.queue.topic);
      }
      ::rocketmq::agent::v1::QueueLag* q = topic->add_queues();
      q->set_queue_id(o.queue.queue_id);
      q->set_broker_offset(o.broker_offset);
      q->set_consumer_offset(o.consumer_offset);
      q->set_lag(std::max<int64_t>(0, o.lag()));
      q->set_last_consume_timestamp_ms(o.last_timestamp);
      topic->set_lag(topic->lag() + q->lag());
      lag->set_lag(lag->lag() + q->lag());
    }
  }
  co_return absl::OkStatus();
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string ConfigValue(const rocketmq::BrokerConfig& config, const std::string& key) {
  auto it = config.properties.find(key);
  return it == config.properties.end() ? "" : it->second;
}

// A steady-clock time as unix milliseconds (for the API).
int64_t UnixMs(std::chrono::steady_clock::time_point t) {
  return NowMs() +
         std::chrono::duration_cast<std::chrono::milliseconds>(t - std::chrono::steady_clock::now())
             .count();
}

void AddHandovers(const NameServerHandover& handover, ::rocketmq::agent::v1::BrokerState* out) {
  for (const HandoverInfo& h : handover.Snapshot()) {
    ::rocketmq::agent::v1::NameServerHandover* p = out->add_handovers();
    p->set_address(h.name_server);
    p->set_phase(h.phase == HandoverInfo::Phase::kRegistering
                     ? ::rocketmq::agent::v1::HANDOVER_PHASE_REGISTERING
                     : ::rocketmq::agent::v1::HANDOVER_PHASE_HOLDING);
    p->set_registrations(h.registrations);
    p->set_register_until_ms(UnixMs(h.register_until));
    if (h.phase == HandoverInfo::Phase::kHolding) p->set_close_at_ms(UnixMs(h.close_at));
    p->set_last_error(h.last_error);
  }
}

// How long UpdateNameServers may wait: until shortly before the call's deadline, so the answer
// still arrives, and at most a minute.
std::chrono::steady_clock::time_point WaitLimit(std::chrono::system_clock::time_point deadline) {
  const auto now = std::chrono::steady_clock::now();
  const auto cap = now + std::chrono::seconds(60);
  const auto left = deadline - std::chrono::system_clock::now() - std::chrono::milliseconds(500);
  if (left > std::chrono::seconds(60)) return cap;
  return now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(left);
}

}  // namespace

BrokerAgentService::BrokerAgentService(asio::any_io_executor executor, rocketmq::AdminClient& admin,
                                       BrokerAgentConfig config)
    : executor_(std::move(executor)),
      admin_(admin),
      config_(std::move(config)),
      handover_(std::make_unique<NameServerHandover>(executor_, admin_, config_.broker_addr,
                                                     config_.name_server_client)) {}

void BrokerAgentService::Shutdown() { handover_->Stop(); }

asio::awaitable<absl::Status> BrokerAgentService::NameServers(
    ::rocketmq::agent::v1::UpdateNameServersRequest request,
    std::chrono::system_clock::time_point deadline,
    ::rocketmq::agent::v1::UpdateNameServersResponse* out) {
  const auto started = std::chrono::steady_clock::now();
  const std::vector<std::string> wanted(request.name_servers().begin(),
                                        request.name_servers().end());
  RMQ_CO_RETURN_IF_ERROR(ValidateNameServerList(wanted));
  const std::string& broker = config_.broker_addr;
  RMQ_CO_ASSIGN_OR_RETURN(rocketmq::BrokerConfig config, co_await admin_.GetBrokerConfig(broker));
  const std::string current = ConfigValue(config, "namesrvAddr");
  for (const std::string& ns : SplitNameServers(current)) out->add_previous_name_servers(ns);
  if (out->previous_name_servers().empty()) {
    co_return absl::FailedPreconditionError(
        "the broker was started without namesrvAddr, so it never re-reads its name-server list "
        "at runtime: restart it with the new list");
  }
  if (ConfigValue(config, "fetchNamesrvAddrByAddressServer") == "true") {
    co_return absl::FailedPreconditionError(
        "the broker fetches its name-server list from an address server "
        "(fetchNamesrvAddrByAddressServer=true); change the list there");
  }
  RMQ_CO_ASSIGN_OR_RETURN(auto runtime, co_await admin_.GetBrokerRuntimeInfo(broker));
  RMQ_CO_ASSIGN_OR_RETURN(BrokerRegistration self,
                          RegistrationFromBroker(config.properties, runtime, {}));
  const HandoverTimings timings = TimingsFromBrokerConfig(config.properties);

  const std::string joined = JoinNameServers(wanted);
  out->set_config_changed(joined != current);
  if (out->config_changed()) {
    cached_state_.reset();
    std::map<std::string, std::string> update;
    update.emplace("namesrvAddr", joined);
    RMQ_CO_RETURN_IF_ERROR(co_await admin_.UpdateBrokerConfig(broker, std::move(update)));
    RMQ_CO_ASSIGN_OR_RETURN(rocketmq::BrokerConfig after, co_await admin_.GetBrokerConfig(broker));
    if (ConfigValue(after, "namesrvAddr") != joined) {
      co_return absl::InternalError(absl::StrCat("broker kept namesrvAddr '",
                                                 ConfigValue(after, "namesrvAddr"),
                                                 "' after it was set to '", joined, "'"));
    }
    log::Get("agent.service")->info("namesrvAddr '{}' -> '{}'", current, joined);
  }
  handover_->StopExcept(std::set<std::string>(wanted.begin(), wanted.end()));

  // A name server new to the broker waits for its list refresh, at an unknown phase of its
  // period: assume the worst, from when it entered the list (added_at_). One listed already
  // that this agent did not add (the broker booted with it and has not registered yet, or this
  // agent restarted since it added it): the broker's client may not have it yet either, so the
  // worst case again, from now. Registering on the broker's behalf for longer than needed costs
  // one request per reregister_every; stopping too early would drop the broker there.
  const std::set<std::string> previous(out->previous_name_servers().begin(),
                                       out->previous_name_servers().end());
  const auto now = std::chrono::steady_clock::now();
  for (auto it = added_at_.begin(); it != added_at_.end();) {
    it = std::find(wanted.begin(), wanted.end(), it->first) == wanted.end() ? added_at_.erase(it)
                                                                            : std::next(it);
  }
  for (const std::string& ns : wanted) {
    if (previous.count(ns) == 0) added_at_.emplace(ns, now);
  }
  const auto limit = WaitLimit(deadline);
  asio::steady_timer pause(executor_);
  for (;;) {
    out->clear_registrations();
    bool all = true;
    for (const std::string& ns : wanted) {
      ::rocketmq::agent::v1::NameServerRegistration* reg = out->add_registrations();
      reg->set_address(ns);
      absl::StatusOr<rocketmq::ClusterInfo> info = co_await admin_.GetBrokerClusterInfo(ns);
      if (info.ok() &&
          !IsRegistered(*info, self.cluster, self.broker_name, self.broker_id, self.broker_addr)) {
        auto added = added_at_.find(ns);
        const auto until = (added != added_at_.end() ? added->second : now) + timings.Takeover();
        absl::Status s = co_await handover_->Start(ns, until, timings);
        if (!s.ok()) {
          info = absl::Status(s.code(),
                              absl::StrCat("registering the broker there failed: ", s.message()));
        } else {
          info = co_await admin_.GetBrokerClusterInfo(ns);
        }
      }
      if (!info.ok()) {
        reg->set_error(std::string(info.status().message()));
      } else {
        reg->set_registered(
            IsRegistered(*info, self.cluster, self.broker_name, self.broker_id, self.broker_addr));
      }
      all = all && reg->registered();
    }
    if (all) {
      out->set_all_registered(true);
      out->set_registered_after_ms(
          static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - started)
                                    .count()));
      break;
    }
    if (!request.wait_for_registration() ||
        std::chrono::steady_clock::now() + std::chrono::milliseconds(500) >= limit) {
      break;
    }
    pause.expires_after(std::chrono::milliseconds(500));
    boost::system::error_code ec;
    co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return absl::OkStatus();
}

grpc::ServerWriteReactor<MetadataChunk>* BrokerAgentService::ExportMetadata(
    grpc::CallbackServerContext* /*context*/, const ExportMetadataRequest* request) {
  return new ExportReactor(executor_, admin_, config_.broker_addr, *request);
}

grpc::ServerUnaryReactor* BrokerAgentService::RunUnary(grpc::CallbackServerContext* context,
                                                       asio::awaitable<absl::Status> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  asio::co_spawn(executor_, std::move(work),
                 [reactor](const std::exception_ptr& error, const absl::Status& status) {
                   net::DieOnException(error);
                   reactor->Finish(ToGrpcStatus(status));
                 });
  return reactor;
}

asio::awaitable<absl::Status> BrokerAgentService::BrokerState(
    uint32_t max_age_ms, bool registrations, ::rocketmq::agent::v1::BrokerState* response) {
  const bool fresh = cached_state_.has_value() && max_age_ms > 0 &&
                     (cached_with_registrations_ || !registrations) &&
                     NowMs() - cached_state_->observed_at_ms() <= max_age_ms;
  if (!fresh) {
    BrokerObservation observation =
        co_await ObserveBroker(admin_, config_.broker_addr, {.registrations = registrations});
    cached_state_ = BuildBrokerState(observation);
    cached_with_registrations_ = registrations;
  }
  *response = *cached_state_;
  if (!registrations) response->clear_registrations();
  AddHandovers(*handover_, response);
  co_return absl::OkStatus();
}

asio::awaitable<absl::Status> BrokerAgentService::WritePermission(
    bool writable, ::rocketmq::agent::v1::SetWritePermissionResponse* response) {
  cached_state_.reset();  // the state changes with the permission
  absl::Status s =
      co_await rmq::agent::SetWritePermission(admin_, config_.broker_addr, writable, response);
  if (s.ok()) {
    log::Get("agent.service")
        ->info("write permission writable={} before={} now={}", writable,
               response->previous_permission(), response->permission());
  }
  co_return s;
}

grpc::ServerUnaryReactor* BrokerAgentService::GetBrokerState(
    grpc::CallbackServerContext* context,
    const ::rocketmq::agent::v1::GetBrokerStateRequest* request,
    ::rocketmq::agent::v1::BrokerState* response) {
  return RunUnary(context,
                  BrokerState(request->max_age_ms(), request->check_registrations(), response));
}

grpc::ServerUnaryReactor* BrokerAgentService::UpdateNameServers(
    grpc::CallbackServerContext* context,
    const ::rocketmq::agent::v1::UpdateNameServersRequest* request,
    ::rocketmq::agent::v1::UpdateNameServersResponse* response) {
  return RunUnary(context, NameServers(*request, context->deadline(), response));
}

grpc::ServerUnaryReactor* BrokerAgentService::SetWritePermission(
    grpc::CallbackServerContext* context,
    const ::rocketmq::agent::v1::SetWritePermissionRequest* request,
    ::rocketmq::agent::v1::SetWritePermissionResponse* response) {
  return RunUnary(context, WritePermission(request->writable(), response));
}

grpc::ServerUnaryReactor* BrokerAgentService::GetConsumerLag(
    grpc::CallbackServerContext* context,
    const ::rocketmq::agent::v1::GetConsumerLagRequest* request,
    ::rocketmq::agent::v1::GetConsumerLagResponse* response) {
  return RunUnary(context,
                  rmq::agent::GetConsumerLag(admin_, config_.broker_addr, *request, response));
}

grpc::ServerReadReactor<ImportMetadataRequest>* BrokerAgentService::ImportMetadata(
    grpc::CallbackServerContext* /*context*/, ImportMetadataResponse* response) {
  return new ImportReactor(executor_, admin_, config_, response);
}

}  // namespace rmq::agent
