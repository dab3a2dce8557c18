// Lab, offscreen: the History tab's "Load AWS spot history" for a selected AWS offer asks moto's EC2
// (signed, AWS keys from the environment through the chain, off the GUI thread) for the offer's zone
// by ID, over 90 days, and draws AWS's record as steps; an offer of another cloud cannot ask, and
// refused credentials say why under the chart.
#include <QCoreApplication>
#include <QLabel>
#include <QLineSeries>
#include <QPushButton>
#include <QSettings>
#include <QTableView>
#include <QTemporaryDir>

#include "TestSupport.h"
#include "core/pricing/Snapshot.h"
#include "lab/LabPeer.h"
#include "ui/platform/SecretStore.h"
#include "ui/prices/OfferFilterProxy.h"
#include "ui/prices/PriceCharts.h"
#include "ui/prices/PricesPage.h"
#include "ui/prices/RefreshController.h"

using namespace spotwise;
using namespace spotwise::ui;

class PricesPageAwsRecordLabTest : public QObject {
  Q_OBJECT

  std::unique_ptr<test::LabPeer> m_moto;
  QTemporaryDir m_dir;

  /** Makes the row of `instanceType` in `region`/`zone` of `provider` current; false when it is not shown. */
  static bool select(PricesPage& page, pricing::CloudProvider provider, const std::string& region, const std::string& zone,
                     const std::string& instanceType) {
    for (int r = 0; r < page.proxy()->rowCount(); ++r) {
      const auto* o = page.proxy()->offerAt(r);
      if (o->provider == provider && o->region == region && o->zone == zone && o->instanceType == instanceType) {
        page.offersView()->setCurrentIndex(page.proxy()->index(r, 0));
        return true;
      }
    }
    return false;
  }

  void useKeys(const std::string& secret) {
    qputenv("AWS_ACCESS_KEY_ID", QByteArray::fromStdString(m_moto->value("accessKeyId")));
    qputenv("AWS_SECRET_ACCESS_KEY", QByteArray::fromStdString(secret));
  }

 private Q_SLOTS:
  void initTestCase() {
    m_moto = std::make_unique<test::LabPeer>(QStringLiteral("python3"), QStringList{test::labPeerScript("moto_peer.py")});
    SPOTWISE_REQUIRE_PEER(*m_moto);
    // The user's AWS: keys in the environment (the chain), moto as EC2; no ~/.aws of whoever runs this.
    for (const char* name : {"AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL_STS"}) qunsetenv(name);
    qputenv("AWS_SHARED_CREDENTIALS_FILE", m_dir.filePath(QStringLiteral("no-credentials")).toUtf8());
    qputenv("AWS_CONFIG_FILE", m_dir.filePath(QStringLiteral("no-config")).toUtf8());
    qputenv("AWS_ENDPOINT_URL", QByteArray::fromStdString(m_moto->value("endpoint")));
  }
  void cleanupTestCase() { m_moto.reset(); }

  void awsRecordOfTheSelectedZone() {
    useKeys(m_moto->value("secretAccessKey"));
    auto store = makePlaintextSecretStore(m_dir.filePath(QStringLiteral("secrets.json")));
    QSettings settings(m_dir.filePath(QStringLiteral("settings.ini")), QSettings::IniFormat);
    PricesPage page;
    page.setAccounts(store.get(), &settings);
    page.setNow(1'800'000'000);
    auto embedded = pricing::embeddedSnapshot();
    QVERIFY(embedded);
    page.setSnapshot(*embedded);
    page.refreshController()->wait();
    QCoreApplication::processEvents();
    PriceCharts* charts = page.charts();

    // An Azure offer: AWS's record is not for it.
    QVERIFY(select(page, pricing::CloudProvider::Azure, "eastus", "", "Standard_NV4as_v4"));
    QVERIFY(!charts->awsRecordButton()->isEnabled());
    QVERIFY(charts->awsRecordStatus()->text().contains(QStringLiteral("AWS offers")));

    // g4dn.xlarge in us-east-1's zone use1-az6 (moto's us-east-1a), 90 days back from "now".
    QVERIFY(select(page, pricing::CloudProvider::Aws, "us-east-1", "use1-az6", "g4dn.xlarge"));
    QVERIFY(charts->awsRecordButton()->isEnabled());
    charts->awsRecordButton()->click();
    QVERIFY(!charts->awsRecordButton()->isEnabled());  // while asking
    QTRY_VERIFY_WITH_TIMEOUT(charts->awsRecordButton()->isEnabled(), 30000);
    const QString status = charts->awsRecordStatus()->text();
    // moto's one placeholder item (0.00001 $/h since 2006) is the price in effect at the window's start.
    QVERIFY2(status.contains(QStringLiteral("since 2026-10-17")) && status.contains(QStringLiteral("0.0000 $/h then")) &&
                 status.contains(QStringLiteral("0 change(s) since")),
             qPrintable(status));
    const auto steps = charts->historyAwsRecord()->points();
    QCOMPARE(steps.size(), 2);
    QCOMPARE(steps[0], QPointF(1'792'224'000'000.0, 0.00001));  // from the window's start...
    QCOMPARE(steps[1], QPointF(1'800'000'000'000.0, 0.00001));  // ...to now
    const auto calls = m_moto->requests(QStringLiteral("Action=DescribeSpotPriceHistory"));
    QCOMPARE(calls.size(), 1);
    const QString body = calls[0].toObject().value(QStringLiteral("body")).toString();
    QVERIFY2(body.contains(QStringLiteral("AvailabilityZoneId=use1-az6")) && body.contains(QStringLiteral("InstanceType.1=g4dn.xlarge")) &&
                 body.contains(QStringLiteral("StartTime=2026-10-17T08%3A00%3A00Z")),
             qPrintable(body));

    // Another row: the record is cleared, to be asked for again.
    QVERIFY(select(page, pricing::CloudProvider::Aws, "us-east-1", "use1-az2", "g4dn.xlarge"));
    QCOMPARE(charts->historyAwsRecord()->count(), 0);

    // Refused credentials: said under the chart, nothing drawn, the secret nowhere.
    useKeys("wrong-secret-for-the-lab");
    charts->awsRecordButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT(charts->awsRecordButton()->isEnabled(), 30000);
    const QString refused = charts->awsRecordStatus()->text();
    QVERIFY2(refused.startsWith(QStringLiteral("AWS's record could not be loaded: AwsSpotPriceHistory us-east-1: ")), qPrintable(refused));
    QVERIFY(!refused.contains(QStringLiteral("wrong-secret-for-the-lab")));
    QCOMPARE(charts->historyAwsRecord()->count(), 0);
  }
};

QTEST_MAIN(PricesPageAwsRecordLabTest)
#include "PricesPageAwsRecordLabTest.moc"
