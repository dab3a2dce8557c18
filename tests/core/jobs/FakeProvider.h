#pragma once

#include <functional>

// In-memory test double of the cloud::Provider port for the controller's state-machine tests:
// instances and objects live in maps, every call is counted, and the test plays both "the cloud"
// (preempt, fail a launch, be slow to terminate) and "the agent" (write status.json).
// End-to-end tests use the real Local provider instead.

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "core/cloud/Provider.h"
#include "core/jobs/Clock.h"
#include "core/jobs/Controller.h"

namespace spotwise::test {

class FakeProvider final : public cloud::Provider, public cloud::ComputeService, public cloud::ObjectStore {
 public:
  explicit FakeProvider(const jobs::Clock& clock, std::string id = "aws") : m_clock(clock), m_id(std::move(id)) {}

  // --- what the test controls ---
  std::deque<Error> launchErrors;      ///< returned by the next launches, in order
  bool launchThenFailTransient = false;///< the next launch starts an instance but answers Unavailable
  int describesUntilTerminated = 0;    ///< terminate → Stopping for this many describes, then Terminated
  bool honourClientToken = true;

  // --- what the test reads ---
  std::map<std::string, int> calls;    ///< per method: launch, describe, listByTag, terminate, get, put, ...
  std::vector<cloud::LaunchSpec> launches;
  std::map<std::string, cloud::Instance> instances;
  std::map<std::string, std::string> objects;

  int totalCalls() const {
    int n = 0;
    for (const auto& [k, v] : calls) n += v;
    return n;
  }
  void resetCalls() { calls.clear(); }
  std::vector<cloud::Instance> running() const {
    std::vector<cloud::Instance> out;
    for (const auto& [id, i] : instances) {
      if (i.state != cloud::InstanceState::Terminated) out.push_back(i);
    }
    return out;
  }
  /** The cloud reclaims a spot instance. */
  void reclaim(const std::string& id) {
    auto& i = instances.at(id);
    i.state = cloud::InstanceState::Terminated;
    i.endReason = cloud::EndReason::SpotInterruption;
    i.stateMessage = "Server.SpotInstanceTermination";
  }
  /** Adds an instance as if launched earlier (for reconciliation tests). */
  cloud::Instance& addInstance(const std::string& jobId, int attempt, std::string region = "us-east-1") {
    cloud::Instance i;
    i.id = "i-" + std::to_string(++m_next);
    i.region = std::move(region);
    i.zone = i.region + "a";
    i.instanceType = "g4dn.xlarge";
    i.state = cloud::InstanceState::Running;
    i.jobId = jobId;
    i.attempt = attempt;
    i.launchedAtUnix = m_clock.nowMs() / 1000;
    return instances[i.id] = i;
  }

  // --- Provider ---
  std::string_view id() const override { return m_id; }
  cloud::ComputeService& compute() override { return *this; }
  cloud::ObjectStore& storage() override { return *this; }
  Result<cloud::InstanceAccess> issueInstanceAccess(std::string_view, std::string_view prefix, std::int64_t expires,
                                                    const cloud::CallOptions&) override {
    ++calls["issueInstanceAccess"];
    return cloud::InstanceAccess{"instance-role", {{"prefix", std::string(prefix)}}, expires};
  }

  // --- ComputeService ---
  Result<cloud::Instance> launch(const cloud::LaunchSpec& spec, const cloud::CallOptions&) override {
    ++calls["launch"];
    launches.push_back(spec);
    if (!launchErrors.empty()) {
      Error e = launchErrors.front();
      launchErrors.pop_front();
      return e;
    }
    if (honourClientToken) {
      for (const auto& [id, i] : instances) {
        if (m_tokens[id] == spec.clientToken()) return i;
      }
    }
    auto& i = addInstance(spec.jobId, spec.attempt, spec.region);
    i.instanceType = spec.instanceType;
    i.spot = spec.spot;
    if (!spec.zone.empty()) i.zone = spec.zone;
    m_tokens[i.id] = spec.clientToken();
    if (launchThenFailTransient) {
      launchThenFailTransient = false;
      return makeError(ErrorCode::Unavailable, "RunInstances: connection reset");
    }
    return i;
  }
  Result<std::vector<cloud::Instance>> describe(const std::vector<cloud::InstanceRef>& refs,
                                                const cloud::CallOptions&) override {
    std::map<std::string, int> regions;
    for (const auto& r : refs) regions[r.region] = 1;
    calls["describe"] += static_cast<int>(regions.size());  // one call per region, as real providers batch
    std::vector<cloud::Instance> out;
    for (const auto& r : refs) {
      auto it = instances.find(r.id);
      if (it == instances.end()) continue;
      auto& i = it->second;
      if (i.state == cloud::InstanceState::Stopping && --m_stopping[i.id] <= 0) {
        i.state = cloud::InstanceState::Terminated;
      }
      out.push_back(i);
    }
    return out;
  }
  Result<std::vector<cloud::Instance>> listByTag(std::string_view jobId, const std::vector<std::string>&,
                                                 const cloud::CallOptions&) override {
    ++calls["listByTag"];
    std::vector<cloud::Instance> out;
    for (const auto& [id, i] : instances) {
      if (jobId.empty() || i.jobId == jobId) out.push_back(i);
    }
    return out;
  }
  Result<void> terminate(const std::vector<cloud::InstanceRef>& refs, const cloud::CallOptions&) override {
    ++calls["terminate"];
    for (const auto& r : refs) {
      auto it = instances.find(r.id);
      if (it == instances.end() || it->second.state == cloud::InstanceState::Terminated) continue;
      if (describesUntilTerminated > 0) {
        if (it->second.state != cloud::InstanceState::Stopping) m_stopping[r.id] = describesUntilTerminated;
        it->second.state = cloud::InstanceState::Stopping;
      } else {
        it->second.state = cloud::InstanceState::Terminated;
      }
      if (it->second.endReason == cloud::EndReason::None) it->second.endReason = cloud::EndReason::User;
    }
    return {};
  }

