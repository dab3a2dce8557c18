// Azure Resource Manager's long-running-operation status documents (the Azure-AsyncOperation URL
// a PUT answers with, polled until Succeeded/Failed/Canceled) and its Activity Log event pages
// (what tells a Spot eviction from a delete), on arbitrary bytes, through ArmCompute itself:
// - launch(): the resource group and network are created at once, the VM PUT answers 201 with an
//   Azure-AsyncOperation URL, and every poll of that URL (and the VM GET after it) gets the input;
// - describe() of a VM that is gone: the VM list is empty and the Activity Log answers the input.
// Nothing crashes or throws; every Error names an ARM operation; a described VM is always reported
// (Terminated, its own id) whatever the Activity Log says.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "FuzzChecks.h"
#include "core/auth/TokenSource.h"
#include "core/cloud/azure/ArmCompute.h"
#include "core/http/HttpClient.h"
#include "core/http/Retry.h"

namespace {

using namespace spotwise;

constexpr std::string_view kOperationUrl = "https://management.azure.com/subscriptions/sub/providers/Microsoft.Compute/"
                                           "locations/eastus/operations/op-1?api-version=2023-03-01";

/** ARM as far as the fuzz input goes: fixed answers for the set-up calls, the input for the rest. */
class ScriptedArm final : public http::HttpClient {
 public:
  explicit ScriptedArm(std::string body) : m_body(std::move(body)) {}
  Result<http::Response> send(const http::Request& request) override {
    const http::Headers json{{"Content-Type", "application/json"}};
    const std::string& url = request.url;
    if (url.find("/eventtypes/management/values") != std::string::npos) {
      // The first page is the input; a nextLink it names gets an empty last page.
      const bool first = !m_activitySent;
      m_activitySent = true;
      return http::Response{200, json, first ? m_body : std::string(R"({"value":[]})")};
    }
    if (url.find("/operations/") != std::string::npos) {
      http::Headers headers = json;
      if (!m_body.empty()) headers.emplace_back("Retry-After", std::to_string(static_cast<unsigned char>(m_body[0]) % 70));
      return http::Response{200, headers, m_body};
    }
    if (request.method == "PUT" && url.find("/virtualMachines/") != std::string::npos) {
      http::Headers headers = json;
      headers.emplace_back("Azure-AsyncOperation", std::string(kOperationUrl));
      return http::Response{201, headers, "{}"};
    }
    if (request.method == "GET" && url.find("/virtualMachines/") != std::string::npos) return http::Response{200, json, m_body};
    if (request.method == "GET") return http::Response{200, json, R"({"value":[]})"};  // the VM list
    return http::Response{200, json, "{}"};  // resource group and network PUT, cleanup DELETE
  }

 private:
  std::string m_body;
  bool m_activitySent = false;
};

class FixedToken final : public auth::TokenSource {
 public:
  Result<std::string> accessToken(const std::stop_token&) override { return std::string("token"); }
  void invalidate(std::string_view) override {}
};

/** Never sleeps: an operation still running after one poll ends the launch as Cancelled. */
class NoSleep final : public http::Sleeper {
 public:
  bool sleepFor(std::chrono::milliseconds, const std::stop_token&) override { return false; }
};

void checkArmError(const Error& error) {
  fuzz::checkError(error);
  for (const std::string_view operation : {"ResourceGroups.CreateOrUpdate", "VirtualNetworks.CreateOrUpdate",
                                           "VirtualMachines.CreateOrUpdate", "VirtualMachines.Get",
                                           "VirtualMachines.ListAll", "ActivityLogs.List"}) {
    if (error.message.starts_with(operation)) return;
  }
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(fuzz::asText(data, size));
  FixedToken token;
  NoSleep sleeper;
  cloud::azure::ArmSettings settings;
  settings.subscriptionId = "sub";
  settings.sshPublicKey = "ssh-ed25519 AAAA fuzz";
  settings.tokens = &token;

  {
    ScriptedArm client(body);
    cloud::Transport transport = cloud::realTransport(client);
    transport.retry.maxAttempts = 1;
    transport.sleeper = &sleeper;
    cloud::azure::ArmCompute arm(settings, transport);
    cloud::LaunchSpec spec;
    spec.jobId = "j";
    spec.attempt = 1;
    spec.region = "eastus";
    spec.instanceType = "Standard_NC4as_T4_v3";
    spec.startupScript = "#!/bin/sh\n";
    if (const auto launched = arm.launch(spec, cloud::CallOptions{}); !launched) checkArmError(launched.error());
  }
  {
    ScriptedArm client(body);
    cloud::Transport transport = cloud::realTransport(client);
    transport.retry.maxAttempts = 1;
    transport.sleeper = &sleeper;
    cloud::azure::ArmCompute arm(settings, transport);
    const auto described = arm.describe({{"eastus", "spotwise-j-1"}}, cloud::CallOptions{});
    if (!described) std::abort();  // the Activity Log only refines why a VM is gone
    if (described->size() != 1) std::abort();
    const auto& gone = described->front();
    if (gone.id != "spotwise-j-1" || gone.state != cloud::InstanceState::Terminated || gone.stateMessage.empty()) std::abort();
  }
  return 0;
}
