#pragma once

#include <QObject>
#include <QSettings>

#include <functional>

#include "core/pricing/PriceRefresh.h"

namespace spotwise::ui {

class SecretStore;

/**
 * Fills what a price refresh may use from the user's accounts, without a secret ever touching the
 * settings or a log: the GCP Cloud Billing API key saved on the Accounts page (keychain entry
 * gcp/default/billing_api_key), and AWS keys for the signed spot price history: those saved on the
 * Accounts page (accounts/aws/accessKeyId + keychain aws/default/secret_access_key and
 * session_token), else the whole AWS chain of the environment and ~/.aws (static keys,
 * credential_process, role_arn + source_profile) as RefreshConfig::resolveAws, which the refresh
 * runs on its own thread, never this one: a chain that fails (STS refusal, a process that exits
 * non-zero) fails the signed source alone, naming the step. AWS_ENDPOINT_URL_EC2 /
 * AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_STS) redirect the calls (moto).
 *
 * Asynchronous like the keychain: `done(config)` runs once on `context`'s thread.
 */
void loadRefreshCredentials(SecretStore& store, QSettings& settings, pricing::RefreshConfig base, QObject* context,
                            std::function<void(pricing::RefreshConfig)> done);

}  // namespace spotwise::ui
