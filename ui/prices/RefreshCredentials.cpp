#include "ui/prices/RefreshCredentials.h"

#include <QProcessEnvironment>

#include <cstdlib>
#include <map>
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

/**
 * The environment as it is now, copied on the GUI thread: the chain then reads it on the refresh's
 * thread without touching the process environment there. Empty values count as unset.
 */
auth::aws::Environment environmentSnapshot() {
  auto values = std::make_shared<std::map<std::string, std::string>>();
  const QProcessEnvironment system = QProcessEnvironment::systemEnvironment();
  for (const QString& name : system.keys()) {
    const QString value = system.value(name);
    if (!value.isEmpty()) (*values)[name.toStdString()] = value.toStdString();
  }
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values->find(name);
    return it == values->end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

/** No saved keys: the whole AWS chain (a credential_process, an STS role), resolved inside the refresh. */
void useAwsChain(pricing::RefreshConfig& config) {
  config.aws.reset();
  config.resolveAws = pricing::awsChainResolver(environmentSnapshot());
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
      useAwsChain(*config);
      return done(std::move(*config));
    }
    secrets->read(secretKey(QStringLiteral("aws"), account, QStringLiteral("secret_access_key")), context,
               [secrets, config, accessKey, account, context, done](Result<std::optional<QString>> secret) {
                 if (!secret || !*secret || (*secret)->isEmpty()) {
                   useAwsChain(*config);
                   return done(std::move(*config));
                 }
                 const std::string secretValue = (*secret)->toStdString();
                 secrets->read(secretKey(QStringLiteral("aws"), account, QStringLiteral("session_token")), context,
                            [config, accessKey, secretValue, done](Result<std::optional<QString>> token) {
                              auth::aws::AwsCredentials credentials{accessKey.toStdString(), secretValue,
                                                                    token && *token ? (*token)->toStdString() : std::string()};
                              config->aws = pricing::sources::AwsApiAccess{std::move(credentials), ec2EndpointOverride()};
                              config->resolveAws = nullptr;  // the saved keys win over the chain
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
