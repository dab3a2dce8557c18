#include "ui/accounts/AccountsPage.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QStandardPaths>
#include <QTabWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <cstdlib>

#include "core/auth/aws/AwsConfig.h"
#include "core/auth/azure/AzureCredentials.h"
#include "core/auth/gcp/GcpCredentials.h"
#include "core/common/Log.h"
#include "core/http/CurlHttpClient.h"
#include "ui/models/QtConvert.h"
#include "ui/platform/SecretStore.h"

namespace spotwise::ui {
namespace {

const QString kAccount = QStringLiteral("default");

QString settingsKey(const QString& provider, const QString& field) {
  return QStringLiteral("accounts/") + provider + u'/' + field;
}

std::optional<std::string> processEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (!value || !*value) return std::nullopt;
  return std::string(value);
}

QLineEdit* lineEdit(QWidget* parent, const QString& objectName, const QString& placeholder, bool secret = false) {
  auto* edit = new QLineEdit(parent);
  edit->setObjectName(objectName);
  edit->setPlaceholderText(placeholder);
  if (secret) {
    edit->setEchoMode(QLineEdit::Password);
    edit->setInputMethodHints(Qt::ImhHiddenText | Qt::ImhNoPredictiveText | Qt::ImhNoAutoUppercase);
  }
  return edit;
}

QPushButton* button(QWidget* parent, const QString& objectName, const QString& text) {
  auto* b = new QPushButton(text, parent);
  b->setObjectName(objectName);
  return b;
}

QLabel* label(QWidget* parent, const QString& objectName) {
  auto* l = new QLabel(parent);
  l->setObjectName(objectName);
  l->setWordWrap(true);
  l->setTextFormat(Qt::PlainText);
  l->setTextInteractionFlags(Qt::TextSelectableByMouse);
  return l;
}

// "AKIA…WXYZ": enough to recognise a key, not the key.
QString abbreviated(const QString& id) {
  if (id.size() <= 8) return id;
  return id.left(4) + QStringLiteral("…") + id.right(4);
}

}  // namespace

std::unique_ptr<SecretStore> defaultStore() { return makeDefaultSecretStore(); }

AccountsPage::AccountsPage(QWidget* parent)
    : QWidget(parent),
      m_ownedStore(defaultStore()),
      m_ownedSettings(std::make_unique<QSettings>()),
      m_store(m_ownedStore.get()),
      m_settings(m_ownedSettings.get()),
      m_env(processEnv),
      m_makeClient([] { return std::make_unique<http::CurlHttpClient>(); }) {
  build();
}

AccountsPage::AccountsPage(SecretStore& store, QSettings& settings, Environment env, ClientFactory makeClient,
                           QWidget* parent)
    : QWidget(parent), m_store(&store), m_settings(&settings), m_env(std::move(env)), m_makeClient(std::move(makeClient)) {
  build();
}

AccountsPage::~AccountsPage() = default;

void AccountsPage::build() {
  setObjectName(QStringLiteral("accountsPage"));
  auto* heading = new QLabel(tr("Accounts"), this);
  QFont font = heading->font();
  font.setPointSizeF(font.pointSizeF() * 1.4);
  font.setBold(true);
  heading->setFont(font);
  auto* intro = new QLabel(tr("Credentials are kept in %1, never in Spotwise's settings or logs.").arg(m_store->backendName()), this);
  intro->setObjectName(QStringLiteral("storeLabel"));
  intro->setWordWrap(true);
  if (m_store->isPlaintext()) intro->setStyleSheet(QStringLiteral("color: #b00020; font-weight: bold;"));

  auto* tabs = new QTabWidget(this);
  tabs->setObjectName(QStringLiteral("providerTabWidget"));
  tabs->addTab(buildAws(), QStringLiteral("AWS"));
  tabs->addTab(buildGcp(), QStringLiteral("Google Cloud"));
  tabs->addTab(buildAzure(), QStringLiteral("Azure"));

  auto* plaintext = new QCheckBox(tr("Keep secrets in a plaintext file (NOT encrypted)"), this);
  plaintext->setObjectName(QStringLiteral("plaintextCheckBox"));
  plaintext->setToolTip(tr("Only for systems without a keychain. The file is readable only by you but is not "
                           "encrypted. Takes effect at the next start."));
  plaintext->setChecked(m_settings->value(QStringLiteral("accounts/plaintextSecrets"), false).toBool());
  connect(plaintext, &QCheckBox::toggled, this, [this](bool on) {
    m_settings->setValue(QStringLiteral("accounts/plaintextSecrets"), on);
    m_settings->sync();
  });

  auto* layout = new QVBoxLayout(this);
  layout->addWidget(heading);
  layout->addWidget(intro);
  layout->addWidget(tabs, 1);
  layout->addWidget(plaintext);
  refreshSources();
}

