#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/auth/aws/SigV4.h"
#include "core/auth/azure/AzureCredentials.h"
#include "core/auth/gcp/GcpCredentials.h"
#include "core/common/Result.h"

/**
 * What the jobs runtime needs to build the AWS, Azure and GCP providers: the non-secret settings
 * of each account (region, subscription, project, endpoints, ...) and, separately, where the
 * secrets come from. An empty setting means "from the environment, then the built-in default"
 * (see cloudSettingsFromEnvironment()), so the CLI works from the standard variables and files
 * while the app hands in what its Accounts page keeps.
 */
namespace spotwise::jobs {

/** Environment lookup (nullopt when unset or empty); injected by tests. */
using EnvironmentLookup = std::function<std::optional<std::string>(const std::string&)>;
/** getenv. */
EnvironmentLookup processEnvironmentLookup();

/** AWS account settings (no secrets). */
struct AwsAccountSettings {
  std::string profile;       ///< ~/.aws profile; empty: AWS_PROFILE, then environment keys, then "default"
  std::string region;        ///< default region; empty: AWS_REGION / AWS_DEFAULT_REGION / the profile's, else us-east-1
  /** Regions reconciliation lists (SPOTWISE_AWS_REGIONS, comma-separated); empty: the GPU spot regions. */
  std::vector<std::string> regions;
  /** One endpoint for EC2, SSM and S3 (moto, LocalStack); empty: AWS_ENDPOINT_URL, else AWS itself. */
  std::string endpoint;
  /** Instance profile the job VMs get (their S3 access); empty: SPOTWISE_AWS_INSTANCE_PROFILE, else "spotwise-jobs". */
  std::string instanceProfile;
  std::string subnetId;                     ///< empty: SPOTWISE_AWS_SUBNET, else the default VPC
  std::vector<std::string> securityGroupIds;///< empty: SPOTWISE_AWS_SECURITY_GROUPS (comma-separated)
  std::string bucketRegion;                 ///< the job bucket's region; empty: SPOTWISE_AWS_BUCKET_REGION, else `region`
};

/** Azure account settings (no secrets). */
struct AzureAccountSettings {
  std::string subscriptionId;  ///< empty: AZURE_SUBSCRIPTION_ID
  std::string resourceGroup;   ///< empty: SPOTWISE_AZURE_RESOURCE_GROUP, else "spotwise"
  std::string location;        ///< default location; empty: SPOTWISE_AZURE_LOCATION, else "eastus"
  std::string armEndpoint;     ///< empty: SPOTWISE_AZURE_ARM_ENDPOINT, else https://management.azure.com
  /**
   * Blob endpoint of the storage account; "{account}" is replaced by the account of the job's
   * storage (az://account/container/prefix). Empty: SPOTWISE_AZURE_BLOB_ENDPOINT, else
   * https://{account}.blob.core.windows.net (Azurite: http://127.0.0.1:PORT/{account}).
   */
  std::string blobEndpoint;
  std::string sshPublicKey;  ///< Azure requires one (Spotwise never logs in); empty: SPOTWISE_AZURE_SSH_PUBLIC_KEY, else ~/.ssh/id_*.pub
};

/** GCP account settings (no secrets). */
struct GcpAccountSettings {
  std::string project;          ///< empty: GOOGLE_CLOUD_PROJECT / CLOUDSDK_CORE_PROJECT, else the key's project
  std::string zone;             ///< default zone; empty: SPOTWISE_GCP_ZONE, else us-central1-a
  std::string computeEndpoint;  ///< empty: SPOTWISE_GCP_COMPUTE_ENDPOINT, else https://compute.googleapis.com/compute/v1/
  std::string storageEndpoint;  ///< empty: SPOTWISE_GCS_ENDPOINT, else https://storage.googleapis.com
  std::string serviceAccount;   ///< the VMs' dedicated service account; empty: SPOTWISE_GCP_SERVICE_ACCOUNT
};

struct CloudSettings {
  AwsAccountSettings aws;
  AzureAccountSettings azure;
  GcpAccountSettings gcp;
};

/**
 * Fills every empty field of `settings` from the environment (the variables named on each field)
 * and then from the built-in defaults. Reads only ~/.ssh/id_*.pub ($HOME from `env`) for Azure's key.
 */
CloudSettings completeCloudSettings(CloudSettings settings, const EnvironmentLookup& env);

/** The AWS regions reconciliation lists when none are configured: `region` first, then the GPU spot regions. */
std::vector<std::string> defaultAwsRegions(const std::string& region);

/**
 * Secrets handed in by the embedding program (the desktop app reads them from the OS keychain).
 * A field left empty falls back to the standard chain of that cloud (environment, files).
 */
struct CloudSecrets {
  std::optional<auth::aws::AwsCredentials> aws;
  std::optional<auth::azure::ServicePrincipal> azure;
  /** Storage account name → account key (base64), for the desktop's SharedKey-signed Blob calls. */
  std::map<std::string, std::string> azureStorageKeys;
  std::optional<auth::gcp::GcpCredentials> gcp;
  std::string source = "keychain";  ///< shown in messages ("keychain", "Accounts page")
};

/**
 * Asked (on the thread that drives the controller) for the secrets of one cloud ("aws", "azure",
 * "gcp") the first time a provider of it is built, and again when temporary credentials near
 * their expiry. Must not block on the user; an error is reported as the provider's error.
 */
using CredentialsSource = std::function<Result<CloudSecrets>(std::string_view provider)>;

}  // namespace spotwise::jobs
