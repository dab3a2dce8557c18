#include "ui/prices/RefreshCredentials.h"

#include <cstdlib>
#include <memory>

#include "core/auth/aws/AwsConfig.h"
#include "ui/platform/SecretStore.h"

namespace spotwise::ui {

namespace {

std::optional<std::string> processEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::string ec2EndpointOverride() {
  return processEnv("AWS_ENDPOINT_URL_EC2").value_or(processEnv("AWS_ENDPOINT_URL").value_or(""));
}

/** Static keys from the environment or ~/.aws only: no credential_process, no STS call on this thread. */
std::optional<pricing::sources::AwsApiAccess> awsFromChain() {
  auth::aws::AwsResolverOptions options;
  options.env = processEnv;
  auto resolved = auth::aws::resolveAwsCredentials(options);
  if (!resolved || resolved->expiresAtUnix) return std::nullopt;
  return pricing::sources::AwsApiAccess{resolved->credentials, ec2EndpointOverride()};
}

}  // namespace

void loadRefreshCredentials(SecretStore& store, QSettings& settings, pricing::RefreshConfig base, QObject* context,
                            std::function<void(pricing::RefreshConfig)> done) {
  auto config = std::make_shared<pricing::RefreshConfig>(std::move(base));
  const QString accessKey = settings.value(QStringLiteral("accounts/aws/accessKeyId")).toString();
  const QString account = QStringLiteral("default");
  // The AWS step: saved keys first, then the chain.
  SecretStore* secrets = &store;  // outlives the reads (the caller's), captured by value
  auto readAws = [secrets, config, accessKey, account, context, done] {
    if (accessKey.isEmpty()) {
      config->aws = awsFromChain();
      return done(std::move(*config));
    }
    secrets->read(secretKey(QStringLiteral("aws"), account, QStringLiteral("secret_access_key")), context,
               [secrets, config, accessKey, account, context, done](Result<std::optional<QString>> secret) {
                 if (!secret || !*secret || (*secret)->isEmpty()) {
                   config->aws = awsFromChain();
                   return done(std::move(*config));
                 }
                 const std::string secretValue = (*secret)->toStdString();
                 secrets->read(secretKey(QStringLiteral("aws"), account, QStringLiteral("session_token")), context,
                            [config, accessKey, secretValue, done](Result<std::optional<QString>> token) {
                              auth::aws::AwsCredentials credentials{accessKey.toStdString(), secretValue,
                                                                    token && *token ? (*token)->toStdString() : std::string()};
                              config->aws = pricing::sources::AwsApiAccess{std::move(credentials), ec2EndpointOverride()};
                              done(std::move(*config));
                            });
               });
  };
  store.read(secretKey(QStringLiteral("gcp"), account, QStringLiteral("billing_api_key")), context,
             [config, readAws](Result<std::optional<QString>> key) {
               // A keychain that cannot be read leaves the key empty: the refresh then says GCP was skipped and why.
               if (key && *key) config->gcpApiKey = (*key)->trimmed().toStdString();
               readAws();
             });
}

}  // namespace spotwise::ui