QWidget* AccountsPage::policyBox(const QString& prefix, const QString& title, const QString& text) {
  auto* box = new QGroupBox(title);
  auto* policy = new QPlainTextEdit(box);
  policy->setObjectName(prefix + QStringLiteral("PolicyTextEdit"));
  policy->setReadOnly(true);
  policy->setPlainText(text);
  policy->setMinimumHeight(120);
  auto* copy = button(box, prefix + QStringLiteral("CopyPolicyButton"), tr("Copy"));
  connect(copy, &QPushButton::clicked, this, [policy] { QApplication::clipboard()->setText(policy->toPlainText()); });
  auto* layout = new QVBoxLayout(box);
  layout->addWidget(policy);
  layout->addWidget(copy, 0, Qt::AlignRight);
  return box;
}

QWidget* AccountsPage::buildAws() {
  auto* page = new QWidget;
  m_awsProfile = lineEdit(page, QStringLiteral("awsProfileLineEdit"), QStringLiteral("default"));
  m_awsAccessKey = lineEdit(page, QStringLiteral("awsAccessKeyLineEdit"), QStringLiteral("AKIA…"));
  m_awsSecret = lineEdit(page, QStringLiteral("awsSecretLineEdit"), tr("secret access key (kept in the keychain)"), true);
  m_awsToken = lineEdit(page, QStringLiteral("awsSessionTokenLineEdit"), tr("session token (optional)"), true);
  m_awsRegion = lineEdit(page, QStringLiteral("awsRegionLineEdit"), QStringLiteral("us-east-1"));
  auto* form = new QFormLayout;
  form->addRow(tr("Profile"), m_awsProfile);
  form->addRow(tr("Access key ID"), m_awsAccessKey);
  form->addRow(tr("Secret access key"), m_awsSecret);
  form->addRow(tr("Session token"), m_awsToken);
  form->addRow(tr("Region"), m_awsRegion);
  auto* save = button(page, QStringLiteral("awsSaveButton"), tr("Save"));
  auto* import = button(page, QStringLiteral("awsImportButton"), tr("Import from ~/.aws"));
  auto* remove = button(page, QStringLiteral("awsRemoveButton"), tr("Remove"));
  auto* test = button(page, QStringLiteral("awsTestButton"), tr("Test connection"));
  connect(save, &QPushButton::clicked, this, &AccountsPage::saveAws);
  connect(import, &QPushButton::clicked, this, &AccountsPage::importAws);
  connect(remove, &QPushButton::clicked, this, [this] { removeCredentials(QStringLiteral("aws")); });
  connect(test, &QPushButton::clicked, this, &AccountsPage::testAws);
  auto* buttons = new QHBoxLayout;
  for (auto* b : {save, import, remove, test}) buttons->addWidget(b);
  buttons->addStretch(1);
  auto* layout = new QVBoxLayout(page);
  layout->addWidget(label(page, QStringLiteral("awsSourceLabel")));
  layout->addLayout(form);
  layout->addLayout(buttons);
  layout->addWidget(label(page, QStringLiteral("awsResultLabel")));
  layout->addWidget(policyBox(QStringLiteral("aws"), tr("Minimal IAM policy"), toQString(auth::awsMinimalPolicyJson())), 1);
  return page;
}

