#include "common/k8s/leader_election.h"

#include <ctime>

#include "absl/strings/str_format.h"

namespace rmq::k8s {

using Json = nlohmann::json;

LeaseRecord LeaseRecordFromJson(const Json& lease) {
  LeaseRecord r;
  if (!lease.is_object()) return r;
  auto spec = lease.find("spec");
  if (spec == lease.end() || !spec->is_object()) return r;
  auto str = [&](const char* key) {
    auto it = spec->find(key);
    return it != spec->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto num = [&](const char* key) {
    auto it = spec->find(key);
    return it != spec->end() && it->is_number_integer() ? it->get<int32_t>() : 0;
  };
  r.holder = str("holderIdentity");
  r.duration_s = num("leaseDurationSeconds");
  r.acquire_time = str("acquireTime");
  r.renew_time = str("renewTime");
  r.transitions = num("leaseTransitions");
  return r;
}

Json LeaseSpecToJson(const LeaseRecord& r) {
  return Json{{"holderIdentity", r.holder},
              {"leaseDurationSeconds", r.duration_s},
              {"acquireTime", r.acquire_time},
              {"renewTime", r.renew_time},
              {"leaseTransitions", r.transitions}};
}

std::string MicroTime(std::chrono::system_clock::time_point t) {
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  const auto seconds = static_cast<std::time_t>(micros / 1'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                         static_cast<int>(micros % 1'000'000));
}

LeaderElection::Step LeaderElection::Decide(const std::optional<LeaseRecord>& current,
                                            TimePoint now,
                                            std::chrono::system_clock::time_point wall_now) {
  const std::string stamp = MicroTime(wall_now);
  Step step;
  step.record.holder = config_.identity;
  step.record.duration_s = static_cast<int32_t>(config_.lease_duration.count());
  step.record.renew_time = stamp;
  if (!current.has_value()) {
    step.write = Write::kCreate;
    step.record.acquire_time = stamp;
    return step;
  }
  if (!observed_.has_value() || !(*observed_ == *current)) {
    observed_ = current;
    observed_at_ = now;
  }
  const bool ours = current->holder == config_.identity;
  const auto duration =
      current->duration_s > 0 ? std::chrono::seconds(current->duration_s) : config_.lease_duration;
  if (!ours && !current->holder.empty() && now < observed_at_ + duration) {
    return step;  // held by someone else and still fresh: wait
  }
  step.write = Write::kUpdate;
  if (ours) {
    step.record.acquire_time = current->acquire_time;
    step.record.transitions = current->transitions;
  } else {
    step.record.acquire_time = stamp;
    step.record.transitions = current->transitions + 1;
  }
  return step;
}

void LeaderElection::Written(const LeaseRecord& record, TimePoint now) {
  observed_ = record;
  observed_at_ = now;
  renewed_at_ = now;
}

bool LeaderElection::Leading(TimePoint now) const {
  return renewed_at_.has_value() && now < *renewed_at_ + config_.renew_deadline;
}

}  // namespace rmq::k8s
