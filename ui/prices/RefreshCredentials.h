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
 * session_token), else static keys from the environment or ~/.aws (profiles that need a process
 * or a role are not run from the GUI thread: then the signed source is skipped and says so).
 * AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL redirect the EC2 calls (moto).
 *
 * Asynchronous like the keychain: `done(config)` runs once on `context`'s thread.
 */
void loadRefreshCredentials(SecretStore& store, QSettings& settings, pricing::RefreshConfig base, QObject* context,
                            std::function<void(pricing::RefreshConfig)> done);

}  // namespace spotwise::ui