QWidget* AccountsPage::buildGcp() {
  auto* page = new QWidget;
  m_gcpKeyFile = lineEdit(page, QStringLiteral("gcpKeyFileLineEdit"),
                          tr("service-account key JSON (empty: GOOGLE_APPLICATION_CREDENTIALS or gcloud's ADC)"));
  m_gcpProject = lineEdit(page, QStringLiteral("gcpProjectLineEdit"), tr("project id (default: the key's)"));
  auto* browse = button(page, QStringLiteral("gcpBrowseButton"), tr("Browse…"));
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString file = QFileDialog::getOpenFileName(this, tr("Service-account key"), QString(), tr("JSON (*.json)"));
    if (!file.isEmpty()) m_gcpKeyFile->setText(file);
  });
  auto* keyRow = new QHBoxLayout;
  keyRow->addWidget(m_gcpKeyFile, 1);
  keyRow->addWidget(browse);
  m_gcpApiKey = lineEdit(page, QStringLiteral("gcpApiKeyLineEdit"), tr("API key for the Cloud Billing Catalog (optional)"), true);
  auto* saveApiKey = button(page, QStringLiteral("gcpSaveApiKeyButton"), tr("Save key"));
  connect(saveApiKey, &QPushButton::clicked, this, &AccountsPage::saveGcpApiKey);
  auto* apiKeyRow = new QHBoxLayout;
  apiKeyRow->addWidget(m_gcpApiKey, 1);
  apiKeyRow->addWidget(saveApiKey);
  auto* form = new QFormLayout;
  form->addRow(tr("Key file"), keyRow);
  form->addRow(tr("Project"), m_gcpProject);
  form->addRow(tr("Billing API key"), apiKeyRow);
  auto* import = button(page, QStringLiteral("gcpImportButton"), tr("Import"));
  auto* remove = button(page, QStringLiteral("gcpRemoveButton"), tr("Remove"));
  auto* test = button(page, QStringLiteral("gcpTestButton"), tr("Test connection"));
  connect(import, &QPushButton::clicked, this, &AccountsPage::importGcp);
  connect(remove, &QPushButton::clicked, this, [this] { removeCredentials(QStringLiteral("gcp")); });
  connect(test, &QPushButton::clicked, this, &AccountsPage::testGcp);
  auto* buttons = new QHBoxLayout;
  for (auto* b : {import, remove, test}) buttons->addWidget(b);
  buttons->addStretch(1);
  auto* layout = new QVBoxLayout(page);
  layout->addWidget(label(page, QStringLiteral("gcpSourceLabel")));
  layout->addLayout(form);
  layout->addLayout(buttons);
  layout->addWidget(label(page, QStringLiteral("gcpResultLabel")));
  layout->addWidget(policyBox(QStringLiteral("gcp"), tr("Roles for the service account"), toQString(auth::gcpMinimalRoles())), 1);
  return page;
}

QWidget* AccountsPage::buildAzure() {
  auto* page = new QWidget;
  m_azureTenant = lineEdit(page, QStringLiteral("azureTenantLineEdit"), tr("tenant (directory) id"));
  m_azureClient = lineEdit(page, QStringLiteral("azureClientLineEdit"), tr("application (client) id"));
  m_azureSecret = lineEdit(page, QStringLiteral("azureSecretLineEdit"), tr("client secret (kept in the keychain)"), true);
  m_azureSubscription = lineEdit(page, QStringLiteral("azureSubscriptionLineEdit"), tr("subscription id"));
  auto* form = new QFormLayout;
  form->addRow(tr("Tenant"), m_azureTenant);
  form->addRow(tr("Client"), m_azureClient);
  form->addRow(tr("Client secret"), m_azureSecret);
  form->addRow(tr("Subscription"), m_azureSubscription);
  auto* save = button(page, QStringLiteral("azureSaveButton"), tr("Save"));
  auto* import = button(page, QStringLiteral("azureImportButton"), tr("Import from AZURE_*"));
  auto* remove = button(page, QStringLiteral("azureRemoveButton"), tr("Remove"));
  auto* test = button(page, QStringLiteral("azureTestButton"), tr("Test connection"));
  connect(save, &QPushButton::clicked, this, &AccountsPage::saveAzure);
  connect(import, &QPushButton::clicked, this, &AccountsPage::importAzure);
  connect(remove, &QPushButton::clicked, this, [this] { removeCredentials(QStringLiteral("azure")); });
  connect(test, &QPushButton::clicked, this, &AccountsPage::testAzure);
  auto* buttons = new QHBoxLayout;
  for (auto* b : {save, import, remove, test}) buttons->addWidget(b);
  buttons->addStretch(1);
  auto* layout = new QVBoxLayout(page);
  layout->addWidget(label(page, QStringLiteral("azureSourceLabel")));
  layout->addLayout(form);
  layout->addLayout(buttons);
  layout->addWidget(label(page, QStringLiteral("azureResultLabel")));
  layout->addWidget(policyBox(QStringLiteral("azure"), tr("Custom role (assign on the Spotwise resource group)"),
                              toQString(auth::azureMinimalRoleJson())),
                    1);
  return page;
}

