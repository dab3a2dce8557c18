// Lab, offscreen: the Prices page's refresh with no AWS keys saved on the Accounts page finds them
// through the AWS chain off the GUI thread: a role profile (role_arn + source_profile) assumed at
// moto's STS, then the signed spot price history loaded from moto; a credential_process that
// exits 1 then shows the signed source failed, naming the step, with the other sources loaded.
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>

#include <nlohmann/json.hpp>

#include "LoopbackServer.h"
#include "TestSupport.h"
#include "core/http/CurlHttpClient.h"
#include "core/pricing/PriceRefresh.h"
#include "core/pricing/Snapshot.h"
#include "lab/LabPeer.h"
#include "ui/platform/SecretStore.h"
#include "ui/prices/PricesPage.h"
#include "ui/prices/RefreshController.h"

using namespace spotwise;
using namespace spotwise::ui;

namespace {
void writeFile(const QString& path, const std::string& text, bool executable = false) {
  QDir().mkpath(QFileInfo(path).path());
  QFile file(path);
  QVERIFY2(file.open(QIODevice::WriteOnly | QIODevice::Truncate), qPrintable(path));
  file.write(QByteArray::fromStdString(text));
  file.close();
  if (executable) file.setPermissions(file.permissions() | QFileDevice::ExeOwner);
}
}  // namespace

class PricesPageAwsChainLabTest : public QObject {
  Q_OBJECT

  std::unique_ptr<test::LabPeer> m_moto;
  QTemporaryDir m_dir;

 private Q_SLOTS:
  void initTestCase() {
    m_moto = std::make_unique<test::LabPeer>(QStringLiteral("python3"), QStringList{test::labPeerScript("moto_peer.py")});
    SPOTWISE_REQUIRE_PEER(*m_moto);
  }
  void cleanupTestCase() { m_moto.reset(); }

  void roleProfileReachesMotoFromTheRefreshButton() {
    test::LoopbackServer server = test::LoopbackServer::httpFixture((test::sourceDir() / "tests/data").string());
    QVERIFY2(server.running(), "the fixture server (python3) did not start");
    http::CurlHttpClient client;
    auto scriptIndex = [&] {
      http::Request r;
      r.method = "POST";
      r.url = server.url("/__script?path=/aws/region_index.json");
      r.body = nlohmann::json::array(
                   {{{"status", 200},
                     {"body", nlohmann::json{{"regions", {{"us-east-2", {{"currentVersionUrl", "/files/pricing/aws/derived_us-east-2_p3.8xlarge_linux.json"}}}}}}.dump()}}})
                   .dump();
      QVERIFY(client.send(r));
    };
    scriptIndex();

    // The user's AWS setup: a role profile in the files the environment names, and moto as AWS.
    const QString credentials = m_dir.filePath(QStringLiteral("aws/credentials"));
    const QString awsConfig = m_dir.filePath(QStringLiteral("aws/config"));
    writeFile(credentials, "[base]\naws_access_key_id = " + m_moto->value("accessKeyId") +
                               "\naws_secret_access_key = " + m_moto->value("secretAccessKey") + "\n");
    writeFile(awsConfig, "[default]\nrole_arn = " + m_moto->value("roleArn") + "\nsource_profile = base\n");
    for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL_EC2",
                             "AWS_ENDPOINT_URL_STS"})
      qunsetenv(name);
    qputenv("AWS_SHARED_CREDENTIALS_FILE", credentials.toUtf8());
    qputenv("AWS_CONFIG_FILE", awsConfig.toUtf8());
    qputenv("AWS_ENDPOINT_URL", QByteArray::fromStdString(m_moto->value("endpoint")));

    pricing::RefreshConfig config;
    config.endpoints.awsRegionIndexUrl = server.url("/aws/region_index.json");
    config.endpoints.awsOfferBase = server.url("");
    const std::string dead = "http://127.0.0.1:9/";
    config.endpoints.awsSpotFeedUrl = dead + "spot.js";
    config.endpoints.awsAdvisorUrl = dead + "advisor.json";
    config.endpoints.azureRetailUrl = dead + "azure";
    config.awsRegions = {"us-east-2"};
    config.awsSpotHistoryTypes = {"g5.xlarge", "p3.8xlarge"};
    config.cacheDir = m_dir.filePath(QStringLiteral("cache")).toStdString();
    config.settings.retry.maxAttempts = 1;
    config.settings.timeout = std::chrono::seconds(20);

    // No AWS keys on the Accounts page: the chain is what the refresh uses.
    auto store = makePlaintextSecretStore(m_dir.filePath(QStringLiteral("secrets.json")));
    QSettings settings(m_dir.filePath(QStringLiteral("settings.ini")), QSettings::IniFormat);
    PricesPage page;
    page.setAccounts(store.get(), &settings);
    page.setRefreshConfig(config, m_dir.filePath(QStringLiteral("live/prices.sqlite")));
    auto embedded = pricing::embeddedSnapshot();
    QVERIFY(embedded);
    page.setSnapshot(*embedded);
    page.refreshController()->wait();
    QCoreApplication::processEvents();

    QSignalSpy done(page.refreshController(), &RefreshController::finished);
    page.refresh();
    QVERIFY(done.wait(30000));
    const auto* history = page.findChild<QLabel*>(QStringLiteral("sourceLabel_aws-spot-history"));
    QTRY_VERIFY2(history->text().contains(QStringLiteral("fresh")), qPrintable(history->text() + QStringLiteral(" / ") + history->toolTip()));
    QCOMPARE(m_moto->requests(QStringLiteral("Action=AssumeRole")).size(), 1);
    const auto calls = m_moto->requests(QStringLiteral("Action=DescribeSpotPriceHistory"));
    QCOMPARE(calls.size(), 1);
    const QString auth = calls[0].toObject().value(QStringLiteral("headers")).toObject().value(QStringLiteral("Authorization")).toString();
    QVERIFY2(auth.contains(QStringLiteral("Credential=ASIA")), qPrintable(auth));  // the role's temporary key

    // The chain breaks (a credential_process that exits 1): that source fails and says where; the rest loads.
    const QString script = m_dir.filePath(QStringLiteral("bin/creds.sh"));
    writeFile(script, "#!/bin/sh\nexit 1\n", true);
    writeFile(awsConfig, "[default]\ncredential_process = " + script.toStdString() + "\n");
    scriptIndex();
    QSignalSpy again(page.refreshController(), &RefreshController::finished);
    page.refresh();
    QVERIFY(again.wait(30000));
    QTRY_VERIFY2(history->text().contains(QStringLiteral("stale since")), qPrintable(history->text()));
    QVERIFY2(history->toolTip().startsWith(QStringLiteral("AwsSpotHistory: AWS credentials: credential_process of profile 'default'")),
             qPrintable(history->toolTip()));
    const auto* offer = page.findChild<QLabel*>(QStringLiteral("sourceLabel_aws-offer"));
    QVERIFY2(offer->text().contains(QStringLiteral("fresh")), qPrintable(offer->text()));
    QCOMPARE(m_moto->requests(QStringLiteral("Action=AssumeRole")).size(), 1);  // no new STS call
  }
};

QTEST_MAIN(PricesPageAwsChainLabTest)
#include "PricesPageAwsChainLabTest.moc"
