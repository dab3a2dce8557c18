// The Accounts page driven offscreen: enter, import (standard files and variables), test against
// loopback peers, remove; secrets reach only the SecretStore, never the settings or the screen.
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include "LoopbackServer.h"
#include "TestSupport.h"
#include "core/http/CurlHttpClient.h"
#include "ui/accounts/AccountsPage.h"
#include "ui/platform/SecretStore.h"

using namespace spotwise;
using namespace spotwise::ui;

class AccountsPageTest : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir m_dir;
  std::unique_ptr<SecretStore> m_store;
  std::unique_ptr<QSettings> m_settings;
  std::map<std::string, std::string> m_env;
  std::unique_ptr<test::LoopbackServer> m_fixture;
  std::unique_ptr<AccountsPage> m_page;
  std::vector<QString> m_secrets;

  template <typename T>
  T* child(const char* name) {
    auto* widget = m_page->findChild<T*>(QString::fromLatin1(name));
    if (!widget) qFatal("no widget %s", name);
    return widget;
  }
  void click(const char* name) { QTest::mouseClick(child<QPushButton>(name), Qt::LeftButton); }
  QString text(const char* name) { return child<QLabel>(name)->text(); }

  void script(const std::string& path, const nlohmann::json& steps) {
    http::CurlHttpClient client;
    http::Request request;
    request.method = "POST";
    request.url = m_fixture->url("/__script?path=" + path);
    request.body = steps.dump();
    QVERIFY(client.send(request).ok());
  }

  QString settingsText() {
    m_settings->sync();
    QFile file(m_settings->fileName());
    return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()) : QString();
  }

  // No secret on screen: every label, line edit (in clear text) and text box of the page.
  void verifyNoSecretShown() {
    QStringList shown;
    for (auto* l : m_page->findChildren<QLabel*>()) shown << l->text();
    for (auto* e : m_page->findChildren<QLineEdit*>())
      if (e->echoMode() == QLineEdit::Normal) shown << e->text();
    for (auto* t : m_page->findChildren<QPlainTextEdit*>()) shown << t->toPlainText();
    for (const QString& secret : m_secrets)
      for (const QString& s : shown) QVERIFY2(!s.contains(secret), "a secret is shown on the Accounts page");
  }

 private Q_SLOTS:
  void init() {
    QStandardPaths::setTestModeEnabled(true);
    m_store = makePlaintextSecretStore(m_dir.filePath(QStringLiteral("secrets.json")));
    QFile::remove(m_dir.filePath(QStringLiteral("secrets.json")));
    QFile::remove(m_dir.filePath(QStringLiteral("settings.ini")));
    m_settings = std::make_unique<QSettings>(m_dir.filePath(QStringLiteral("settings.ini")), QSettings::IniFormat);
    m_fixture = std::make_unique<test::LoopbackServer>(test::LoopbackServer::httpFixture());
    QVERIFY(m_fixture->running());
    m_env = {{"HOME", m_dir.path().toStdString()}, {"AWS_ENDPOINT_URL_STS", m_fixture->url("/sts")},
             {"SPOTWISE_GCP_RESOURCE_MANAGER_URL", m_fixture->url("/crm")},
             {"SPOTWISE_AZURE_ARM_URL", m_fixture->url("/arm")}, {"AZURE_AUTHORITY_HOST", m_fixture->url("")}};
    m_page = std::make_unique<AccountsPage>(
        *m_store, *m_settings,
        [this](const std::string& name) -> std::optional<std::string> {
          auto it = m_env.find(name);
          return it == m_env.end() ? std::nullopt : std::optional<std::string>(it->second);
        },
        [] { return std::make_unique<http::CurlHttpClient>(); });
    m_page->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_page.get()));
  }

  void cleanup() {
    verifyNoSecretShown();
    m_page.reset();
    m_fixture.reset();
  }

  void awsEnterSaveTestRemove() {
    QVERIFY(text("awsSourceLabel").contains(QStringLiteral("Source: none")));
    const QString secret = QStringLiteral("test-aws-secret/K7MDENG+bPxRfiCY");
    m_secrets.push_back(secret);
    QTest::keyClicks(child<QLineEdit>("awsAccessKeyLineEdit"), QStringLiteral("AKIATESTKEY12345WXYZ"));
    QTest::keyClicks(child<QLineEdit>("awsSecretLineEdit"), secret);
    QTest::keyClicks(child<QLineEdit>("awsRegionLineEdit"), QStringLiteral("us-west-2"));
    QCOMPARE(child<QLineEdit>("awsSecretLineEdit")->echoMode(), QLineEdit::Password);
    QSignalSpy changed(m_page.get(), &AccountsPage::credentialsChanged);
    click("awsSaveButton");
    QTRY_COMPARE(changed.count(), 1);
    QVERIFY(child<QLineEdit>("awsSecretLineEdit")->text().isEmpty());  // emptied once saved
    QVERIFY(text("awsSourceLabel").contains(QStringLiteral("key AKIA…WXYZ, region us-west-2")));
    QVERIFY(!settingsText().contains(secret));
    QVERIFY(settingsText().contains(QStringLiteral("AKIATESTKEY12345WXYZ")));
    QFile secrets(m_dir.filePath(QStringLiteral("secrets.json")));
    QVERIFY(secrets.open(QIODevice::ReadOnly));
    QVERIFY(QString::fromUtf8(secrets.readAll()).contains(QStringLiteral("aws/default/secret_access_key")));

    script("/sts", nlohmann::json::array(
                        {{{"status", 200}, {"body", "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/lab</Arn>"
                                                    "<Account>123456789012</Account><UserId>AIDA</UserId></GetCallerIdentityResult></GetCallerIdentityResponse>"}},
                         {{"status", 403}, {"body", "<ErrorResponse><Error><Code>InvalidClientTokenId</Code><Message>The security token "
                                                    "included in the request is invalid.</Message></Error></ErrorResponse>"}}}));
    QSignalSpy tested(m_page.get(), &AccountsPage::connectionTested);
    click("awsTestButton");
    QTRY_COMPARE(tested.count(), 1);
    QVERIFY2(tested.at(0).at(1).toBool(), qPrintable(text("awsResultLabel")));
    QCOMPARE(text("awsResultLabel"), QStringLiteral("Connected as arn:aws:iam::123456789012:user/lab — account 123456789012 — region us-west-2"));
    click("awsTestButton");
    QTRY_COMPARE(tested.count(), 2);
    QCOMPARE(tested.at(1).at(1).toBool(), false);
    QVERIFY(text("awsResultLabel").contains(QStringLiteral("InvalidClientTokenId: The security token included in the request is invalid.")));

    click("awsRemoveButton");
    QTRY_COMPARE(changed.count(), 2);
    QVERIFY(text("awsSourceLabel").contains(QStringLiteral("Source: none")));
    QVERIFY(!settingsText().contains(QStringLiteral("AKIATESTKEY")));
  }

  void awsImportFromCredentialsFile() {
    QDir().mkpath(m_dir.filePath(QStringLiteral(".aws")));
    QFile credentials(m_dir.filePath(QStringLiteral(".aws/credentials")));
    QVERIFY(credentials.open(QIODevice::WriteOnly));
    credentials.write("[lab]\naws_access_key_id = AKIAIMPORTED00001234\naws_secret_access_key = test-imported-secret-value\nregion = eu-central-1\n");
    credentials.close();
    m_secrets.push_back(QStringLiteral("test-imported-secret-value"));
    QTest::keyClicks(child<QLineEdit>("awsProfileLineEdit"), QStringLiteral("lab"));
    QSignalSpy changed(m_page.get(), &AccountsPage::credentialsChanged);
    click("awsImportButton");
    QTRY_COMPARE(changed.count(), 1);
    QVERIFY2(text("awsSourceLabel").contains(QStringLiteral("profile lab, key AKIA…1234")), qPrintable(text("awsSourceLabel")));
    QVERIFY(!settingsText().contains(QStringLiteral("test-imported-secret-value")));
    // An unknown profile: a clear error naming it.
    child<QLineEdit>("awsProfileLineEdit")->setText(QStringLiteral("nope"));
    click("awsImportButton");
    QVERIFY(text("awsResultLabel").contains(QStringLiteral("AWS profile 'nope' is not in")));
  }

  void gcpImportAndTest() {
    const auto v = nlohmann::json::parse(test::readText(test::sourceDir() / "tests/data/signing/gcp-jwt/rs256-service-account-vectors.json"));
    const QString keyPath = m_dir.filePath(QStringLiteral("sa.json"));
    QFile key(keyPath);
    QVERIFY(key.open(QIODevice::WriteOnly));
    key.write(QByteArray::fromStdString(nlohmann::json{{"type", "service_account"}, {"project_id", "demo-project"},
                                                       {"private_key_id", v["private_key_id"]}, {"private_key", v["private_key_pem"]},
                                                       {"client_email", "test-sa@demo-project.iam.gserviceaccount.com"},
                                                       {"token_uri", m_fixture->url("/gcp/token")}}
                                            .dump()));
    key.close();
    m_secrets.push_back(QString::fromStdString(v["private_key_pem"].get<std::string>().substr(40, 60)));
    m_env["GOOGLE_APPLICATION_CREDENTIALS"] = keyPath.toStdString();
    QSignalSpy changed(m_page.get(), &AccountsPage::credentialsChanged);
    click("gcpImportButton");
    QTRY_COMPARE(changed.count(), 1);
    QVERIFY(text("gcpSourceLabel").contains(QStringLiteral("test-sa@demo-project.iam.gserviceaccount.com")));
    QCOMPARE(child<QLineEdit>("gcpProjectLineEdit")->text(), QStringLiteral("demo-project"));
    QVERIFY(!settingsText().contains(QStringLiteral("PRIVATE KEY")));

    m_secrets.push_back(QStringLiteral("ya29.test-page-token"));
    script("/gcp/token", nlohmann::json::array({{{"status", 200}, {"body", R"({"access_token":"ya29.test-page-token","expires_in":3599})"}}}));
    script("/crm/v1/projects/demo-project",
           nlohmann::json::array({{{"status", 200}, {"body", R"({"projectId":"demo-project","name":"Demo Project"})"}}}));
    QSignalSpy tested(m_page.get(), &AccountsPage::connectionTested);
    click("gcpTestButton");
    QTRY_COMPARE(tested.count(), 1);
    QCOMPARE(text("gcpResultLabel"),
             QStringLiteral("Connected as test-sa@demo-project.iam.gserviceaccount.com — account demo-project — Demo Project"));
  }

  void azureImportFromVariablesAndTest() {
    m_env["AZURE_TENANT_ID"] = "tenant-7";
    m_env["AZURE_CLIENT_ID"] = "client-7";
    m_env["AZURE_CLIENT_SECRET"] = "test-azure-page-secret";
    m_env["AZURE_SUBSCRIPTION_ID"] = "sub-7";
    m_secrets.push_back(QStringLiteral("test-azure-page-secret"));
    QSignalSpy changed(m_page.get(), &AccountsPage::credentialsChanged);
    click("azureImportButton");
    QTRY_COMPARE(changed.count(), 1);
    QVERIFY(text("azureSourceLabel").contains(QStringLiteral("client client-7 in tenant tenant-7")));
    QVERIFY(!settingsText().contains(QStringLiteral("test-azure-page-secret")));
    script("/tenant-7/oauth2/v2.0/token",
           nlohmann::json::array({{{"status", 200}, {"body", R"({"access_token":"eyJ.test-azure","expires_in":3599})"}}}));
    script("/arm/subscriptions/sub-7", nlohmann::json::array({{{"status", 200}, {"body", R"({"subscriptionId":"sub-7","displayName":"Lab","state":"Enabled"})"}}}));
    QSignalSpy tested(m_page.get(), &AccountsPage::connectionTested);
    click("azureTestButton");
    QTRY_COMPARE(tested.count(), 1);
    QCOMPARE(text("azureResultLabel"), QStringLiteral("Connected as service principal client-7 — account sub-7 — Lab (Enabled)"));
  }

  void billingApiKeyAndPlaintextOptIn() {
    m_secrets.push_back(QStringLiteral("AIzaSyTestBillingKey0123"));
    QTest::keyClicks(child<QLineEdit>("gcpApiKeyLineEdit"), QStringLiteral("AIzaSyTestBillingKey0123"));
    QSignalSpy changed(m_page.get(), &AccountsPage::credentialsChanged);
    click("gcpSaveApiKeyButton");
    QTRY_COMPARE(changed.count(), 1);
    QVERIFY(child<QLineEdit>("gcpApiKeyLineEdit")->text().isEmpty());
    QVERIFY(!settingsText().contains(QStringLiteral("AIzaSyTestBillingKey0123")));
    // Off by default; opting in is an explicit, persisted choice.
    auto* plaintext = m_page->findChild<QCheckBox*>(QStringLiteral("plaintextCheckBox"));
    QVERIFY(plaintext && !plaintext->isChecked());
    QTest::mouseClick(plaintext, Qt::LeftButton, {}, QPoint(5, plaintext->height() / 2));
    QVERIFY(m_settings->value(QStringLiteral("accounts/plaintextSecrets")).toBool());
    // The test's store is the plaintext one: the page says so.
    QVERIFY(text("storeLabel").contains(QStringLiteral("not encrypted")));
  }

  void policiesAreReadyToCopy() {
    click("awsCopyPolicyButton");
    const auto policy = nlohmann::json::parse(QApplication::clipboard()->text().toStdString(), nullptr, false);
    QVERIFY(policy.is_object());
    QCOMPARE(policy["Version"].get<std::string>(), std::string("2012-10-17"));
    QVERIFY(child<QPlainTextEdit>("gcpPolicyTextEdit")->toPlainText().contains(QStringLiteral("roles/compute.instanceAdmin.v1")));
    QVERIFY(nlohmann::json::parse(child<QPlainTextEdit>("azurePolicyTextEdit")->toPlainText().toStdString(), nullptr, false).is_object());
  }
};

QTEST_MAIN(AccountsPageTest)
#include "AccountsPageTest.moc"