void AccountsPage::refreshSources() {
  auto& s = *m_settings;
  const QString where = m_store->isPlaintext() ? tr("plaintext file") : tr("keychain");
  auto* aws = findChild<QLabel*>(QStringLiteral("awsSourceLabel"));
  if (s.contains(settingsKey(QStringLiteral("aws"), QStringLiteral("accessKeyId")))) {
    const QString region = s.value(settingsKey(QStringLiteral("aws"), QStringLiteral("region"))).toString();
    aws->setText(tr("Source: %1 — profile %2, key %3%4")
                     .arg(where, s.value(settingsKey(QStringLiteral("aws"), QStringLiteral("profile"))).toString(),
                          abbreviated(s.value(settingsKey(QStringLiteral("aws"), QStringLiteral("accessKeyId"))).toString()),
                          region.isEmpty() ? QString() : tr(", region %1").arg(region)));
  } else {
    aws->setText(tr("Source: none — enter an access key or import a profile from ~/.aws"));
  }
  auto* gcp = findChild<QLabel*>(QStringLiteral("gcpSourceLabel"));
  if (s.contains(settingsKey(QStringLiteral("gcp"), QStringLiteral("identity")))) {
    gcp->setText(tr("Source: %1 — %2 (imported from %3)")
                     .arg(where, s.value(settingsKey(QStringLiteral("gcp"), QStringLiteral("identity"))).toString(),
                          s.value(settingsKey(QStringLiteral("gcp"), QStringLiteral("file"))).toString()));
  } else {
    gcp->setText(tr("Source: none — import a service-account key or application default credentials"));
  }
  auto* azure = findChild<QLabel*>(QStringLiteral("azureSourceLabel"));
  if (s.contains(settingsKey(QStringLiteral("azure"), QStringLiteral("clientId")))) {
    azure->setText(tr("Source: %1 — client %2 in tenant %3")
                       .arg(where, s.value(settingsKey(QStringLiteral("azure"), QStringLiteral("clientId"))).toString(),
                            s.value(settingsKey(QStringLiteral("azure"), QStringLiteral("tenantId"))).toString()));
  } else {
    azure->setText(tr("Source: none — enter a service principal or import the AZURE_* variables"));
  }
  m_awsProfile->setText(s.value(settingsKey(QStringLiteral("aws"), QStringLiteral("profile"))).toString());
  m_awsAccessKey->setText(s.value(settingsKey(QStringLiteral("aws"), QStringLiteral("accessKeyId"))).toString());
  m_awsRegion->setText(s.value(settingsKey(QStringLiteral("aws"), QStringLiteral("region"))).toString());
  m_gcpProject->setText(s.value(settingsKey(QStringLiteral("gcp"), QStringLiteral("projectId"))).toString());
  m_azureTenant->setText(s.value(settingsKey(QStringLiteral("azure"), QStringLiteral("tenantId"))).toString());
  m_azureClient->setText(s.value(settingsKey(QStringLiteral("azure"), QStringLiteral("clientId"))).toString());
  m_azureSubscription->setText(s.value(settingsKey(QStringLiteral("azure"), QStringLiteral("subscriptionId"))).toString());
}

void AccountsPage::showError(const QString& provider, const QString& message) {
  auto* result = findChild<QLabel*>(provider + QStringLiteral("ResultLabel"));
  result->setStyleSheet(QStringLiteral("color: #b00020;"));
  result->setText(toQString(redactSecrets(message.toStdString())));
}

