#include "core/jobs/CloudAccounts.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace spotwise::jobs {

namespace {

/** The regions AWS sells GPU spot capacity in that Spotwise's catalog covers (reconciliation lists them all). */
const std::vector<std::string> kAwsGpuRegions = {"us-east-1", "us-east-2", "us-west-2", "eu-west-1",
                                                 "eu-central-1", "ap-northeast-1", "ap-southeast-2"};

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto first = item.find_first_not_of(" \t");
    const auto last = item.find_last_not_of(" \t");
    if (first != std::string::npos) out.push_back(item.substr(first, last - first + 1));
  }
  return out;
}

/** `field` stays when set; else the first variable that is set; else `fallback`. */
void fill(std::string& field, const EnvironmentLookup& env, std::initializer_list<const char*> names,
          std::string_view fallback = {}) {
  if (!field.empty()) return;
  for (const char* name : names) {
    if (auto v = env(name); v && !v->empty()) {
      field = *v;
      return;
    }
  }
  field = std::string(fallback);
}

std::string firstSshPublicKey(const EnvironmentLookup& env) {
  const auto home = env("HOME");
  if (!home) return {};
  for (const char* name : {"id_ed25519.pub", "id_rsa.pub", "id_ecdsa.pub"}) {
    std::ifstream in(std::filesystem::path(*home) / ".ssh" / name);
    std::string line;
    if (in && std::getline(in, line) && line.starts_with("ssh-")) return line;
  }
  return {};
}

}  // namespace

EnvironmentLookup processEnvironmentLookup() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value || !*value) return std::nullopt;
    return std::string(value);
  };
}

CloudSettings completeCloudSettings(CloudSettings s, const EnvironmentLookup& env) {
  auto& a = s.aws;
  fill(a.region, env, {"AWS_REGION", "AWS_DEFAULT_REGION"});  // the profile's region is applied when credentials resolve
  fill(a.endpoint, env, {"AWS_ENDPOINT_URL"});
  fill(a.instanceProfile, env, {"SPOTWISE_AWS_INSTANCE_PROFILE"}, "spotwise-jobs");
  fill(a.subnetId, env, {"SPOTWISE_AWS_SUBNET"});
  fill(a.bucketRegion, env, {"SPOTWISE_AWS_BUCKET_REGION"});
  if (a.regions.empty()) {
    if (auto v = env("SPOTWISE_AWS_REGIONS")) a.regions = splitList(*v);
  }
  if (a.securityGroupIds.empty()) {
    if (auto v = env("SPOTWISE_AWS_SECURITY_GROUPS")) a.securityGroupIds = splitList(*v);
  }

  auto& z = s.azure;
  fill(z.subscriptionId, env, {"AZURE_SUBSCRIPTION_ID"});
  fill(z.resourceGroup, env, {"SPOTWISE_AZURE_RESOURCE_GROUP"}, "spotwise");
  fill(z.location, env, {"SPOTWISE_AZURE_LOCATION"}, "eastus");
  fill(z.armEndpoint, env, {"SPOTWISE_AZURE_ARM_ENDPOINT"}, "https://management.azure.com");
  fill(z.blobEndpoint, env, {"SPOTWISE_AZURE_BLOB_ENDPOINT"}, "https://{account}.blob.core.windows.net");
  fill(z.sshPublicKey, env, {"SPOTWISE_AZURE_SSH_PUBLIC_KEY"});
  if (z.sshPublicKey.empty()) z.sshPublicKey = firstSshPublicKey(env);

  auto& g = s.gcp;
  fill(g.project, env, {"GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT"});  // else the key's project, when loaded
  fill(g.zone, env, {"SPOTWISE_GCP_ZONE"}, "us-central1-a");
  fill(g.computeEndpoint, env, {"SPOTWISE_GCP_COMPUTE_ENDPOINT"}, "https://compute.googleapis.com/compute/v1/");
  fill(g.storageEndpoint, env, {"SPOTWISE_GCS_ENDPOINT"}, "https://storage.googleapis.com");
  fill(g.serviceAccount, env, {"SPOTWISE_GCP_SERVICE_ACCOUNT"});
  return s;
}

std::vector<std::string> defaultAwsRegions(const std::string& region) {
  std::vector<std::string> out = kAwsGpuRegions;
  if (!region.empty() && std::ranges::find(out, region) == out.end()) out.insert(out.begin(), region);
  return out;
}

}  // namespace spotwise::jobs