  // --- ObjectStore ---
  Result<void> put(std::string_view key, std::string_view bytes, const cloud::CallOptions&) override {
    ++calls["put"];
    objects[std::string(key)] = std::string(bytes);
    return {};
  }
  Result<void> putFile(std::string_view key, const std::filesystem::path&, const cloud::CallOptions&) override {
    ++calls["putFile"];
    objects[std::string(key)] = "file";
    return {};
  }
  Result<std::string> get(std::string_view key, const cloud::CallOptions&) override {
    ++calls["get"];
    auto it = objects.find(std::string(key));
    if (it == objects.end()) return makeError(ErrorCode::NotFound, "GetObject: no " + std::string(key));
    return it->second;
  }
  Result<void> getFile(std::string_view, const std::filesystem::path&, const cloud::CallOptions&) override {
    return makeError(ErrorCode::Internal, "not used");
  }
  Result<cloud::ObjectInfo> head(std::string_view key, const cloud::CallOptions&) override {
    ++calls["head"];
    auto it = objects.find(std::string(key));
    if (it == objects.end()) return makeError(ErrorCode::NotFound, "HeadObject: no " + std::string(key));
    return cloud::ObjectInfo{std::string(key), it->second.size(), "", 0};
  }
  Result<std::vector<cloud::ObjectInfo>> list(std::string_view prefix, const cloud::CallOptions&) override {
    ++calls["list"];
    std::vector<cloud::ObjectInfo> out;
    for (const auto& [k, v] : objects) {
      if (k.starts_with(prefix)) out.push_back({k, v.size(), "", 0});
    }
    return out;
  }
  Result<void> remove(std::string_view key, const cloud::CallOptions&) override {
    ++calls["remove"];
    objects.erase(std::string(key));
    return {};
  }

 private:
  const jobs::Clock& m_clock;
  std::string m_id;
  int m_next = 0;
  std::map<std::string, std::string> m_tokens;
  std::map<std::string, int> m_stopping;
};

/** One provider for every spec. */
class SingleProviderDirectory final : public jobs::ProviderDirectory {
 public:
  explicit SingleProviderDirectory(cloud::Provider& p) : m_provider(p) {}
  Result<cloud::Provider*> providerFor(const jobs::JobSpec&) override { return &m_provider; }
  std::vector<cloud::Provider*> allProviders() override { return {&m_provider}; }
  Result<std::optional<jobs::SpotPriceQuote>> currentSpotPrice(const jobs::JobSpec&,
                                                                const ledger::AttemptRecord& attempt) override {
    ++priceCalls;
    if (spotPrice) return spotPrice(attempt);
    return std::optional<jobs::SpotPriceQuote>();
  }
  double billingTimeLapse(const jobs::JobSpec&) override { return timeLapse; }

  /** The price the provider publishes now (unset: none). */
  std::function<Result<std::optional<jobs::SpotPriceQuote>>(const ledger::AttemptRecord&)> spotPrice;
  int priceCalls = 0;
  double timeLapse = 1.0;

 private:
  cloud::Provider& m_provider;
};

/** Uploads a placeholder bundle and writes a script naming the attempt. */
class FakeBootstrapper final : public jobs::JobBootstrapper {
 public:
  Error packageError{ErrorCode::Internal, "", std::nullopt, {}, std::nullopt};
  bool failPackage = false;
  std::int64_t lastDeadlineUnix = 0;
  Result<void> package(const jobs::JobSpec&, std::string_view, std::string_view prefix, cloud::ObjectStore& store,
                       const cloud::CallOptions& options) override {
    if (failPackage) return packageError;
    return store.put(std::string(prefix) + "/code.tar.gz", "tgz", options);
  }
  Result<std::string> startupScript(const jobs::JobSpec&, std::string_view jobId, int attempt, std::string_view,
                                    const cloud::InstanceAccess&, std::int64_t deadlineUnix) override {
    lastDeadlineUnix = deadlineUnix;
    return "#!/bin/sh\n# agent for " + std::string(jobId) + " attempt " + std::to_string(attempt) + "\n";
  }
};

}  // namespace spotwise::test