void AccountsPage::saveAws() {
  const QString key = m_awsAccessKey->text().trimmed();
  const QString secret = m_awsSecret->text();
  if (key.isEmpty()) return showError(QStringLiteral("aws"), tr("Enter the access key ID."));
  const bool keepSecret = secret.isEmpty() && m_settings->value(settingsKey(QStringLiteral("aws"), QStringLiteral("accessKeyId"))).toString() == key;
  if (secret.isEmpty() && !keepSecret) return showError(QStringLiteral("aws"), tr("Enter the secret access key."));
  const QString profile = m_awsProfile->text().trimmed().isEmpty() ? kAccount : m_awsProfile->text().trimmed();
  const QString region = m_awsRegion->text().trimmed();
  const QString token = m_awsToken->text();
  auto commit = [this, key, profile, region] {
    m_settings->setValue(settingsKey(QStringLiteral("aws"), QStringLiteral("profile")), profile);
    m_settings->setValue(settingsKey(QStringLiteral("aws"), QStringLiteral("accessKeyId")), key);
    m_settings->setValue(settingsKey(QStringLiteral("aws"), QStringLiteral("region")), region);
    m_settings->sync();
    m_awsSecret->clear();
    m_awsToken->clear();
    refreshSources();
    findChild<QLabel*>(QStringLiteral("awsResultLabel"))->setText(tr("Saved."));
    Q_EMIT credentialsChanged(QStringLiteral("aws"));
  };
  if (keepSecret) return commit();
  m_store->write(secretKey(QStringLiteral("aws"), kAccount, QStringLiteral("secret_access_key")), secret, this,
                 [this, token, commit](Result<void> written) {
                   if (!written) return showError(QStringLiteral("aws"), toQString(written.error().message));
                   auto done = [this, commit](Result<void> tokenWritten) {
                     if (!tokenWritten) return showError(QStringLiteral("aws"), toQString(tokenWritten.error().message));
                     commit();
                   };
                   const QString tokenKey = secretKey(QStringLiteral("aws"), kAccount, QStringLiteral("session_token"));
                   if (token.isEmpty()) m_store->remove(tokenKey, this, done);
                   else m_store->write(tokenKey, token, this, done);
                 });
}

void AccountsPage::importAws() {
  auto profiles = auth::aws::listAwsProfiles(m_env);
  if (!profiles) return showError(QStringLiteral("aws"), toQString(profiles.error().message));
  QString profile = m_awsProfile->text().trimmed();
  if (profile.isEmpty()) {
    if (profiles->empty()) return showError(QStringLiteral("aws"), tr("No profiles in ~/.aws/credentials or ~/.aws/config."));
    QStringList names;
    for (const auto& p : *profiles) names << toQString(p);
    bool ok = names.size() == 1;
    profile = ok ? names.front() : QInputDialog::getItem(this, tr("Import AWS profile"), tr("Profile"), names, 0, false, &ok);
    if (!ok) return;
  }
  auth::aws::AwsResolverOptions options;
  options.env = m_env;
  options.runProcess = auth::aws::systemProcessRunner();
  auto resolved = auth::aws::resolveAwsCredentials(options, profile.toStdString());
  if (!resolved) return showError(QStringLiteral("aws"), toQString(resolved.error().message));
  if (resolved->expiresAtUnix || resolved->source.starts_with("assume role") || resolved->source.starts_with("credential_process"))
    return showError(QStringLiteral("aws"), tr("Profile %1 gives temporary credentials; Spotwise reads it from ~/.aws each time "
                                               "instead of storing them.").arg(profile));
  m_awsProfile->setText(profile);
  m_awsAccessKey->setText(toQString(resolved->credentials.accessKeyId));
  m_awsSecret->setText(toQString(resolved->credentials.secretAccessKey));
  m_awsToken->setText(toQString(resolved->credentials.sessionToken));
  if (!resolved->region.empty()) m_awsRegion->setText(toQString(resolved->region));
  saveAws();
}

