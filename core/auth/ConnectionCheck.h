#pragma once

#include <optional>
#include <stop_token>
#include <string>

#include "core/auth/aws/AwsConfig.h"
#include "core/auth/azure/AzureCredentials.h"
#include "core/auth/gcp/GcpCredentials.h"
#include "core/common/Result.h"
#include "core/http/HttpClient.h"

/**
 * "Test connection" for each provider (the Accounts page and `spotwise-cli auth test`): proves the
 * credentials work with one cheap read-only call and says who they are. Never returns a secret.
 * Blocking; call off the GUI thread.
 */
namespace spotwise::auth {

struct ConnectionReport {
  std::string provider;  ///< "aws", "gcp", "azure"
  std::string identity;  ///< ARN, service-account email / "authorized user", client id
  std::string account;   ///< AWS account id, GCP project id, Azure subscription id
  std::string detail;    ///< project/subscription display name, region…
  std::string source;    ///< where the credentials came from
};

/** STS GetCallerIdentity with the resolved credentials (env / profile / role / process). */
Result<ConnectionReport> checkAwsConnection(http::HttpClient& client, const aws::AwsResolverOptions& options,
                                            const std::optional<std::string>& profile, const std::stop_token& stop = {});

/**
 * A token from `credentials`, then Cloud Resource Manager `projects.get` for `projectId` (or the
 * key's project). `resourceManagerUrl` defaults to https://cloudresourcemanager.googleapis.com.
 */
Result<ConnectionReport> checkGcpConnection(http::HttpClient& client, const gcp::GcpCredentials& credentials,
                                            std::string projectId, const std::string& resourceManagerUrl = {},
                                            const std::stop_token& stop = {});

/**
 * An Azure AD token for ARM, then GET /subscriptions/{id}. `armUrl` defaults to
 * https://management.azure.com.
 */
Result<ConnectionReport> checkAzureConnection(http::HttpClient& client, const azure::ServicePrincipal& principal,
                                              const std::string& armUrl = {}, const std::stop_token& stop = {});

/** The minimal IAM policy Spotwise needs on AWS (JSON, ready to paste). */
std::string awsMinimalPolicyJson();
/** The GCP roles to grant the service account (one per line). */
std::string gcpMinimalRoles();
/** An Azure custom role definition with the minimal actions (JSON). */
std::string azureMinimalRoleJson();

}  // namespace spotwise::auth
