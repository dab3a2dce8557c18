// The JSON bodies of the GCE and ARM compute APIs (instances, aggregated lists, zone operations,
// error documents; ARM's VM list through ArmCompute itself) on arbitrary bytes: nothing crashes,
// every Error names its operation, every instance it reports has an id.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "FuzzChecks.h"
#include "core/auth/TokenSource.h"
#include "core/cloud/azure/ArmCompute.h"
#include "core/cloud/gcp/GceApi.h"
#include "core/http/HttpClient.h"

namespace {

using namespace spotwise;

void checkNamed(const Error& error, std::string_view operation) {
  if (!error.message.starts_with(operation)) std::abort();
}

/** Answers the first request with the fuzz input (200, JSON), every later one with an empty list. */
class OneAnswerClient final : public http::HttpClient {
 public:
  explicit OneAnswerClient(std::string body) : m_body(std::move(body)) {}
  Result<http::Response> send(const http::Request&) override {
    http::Response response{200, {{"Content-Type", "application/json"}}, m_sent ? std::string(R"({"value":[]})") : m_body};
    m_sent = true;
    return response;
  }

 private:
  std::string m_body;
  bool m_sent = false;
};

class FixedToken final : public auth::TokenSource {
 public:
  Result<std::string> accessToken(const std::stop_token&) override { return std::string("token"); }
  void invalidate(std::string_view) override {}
};

void checkInstances(const std::vector<cloud::Instance>& instances) {
  for (const auto& instance : instances) {
    if (instance.id.empty()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace gce = cloud::gcp;
  const auto text = fuzz::asText(data, size);
  if (const auto instance = gce::parseInstance(text); fuzz::acceptedOrExplained(instance)) checkInstances({*instance});
  if (const auto page = gce::parseAggregatedInstances(text); fuzz::acceptedOrExplained(page)) checkInstances(page->instances);
  if (const auto op = gce::parseOperation(text, "instances.insert"); fuzz::acceptedOrExplained(op) && op->error) {
    checkNamed(*op->error, "instances.insert");
  }
  (void)fuzz::acceptedOrExplained(gce::parsePreemptedTargets(text));
  const int status = size > 0 ? 400 + data[0] % 200 : 500;
  const http::Response response{status, {{"Content-Type", "application/json"}}, std::string(text)};
  checkNamed(gce::gceError("instances.insert", response), "instances.insert");
  checkNamed(cloud::azure::armError("VirtualMachines.CreateOrUpdate", response), "VirtualMachines.CreateOrUpdate");

  OneAnswerClient client{std::string(text)};
  FixedToken token;
  cloud::Transport transport = cloud::realTransport(client);
  transport.retry.maxAttempts = 1;
  cloud::azure::ArmSettings settings;
  settings.subscriptionId = "sub";
  settings.tokens = &token;
  cloud::azure::ArmCompute arm(settings, transport);
  if (const auto listed = arm.listByTag("job", {}, cloud::CallOptions{}); fuzz::acceptedOrExplained(listed)) {
    checkInstances(*listed);
  }
  return 0;
}