void AccountsPage::removeCredentials(const QString& provider) {
  QStringList fields;
  if (provider == QStringLiteral("aws")) fields = {QStringLiteral("secret_access_key"), QStringLiteral("session_token")};
  else if (provider == QStringLiteral("gcp")) fields = {QStringLiteral("credentials_json"), QStringLiteral("billing_api_key")};
  else fields = {QStringLiteral("client_secret")};
  auto remaining = std::make_shared<int>(static_cast<int>(fields.size()));
  auto failed = std::make_shared<bool>(false);
  for (const QString& field : fields) {
    m_store->remove(secretKey(provider, kAccount, field), this, [this, provider, remaining, failed](Result<void> removed) {
      if (!removed) {
        *failed = true;
        showError(provider, toQString(removed.error().message));
      }
      if (--*remaining > 0 || *failed) return;
      m_settings->remove(QStringLiteral("accounts/") + provider);
      m_settings->sync();
      refreshSources();
      findChild<QLabel*>(provider + QStringLiteral("ResultLabel"))->setText(tr("Removed."));
      Q_EMIT credentialsChanged(provider);
    });
  }
}

void AccountsPage::runCheck(const QString& provider, std::function<Result<auth::ConnectionReport>(http::HttpClient&)> check) {
  auto* result = findChild<QLabel*>(provider + QStringLiteral("ResultLabel"));
  result->setStyleSheet(QString());
  result->setText(tr("Testing…"));
  auto* watcher = new QFutureWatcher<std::shared_ptr<Result<auth::ConnectionReport>>>(this);
  connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, provider] {
    showResult(provider, *watcher->result());
    watcher->deleteLater();
  });
  watcher->setFuture(QtConcurrent::run([client = std::shared_ptr<http::HttpClient>(m_makeClient()), check = std::move(check)] {
    return std::make_shared<Result<auth::ConnectionReport>>(check(*client));
  }));
}

void AccountsPage::showResult(const QString& provider, const Result<auth::ConnectionReport>& report) {
  if (!report) {
    showError(provider, toQString(report.error().message));
    Q_EMIT connectionTested(provider, false);
    return;
  }
  auto* result = findChild<QLabel*>(provider + QStringLiteral("ResultLabel"));
  result->setStyleSheet(QStringLiteral("color: #1b5e20;"));
  QString text = tr("Connected as %1 — account %2").arg(toQString(report->identity), toQString(report->account));
  if (!report->detail.empty()) text += QStringLiteral(" — ") + toQString(report->detail);
  result->setText(toQString(redactSecrets(text.toStdString())));
  Q_EMIT connectionTested(provider, true);
}

void AccountsPage::testAws() {
  const std::string key = m_settings->value(settingsKey(QStringLiteral("aws"), QStringLiteral("accessKeyId"))).toString().toStdString();
  if (key.empty()) return showError(QStringLiteral("aws"), tr("No AWS credentials saved yet."));
  const std::string region = m_settings->value(settingsKey(QStringLiteral("aws"), QStringLiteral("region"))).toString().toStdString();
  m_store->read(secretKey(QStringLiteral("aws"), kAccount, QStringLiteral("secret_access_key")), this,
                [this, key, region](Result<std::optional<QString>> secret) {
                  if (!secret) return showError(QStringLiteral("aws"), toQString(secret.error().message));
                  if (!*secret) return showError(QStringLiteral("aws"), tr("The secret access key is missing from the keychain; save it again."));
                  m_store->read(secretKey(QStringLiteral("aws"), kAccount, QStringLiteral("session_token")), this,
                                [this, key, region, secretValue = (*secret)->toStdString()](Result<std::optional<QString>> token) {
                                  const std::string tokenValue = token && *token ? (*token)->toStdString() : std::string();
                                  const std::string endpoint = auth::aws::stsEndpoint(m_env, region);
                                  runCheck(QStringLiteral("aws"), [=](http::HttpClient& client) -> Result<auth::ConnectionReport> {
                                    auto identity = auth::aws::getCallerIdentity(client, {key, secretValue, tokenValue},
                                                                                 endpoint, region.empty() ? "us-east-1" : region);
                                    if (!identity) return identity.error();
                                    return auth::ConnectionReport{"aws", identity->arn, identity->account,
                                                                  region.empty() ? "" : "region " + region, "keychain"};
                                  });
                                });
                });
}

