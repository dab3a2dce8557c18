#pragma once

#include <QWidget>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/auth/ConnectionCheck.h"
#include "core/http/HttpClient.h"

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSettings;

namespace spotwise::ui {

class SecretStore;

/**
 * Accounts: per provider, where the credentials come from (none / imported file / keychain),
 * entering or editing them, importing them from the standard places (~/.aws, GCP key or ADC,
 * Azure service-principal variables), removing them, "Test connection" (identity and account),
 * and the minimal permissions Spotwise needs, ready to copy.
 *
 * Secrets go only to the SecretStore; QSettings receives only non-secret fields; no secret is
 * ever shown (secret fields are password fields, emptied once saved) or logged.
 */
class AccountsPage : public QWidget {
  Q_OBJECT

 public:
  using Environment = std::function<std::optional<std::string>(const std::string&)>;
  using ClientFactory = std::function<std::unique_ptr<http::HttpClient>()>;

  /** The app's page: the OS keychain, the app's settings, the process environment, libcurl. */
  explicit AccountsPage(QWidget* parent = nullptr);
  /** Everything injected (tests): `store` and `settings` must outlive the page. */
  AccountsPage(SecretStore& store, QSettings& settings, Environment env, ClientFactory makeClient,
               QWidget* parent = nullptr);
  ~AccountsPage() override;

 Q_SIGNALS:
  /** A connection test ended (ok or not); `provider` is "aws", "gcp" or "azure". */
  void connectionTested(const QString& provider, bool ok);
  /** Credentials were saved, imported or removed. */
  void credentialsChanged(const QString& provider);

 private:
  void build();
  QWidget* buildAws();
  QWidget* buildGcp();
  QWidget* buildAzure();
  QWidget* policyBox(const QString& prefix, const QString& title, const QString& text);
  void refreshSources();

  void saveAws();
  void importAws();
  void removeCredentials(const QString& provider);
  void testAws();
  void importGcp();
  void testGcp();
  void saveAzure();
  void importAzure();
  void testAzure();

  void showResult(const QString& provider, const Result<auth::ConnectionReport>& report);
  void showError(const QString& provider, const QString& message);
  void runCheck(const QString& provider, std::function<Result<auth::ConnectionReport>(http::HttpClient&)> check);

  std::unique_ptr<SecretStore> m_ownedStore;
  std::unique_ptr<QSettings> m_ownedSettings;
  SecretStore* m_store;
  QSettings* m_settings;
  Environment m_env;
  ClientFactory m_makeClient;

  QLineEdit* m_awsProfile = nullptr;
  QLineEdit* m_awsAccessKey = nullptr;
  QLineEdit* m_awsSecret = nullptr;
  QLineEdit* m_awsToken = nullptr;
  QLineEdit* m_awsRegion = nullptr;
  QLineEdit* m_gcpKeyFile = nullptr;
  QLineEdit* m_gcpProject = nullptr;
  QLineEdit* m_azureTenant = nullptr;
  QLineEdit* m_azureClient = nullptr;
  QLineEdit* m_azureSecret = nullptr;
  QLineEdit* m_azureSubscription = nullptr;
};

}  // namespace spotwise::ui
