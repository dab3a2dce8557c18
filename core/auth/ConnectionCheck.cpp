#include "core/auth/ConnectionCheck.h"

#include <nlohmann/json.hpp>

#include "core/auth/gcp/GcpTokenSources.h"

namespace spotwise::auth {
namespace {

Result<nlohmann::json> getJson(http::HttpClient& client, const std::string& operation, const std::string& url,
                               const std::string& token, const std::stop_token& stop) {
  http::Request request;
  request.url = url;
  request.headers = {{"Authorization", "Bearer " + token}, {"Accept", "application/json"}};
  request.stop = stop;
  request.timeout = std::chrono::seconds(30);
  auto response = client.send(request);
  if (!response) {
    Error error = response.error();
    error.message = operation + ": " + error.message;
    return error;
  }
  if (auto error = http::errorFromResponse(operation, *response)) return *error;
  nlohmann::json doc = nlohmann::json::parse(response->body, nullptr, false);
  if (!doc.is_object()) return makeError(ErrorCode::DataLoss, operation + ": the answer is not a JSON object");
  return doc;
}

}  // namespace

Result<ConnectionReport> checkAwsConnection(http::HttpClient& client, const aws::AwsResolverOptions& options,
                                            const std::optional<std::string>& profile, const std::stop_token& stop) {
  aws::AwsResolverOptions withClient = options;
  if (!withClient.client) withClient.client = &client;
  auto resolved = aws::resolveAwsCredentials(withClient, profile, stop);
  if (!resolved) return resolved.error();
  const std::string region = resolved->region.empty() ? "us-east-1" : resolved->region;
  auto identity = aws::getCallerIdentity(client, resolved->credentials, aws::stsEndpoint(options.env, resolved->region),
                                         region, stop);
  if (!identity) return identity.error();
  return ConnectionReport{"aws", identity->arn, identity->account, resolved->region.empty() ? "" : "region " + resolved->region,
                          resolved->source};
}

Result<ConnectionReport> checkGcpConnection(http::HttpClient& client, const gcp::GcpCredentials& credentials,
                                            std::string projectId, const std::string& resourceManagerUrl,
                                            const std::stop_token& stop) {
  ConnectionReport report;
  report.provider = "gcp";
  if (const auto* key = std::get_if<gcp::ServiceAccountKey>(&credentials)) {
    report.identity = key->clientEmail;
    if (projectId.empty()) projectId = key->projectId;
    report.source = "service-account key";
  } else {
    const auto& user = std::get<gcp::AuthorizedUser>(credentials);
    report.identity = "authorized user (client " + user.clientId + ")";
    if (projectId.empty()) projectId = user.quotaProjectId;
    report.source = "application default credentials (authorized user)";
  }
  if (projectId.empty())
    return makeError(ErrorCode::InvalidArgument, "GCP connection test: no project id (the key has none; pass one)");
  auto source = gcp::makeTokenSource(credentials, {std::string(gcp::kCloudPlatformScope)}, client);
  auto token = source->accessToken(stop);
  if (!token) return token.error();
  const std::string base = resourceManagerUrl.empty() ? "https://cloudresourcemanager.googleapis.com" : resourceManagerUrl;
  auto project = getJson(client, "GCP projects.get " + projectId, base + "/v1/projects/" + projectId, *token, stop);
  if (!project) return project.error();
  report.account = project->value("projectId", projectId);
  report.detail = project->value("name", "");
  return report;
}

Result<ConnectionReport> checkAzureConnection(http::HttpClient& client, const azure::ServicePrincipal& principal,
                                              const std::string& armUrl, const std::stop_token& stop) {
  if (principal.subscriptionId.empty())
    return makeError(ErrorCode::InvalidArgument, "Azure connection test: no subscription id (set AZURE_SUBSCRIPTION_ID)");
  azure::ClientSecretTokenSource source(principal, client);
  auto token = source.accessToken(stop);
  if (!token) return token.error();
  const std::string base = armUrl.empty() ? "https://management.azure.com" : armUrl;
  auto subscription = getJson(client, "Azure subscriptions.get " + principal.subscriptionId,
                              base + "/subscriptions/" + principal.subscriptionId + "?api-version=2022-12-01", *token, stop);
  if (!subscription) return subscription.error();
  return ConnectionReport{"azure", "service principal " + principal.clientId,
                          subscription->value("subscriptionId", principal.subscriptionId),
                          subscription->value("displayName", "") + " (" + subscription->value("state", "") + ")",
                          principal.clientSecret.empty() ? "service principal with certificate" : "service principal with secret"};
}

std::string awsMinimalPolicyJson() {
  return R"({
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "SpotwiseCompute",
      "Effect": "Allow",
      "Action": [
        "ec2:RunInstances", "ec2:TerminateInstances", "ec2:DescribeInstances", "ec2:DescribeInstanceTypes",
        "ec2:DescribeSpotPriceHistory", "ec2:DescribeImages", "ec2:CreateTags", "ec2:DescribeAvailabilityZones",
        "ssm:GetParameter", "pricing:GetProducts", "sts:GetCallerIdentity"
      ],
      "Resource": "*"
    },
    {
      "Sid": "SpotwiseOnlyTerminatesItsOwn",
      "Effect": "Deny",
      "Action": "ec2:TerminateInstances",
      "Resource": "*",
      "Condition": {"Null": {"aws:ResourceTag/spotwise:job": "true"}}
    },
    {
      "Sid": "SpotwiseCheckpoints",
      "Effect": "Allow",
      "Action": ["s3:PutObject", "s3:GetObject", "s3:ListBucket", "s3:DeleteObject", "s3:AbortMultipartUpload"],
      "Resource": ["arn:aws:s3:::YOUR-BUCKET", "arn:aws:s3:::YOUR-BUCKET/spotwise/*"]
    }
  ]
}
)";
}

std::string gcpMinimalRoles() {
  return "roles/compute.instanceAdmin.v1\n"
         "roles/iam.serviceAccountUser\n"
         "roles/storage.objectAdmin (on the checkpoint bucket only)\n"
         "roles/browser (projects.get for the connection test)\n";
}

std::string azureMinimalRoleJson() {
  return R"({
  "Name": "Spotwise Launcher",
  "Description": "Launch, watch and delete Spotwise spot VMs; read prices and the subscription.",
  "Actions": [
    "Microsoft.Resources/subscriptions/read",
    "Microsoft.Resources/subscriptions/resourceGroups/read",
    "Microsoft.Compute/virtualMachines/read", "Microsoft.Compute/virtualMachines/write",
    "Microsoft.Compute/virtualMachines/delete", "Microsoft.Compute/skus/read",
    "Microsoft.Network/networkInterfaces/read", "Microsoft.Network/networkInterfaces/write",
    "Microsoft.Network/networkInterfaces/delete", "Microsoft.Network/networkInterfaces/join/action",
    "Microsoft.Network/virtualNetworks/subnets/join/action", "Microsoft.Network/virtualNetworks/read",
    "Microsoft.Storage/storageAccounts/listKeys/action"
  ],
  "NotActions": [],
  "AssignableScopes": ["/subscriptions/YOUR-SUBSCRIPTION-ID/resourceGroups/spotwise"]
}
)";
}

}  // namespace spotwise::auth