void AccountsPage::importGcp() {
  std::filesystem::path path = m_gcpKeyFile->text().trimmed().toStdString();
  Result<auth::gcp::GcpCredentials> credentials = path.empty()
                                                      ? auth::gcp::loadApplicationDefaultCredentials(m_env, &path)
                                                      : auth::gcp::loadCredentialsFile(path);
  if (!credentials) return showError(QStringLiteral("gcp"), toQString(credentials.error().message));
  QFile file(QString::fromStdString(path.string()));
  if (!file.open(QIODevice::ReadOnly)) return showError(QStringLiteral("gcp"), tr("Cannot read %1.").arg(file.fileName()));
  const QString json = QString::fromUtf8(file.readAll());
  QString identity;
  QString project;
  if (const auto* key = std::get_if<auth::gcp::ServiceAccountKey>(&*credentials)) {
    identity = toQString(key->clientEmail);
    project = toQString(key->projectId);
  } else {
    const auto& user = std::get<auth::gcp::AuthorizedUser>(*credentials);
    identity = tr("authorized user (client %1)").arg(toQString(user.clientId));
    project = toQString(user.quotaProjectId);
  }
  if (!m_gcpProject->text().trimmed().isEmpty()) project = m_gcpProject->text().trimmed();
  m_store->write(secretKey(QStringLiteral("gcp"), kAccount, QStringLiteral("credentials_json")), json, this,
                 [this, identity, project, source = QString::fromStdString(path.string())](Result<void> written) {
                   if (!written) return showError(QStringLiteral("gcp"), toQString(written.error().message));
                   m_settings->setValue(settingsKey(QStringLiteral("gcp"), QStringLiteral("identity")), identity);
                   m_settings->setValue(settingsKey(QStringLiteral("gcp"), QStringLiteral("projectId")), project);
                   m_settings->setValue(settingsKey(QStringLiteral("gcp"), QStringLiteral("file")), source);
                   m_settings->sync();
                   m_gcpKeyFile->clear();
                   refreshSources();
                   findChild<QLabel*>(QStringLiteral("gcpResultLabel"))->setText(tr("Imported into the keychain."));
                   Q_EMIT credentialsChanged(QStringLiteral("gcp"));
                 });
}

void AccountsPage::saveGcpApiKey() {
  const QString key = m_gcpApiKey->text().trimmed();
  if (key.isEmpty()) return showError(QStringLiteral("gcp"), tr("Enter the API key."));
  m_store->write(secretKey(QStringLiteral("gcp"), kAccount, QStringLiteral("billing_api_key")), key, this,
                 [this](Result<void> written) {
                   if (!written) return showError(QStringLiteral("gcp"), toQString(written.error().message));
                   m_gcpApiKey->clear();
                   m_settings->setValue(settingsKey(QStringLiteral("gcp"), QStringLiteral("billingApiKeyStored")), true);
                   m_settings->sync();
                   auto* result = findChild<QLabel*>(QStringLiteral("gcpResultLabel"));
                   result->setStyleSheet(QString());
                   result->setText(tr("Billing API key saved."));
                   Q_EMIT credentialsChanged(QStringLiteral("gcp"));
                 });
}

void AccountsPage::testGcp() {
  const std::string project = m_gcpProject->text().trimmed().toStdString();
  const std::string crm = m_env("SPOTWISE_GCP_RESOURCE_MANAGER_URL").value_or("");
  m_store->read(secretKey(QStringLiteral("gcp"), kAccount, QStringLiteral("credentials_json")), this,
                [this, project, crm](Result<std::optional<QString>> json) {
                  if (!json) return showError(QStringLiteral("gcp"), toQString(json.error().message));
                  if (!*json) return showError(QStringLiteral("gcp"), tr("No GCP credentials imported yet."));
                  auto credentials = auth::gcp::parseCredentialsFile((*json)->toStdString(), "keychain entry");
                  if (!credentials) return showError(QStringLiteral("gcp"), toQString(credentials.error().message));
                  runCheck(QStringLiteral("gcp"), [credentials = *credentials, project, crm](http::HttpClient& client) {
                    return auth::checkGcpConnection(client, credentials, project, crm);
                  });
                });
}

void AccountsPage::saveAzure() {
  const QString tenant = m_azureTenant->text().trimmed();
  const QString client = m_azureClient->text().trimmed();
  const QString secret = m_azureSecret->text();
  if (tenant.isEmpty() || client.isEmpty()) return showError(QStringLiteral("azure"), tr("Enter the tenant and client ids."));
  const bool keepSecret = secret.isEmpty() && m_settings->value(settingsKey(QStringLiteral("azure"), QStringLiteral("clientId"))).toString() == client;
  if (secret.isEmpty() && !keepSecret) return showError(QStringLiteral("azure"), tr("Enter the client secret."));
  auto commit = [this, tenant, client, subscription = m_azureSubscription->text().trimmed()] {
    m_settings->setValue(settingsKey(QStringLiteral("azure"), QStringLiteral("tenantId")), tenant);
    m_settings->setValue(settingsKey(QStringLiteral("azure"), QStringLiteral("clientId")), client);
    m_settings->setValue(settingsKey(QStringLiteral("azure"), QStringLiteral("subscriptionId")), subscription);
    m_settings->sync();
    m_azureSecret->clear();
    refreshSources();
    findChild<QLabel*>(QStringLiteral("azureResultLabel"))->setText(tr("Saved."));
    Q_EMIT credentialsChanged(QStringLiteral("azure"));
  };
  if (keepSecret) return commit();
  m_store->write(secretKey(QStringLiteral("azure"), kAccount, QStringLiteral("client_secret")), secret, this,
                 [this, commit](Result<void> written) {
                   if (!written) return showError(QStringLiteral("azure"), toQString(written.error().message));
                   commit();
                 });
}

void AccountsPage::importAzure() {
  auto principal = auth::azure::servicePrincipalFromEnvironment(m_env);
  if (!principal) return showError(QStringLiteral("azure"), toQString(principal.error().message));
  if (principal->clientSecret.empty())
    return showError(QStringLiteral("azure"), tr("AZURE_CLIENT_CERTIFICATE_PATH is set: Spotwise reads the certificate "
                                                 "file each time instead of storing it."));
  m_azureTenant->setText(toQString(principal->tenantId));
  m_azureClient->setText(toQString(principal->clientId));
  m_azureSecret->setText(toQString(principal->clientSecret));
  m_azureSubscription->setText(toQString(principal->subscriptionId));
  saveAzure();
}

void AccountsPage::testAzure() {
  auth::azure::ServicePrincipal principal;
  principal.tenantId = m_settings->value(settingsKey(QStringLiteral("azure"), QStringLiteral("tenantId"))).toString().toStdString();
  principal.clientId = m_settings->value(settingsKey(QStringLiteral("azure"), QStringLiteral("clientId"))).toString().toStdString();
  principal.subscriptionId = m_settings->value(settingsKey(QStringLiteral("azure"), QStringLiteral("subscriptionId"))).toString().toStdString();
  if (principal.clientId.empty()) return showError(QStringLiteral("azure"), tr("No Azure service principal saved yet."));
  if (auto host = m_env("AZURE_AUTHORITY_HOST")) principal.authorityHost = *host;
  const std::string arm = m_env("SPOTWISE_AZURE_ARM_URL").value_or("");
  m_store->read(secretKey(QStringLiteral("azure"), kAccount, QStringLiteral("client_secret")), this,
                [this, principal, arm](Result<std::optional<QString>> secret) mutable {
                  if (!secret) return showError(QStringLiteral("azure"), toQString(secret.error().message));
                  if (!*secret) return showError(QStringLiteral("azure"), tr("The client secret is missing from the keychain; save it again."));
                  principal.clientSecret = (*secret)->toStdString();
                  runCheck(QStringLiteral("azure"), [principal, arm](http::HttpClient& client) {
                    return auth::checkAzureConnection(client, principal, arm);
                  });
                });
}

}  // namespace spotwise::ui
