// The Prices page offscreen: filters, search, sorting, CSV, banner, chart data and a live refresh
// against a real loopback HTTP server (one source failing).
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QClipboard>
#include <QDateTime>
#include <QGraphicsSimpleTextItem>
#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileInfo>
#include <QGuiApplication>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTemporaryDir>

#include <nlohmann/json.hpp>

#include "HttpFixture.h"
#include "LoopbackServer.h"
#include "TestSupport.h"
#include "core/pricing/Comparison.h"
#include "core/pricing/PriceHistory.h"
#include "core/pricing/PriceRefresh.h"
#include "core/common/Time.h"
#include "core/pricing/Snapshot.h"
#include "ui/models/OfferTableModel.h"
#include "ui/models/QtConvert.h"
#include "ui/prices/PriceCharts.h"
#include "ui/prices/PricesPage.h"
#include "ui/prices/RefreshController.h"
#include "ui/platform/SecretStore.h"

#include <QSettings>

using namespace spotwise;
using namespace spotwise::ui;
using pricing::CloudProvider;
using pricing::Offer;

class PricesPageTest : public QObject {
  Q_OBJECT

  pricing::Snapshot m_snapshot;
  QTemporaryDir m_dir;

  std::unique_ptr<PricesPage> makePage() {
    auto page = std::make_unique<PricesPage>();
    // Keep the test away from the user's data: an empty history in a temporary folder.
    pricing::RefreshConfig config;
    config.cacheDir = m_dir.filePath(QStringLiteral("cache")).toStdString();
    page->setRefreshConfig(config, m_dir.filePath(QStringLiteral("none/prices.sqlite")));
    page->setSnapshot(m_snapshot);
    page->refreshController()->wait();
    QCoreApplication::processEvents();
    return page;
  }
  static void choose(QComboBox* combo, const QString& text) {
    const int i = combo->findText(text);
    QVERIFY2(i >= 0, qPrintable(text));
    combo->setCurrentIndex(i);
  }
  /** The comparison chart draws `expected`: a bar and a "$x.xx" label per present price, no label (never "$0") for a missing one. */
  static void checkComparison(const PriceCharts& charts, const std::vector<pricing::ProviderCheapest>& expected) {
    QCOMPARE(charts.comparisonLabels().size(), expected.size());
    QCOMPARE(charts.comparisonCategories().size(), static_cast<int>(expected.size()));
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const auto& e = expected[i];
      const int bar = static_cast<int>(i);
      const QString category = charts.comparisonCategories()[bar];
      for (const auto& [usd, set, label, missing] :
           {std::tuple{e.onDemandUsd, charts.onDemandBars(), charts.comparisonLabels()[i].first, QStringLiteral("no on-demand")},
            std::tuple{e.spotUsd, charts.spotBars(), charts.comparisonLabels()[i].second, QStringLiteral("no spot")}}) {
        if (usd) {
          QCOMPARE(set->at(bar), *usd);
          QVERIFY(label);
          QCOMPARE(label->text(), QStringLiteral("$%1").arg(*usd, 0, 'f', 2));
          QVERIFY2(!category.contains(missing), qPrintable(category));
        } else {
          QVERIFY2(!label, qPrintable(category + QStringLiteral(": a missing price has a label: ") + (label ? label->text() : QString())));
          QVERIFY2(category.contains(e.onDemandUsd || e.spotUsd ? missing : QStringLiteral("no offer")), qPrintable(category));
        }
      }
      if (const auto s = e.savingsPercent()) {
        QVERIFY2(category.contains(QStringLiteral("(−%1 %)").arg(*s, 0, 'f', 0)), qPrintable(category));
      } else {
        QVERIFY2(!category.contains(QStringLiteral("%")), qPrintable(category));  // no savings without both prices
      }
    }
  }
  static Offer offer(CloudProvider provider, const char* type, const char* region, std::optional<double> onDemand, std::optional<double> spot) {
    Offer o;
    o.provider = provider;
    o.instanceType = type;
    o.region = region;
    o.gpuModel = "A100-80GB";
    o.gpuCount = 8;
    if (onDemand) o.onDemand = pricing::Price{*onDemand, "test", 0};
    if (spot) o.spot = pricing::Price{*spot, "test", 0};
    return o;
  }
  /** Every live source's endpoint on `server` (what it does not script answers 404); one attempt each. */
  pricing::RefreshConfig serverConfig(const test::LoopbackServer& server, const char* cache) {
    auto config = test::refreshOn(server, {"us-east-2"}, m_dir.filePath(QString::fromUtf8(cache)).toStdString());
    config.settings.timeout = std::chrono::seconds(10);
    return config;
  }
  /** No AWS credentials from the environment or ~/.aws: the per-zone spot source is skipped. */
  void clearAwsEnvironment() {
    qunsetenv("AWS_ACCESS_KEY_ID");
    qputenv("AWS_SHARED_CREDENTIALS_FILE", m_dir.filePath(QStringLiteral("no-aws-credentials")).toUtf8());
    qputenv("AWS_CONFIG_FILE", m_dir.filePath(QStringLiteral("no-aws-config")).toUtf8());
  }
  static std::vector<Offer> shown(PricesPage& page) {
    std::vector<Offer> out;
    for (int r = 0; r < page.proxy()->rowCount(); ++r) out.push_back(*page.proxy()->offerAt(r));
    return out;
  }

 private Q_SLOTS:
  void initTestCase() {
    auto snapshot = pricing::embeddedSnapshot();
    QVERIFY(snapshot);
    m_snapshot = *snapshot;
    QVERIFY(m_dir.isValid());
  }

  void filtersCombine() {
    auto page = makePage();
    choose(page->findChild<QComboBox*>(QStringLiteral("gpuComboBox")), QStringLiteral("H100"));
    page->findChild<QSpinBox*>(QStringLiteral("minGpusSpinBox"))->setValue(8);
    choose(page->findChild<QComboBox*>(QStringLiteral("providerComboBox")), QStringLiteral("Azure"));
    const auto rows = shown(*page);
    const auto expected = std::ranges::count_if(m_snapshot.offers, [](const Offer& o) {
      return o.gpuModel == "H100" && o.gpuCount >= 8 && o.provider == CloudProvider::Azure;
    });
    QVERIFY(expected > 0);
    QCOMPARE(static_cast<long>(rows.size()), static_cast<long>(expected));
    for (const auto& o : rows) QCOMPARE(o.instanceType, std::string("Standard_ND96isr_H100_v5"));
    QVERIFY(page->findChild<QLabel*>(QStringLiteral("countLabel"))->text().contains(QStringLiteral(" of %1").arg(m_snapshot.offers.size())));
  }

  void maxPriceSpotOnlyAndRegion() {
    auto page = makePage();
    page->findChild<QCheckBox*>(QStringLiteral("spotOnlyCheckBox"))->setChecked(true);
    page->findChild<QDoubleSpinBox*>(QStringLiteral("maxPriceSpinBox"))->setValue(1.0);
    choose(page->findChild<QComboBox*>(QStringLiteral("regionComboBox")), QStringLiteral("us-east-1"));
    const auto rows = shown(*page);
    const auto expected = std::ranges::count_if(m_snapshot.offers, [](const Offer& o) {
      return o.spot && o.spot->usdPerHour <= 1.0 && o.region == "us-east-1";
    });
    QVERIFY(expected > 0);
    QCOMPARE(static_cast<long>(rows.size()), static_cast<long>(expected));
    for (const auto& o : rows) QVERIFY(o.spot && o.spot->usdPerHour <= 1.0);
  }

  void searchAsYouTypeAndSortBySavings() {
    auto page = makePage();
    auto* search = page->findChild<QLineEdit*>(QStringLiteral("searchLineEdit"));
    QTest::keyClicks(search, QStringLiteral("a100-80"));
    const auto rows = shown(*page);
    QVERIFY(!rows.empty());
    for (const auto& o : rows) QCOMPARE(o.gpuModel, std::string("A100-80GB"));
    auto* table = page->findChild<QTableView*>(QStringLiteral("offersTableView"));
    table->sortByColumn(OfferTableModel::SavingsColumn, Qt::DescendingOrder);
    double previous = 1e9;
    for (const auto& o : shown(*page)) {
      const double s = o.savingsPercent().value_or(-1e9);
      QVERIFY(s <= previous);
      previous = s;
    }
  }

  void interruptionAndAgeColumns() {
    auto page = makePage();
    page->setNow(*parseIso8601Utc("2026-11-28T06:00:00Z"));
    auto* search = page->findChild<QLineEdit*>(QStringLiteral("searchLineEdit"));
    QTest::keyClicks(search, QStringLiteral("g4dn.xlarge"));
    choose(page->findChild<QComboBox*>(QStringLiteral("regionComboBox")), QStringLiteral("us-east-1"));
    QVERIFY(page->proxy()->rowCount() > 0);
    for (int r = 0; r < page->proxy()->rowCount(); ++r) {
      QCOMPARE(page->proxy()->index(r, OfferTableModel::InterruptionColumn).data().toString(), QStringLiteral("15-20%"));
      QCOMPARE(page->proxy()->index(r, OfferTableModel::AgeColumn).data().toString(), QStringLiteral("6 h"));
    }
  }

  void staleBannerAfterADay() {
    auto page = makePage();
    page->show();
    auto* banner = page->findChild<QLabel*>(QStringLiteral("staleBanner"));
    const std::int64_t asOf = m_snapshot.oldestAsOf();
    page->setNow(asOf + 3600);
    QVERIFY(!banner->isVisible());
    page->setNow(asOf + 2 * 86400);
    QVERIFY(banner->isVisible());
    QVERIFY(banner->text().contains(QStringLiteral("more than a day old")));
  }

  void csvExportHasPlainNumbersAndEmptyMissingPrices() {
    auto page = makePage();
    choose(page->findChild<QComboBox*>(QStringLiteral("gpuComboBox")), QStringLiteral("H200"));
    const QString path = m_dir.filePath(QStringLiteral("export.csv"));
    QVERIFY(page->exportCsv(path));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), page->proxy()->rowCount() + 1);
    QVERIFY(lines[0].startsWith(QStringLiteral("Provider,Region,Instance type,GPUs")));
    QVERIFY(lines[0].contains(QStringLiteral("Interruptions")));
    for (int r = 1; r < lines.size(); ++r) {
      QVERIFY(!lines[r].contains(QStringLiteral("$")));
      QVERIFY(!lines[r].contains(QStringLiteral("—")));
    }
    // p5e.48xlarge has no on-demand price in the catalog: an empty field, not 0.
    bool sawMissing = false;
    for (const auto& o : shown(*page)) sawMissing = sawMissing || !o.onDemand;
    QVERIFY(sawMissing);
    QVERIFY(!page->exportCsv(m_dir.filePath(QStringLiteral("no/such/dir/x.csv"))));
  }

  void comparisonChartDrawsTheCheapestPerProvider() {
    auto page = makePage();
    choose(page->findChild<QComboBox*>(QStringLiteral("gpuComboBox")), QStringLiteral("H100"));
    page->findChild<QSpinBox*>(QStringLiteral("minGpusSpinBox"))->setValue(8);
    auto* charts = page->charts();
    QTRY_VERIFY(charts->comparisonCategories().size() == 3 && charts->comparisonCategories()[0].startsWith(QStringLiteral("AWS")));
    const auto expected = pricing::cheapestByProvider(m_snapshot.offers, "H100", 8);
    QTRY_COMPARE(charts->onDemandBars()->count(), 3);
    checkComparison(*charts, expected);
    // Savings ranking over the shown offers, best first (drawn bottom-up).
    const auto top = pricing::topSavings(shown(*page), 20);
    QCOMPARE(charts->savingsBars()->count(), static_cast<int>(top.size()));
    QCOMPARE(charts->savingsBars()->at(charts->savingsBars()->count() - 1), std::round(*top.front().savingsPercent() * 10) / 10);
  }

  // An AWS zone offer (what every AWS offer is once the per-zone spot source ran): its chart draws the
  // region's on-demand series (AWS prices on-demand per region), named so, and its zone's own spot series.
  void historyChartOfAZoneOfferDrawsRegionOnDemandAndZoneSpot() {
    const QString db = m_dir.filePath(QStringLiteral("zones/prices.sqlite"));
    QVERIFY(QDir().mkpath(QFileInfo(db).absolutePath()));
    const std::int64_t t0 = *parseIso8601Utc("2026-11-28T00:00:00Z"), t1 = t0 + 6 * 3600;
    {
      auto history = pricing::PriceHistory::open(db.toStdString());
      QVERIFY(history);
      auto record = [](const char* source, const char* zone, pricing::sources::PriceKind kind, double usd, std::int64_t at, int gpus) {
        pricing::sources::PriceRecord r;
        r.provider = CloudProvider::Aws;
        r.region = "eu-north-1";
        r.zone = zone;
        r.instanceType = "g4dn.xlarge";
        r.kind = kind;
        r.usdPerHour = usd;
        r.asOfUnix = at;
        r.sourceId = source;
        r.gpuCount = gpus;  // as stored: AWS sources name no GPU model
        return r;
      };
      using pricing::sources::PriceKind;
      for (const auto& [at, onDemand, spotA, spotB] : {std::tuple{t0, 0.558, 0.1702, 0.1811}, std::tuple{t1, 0.561, 0.1733, 0.1820}}) {
        pricing::sources::ParsedPrices offers, zones;
        offers.records = {record("aws-offer", "", PriceKind::OnDemand, onDemand, at, 1)};
        zones.records = {record("aws-spot-history", "eu-north-1a", PriceKind::Spot, spotA, at, 0),
                         record("aws-spot-history", "eu-north-1b", PriceKind::Spot, spotB, at, 0)};
        QVERIFY(history->recordSuccess("aws-offer", at, offers));
        QVERIFY(history->recordSuccess("aws-spot-history", at, zones));
      }
    }
    pricing::RefreshConfig config;
    config.cacheDir = m_dir.filePath(QStringLiteral("zones-cache")).toStdString();
    PricesPage page;
    page.setRefreshConfig(config, db);
    page.setSnapshot(m_snapshot);
    page.refreshController()->wait();
    QTRY_VERIFY(page.findChild<QLabel*>(QStringLiteral("asOfLabel"))->text().startsWith(QStringLiteral("Live prices")));
    QTest::keyClicks(page.findChild<QLineEdit*>(QStringLiteral("searchLineEdit")), QStringLiteral("eu-north-1a"));
    int row = -1;
    for (int r = 0; r < page.proxy()->rowCount(); ++r) {
      const auto* o = page.proxy()->offerAt(r);
      if (o->provider == CloudProvider::Aws && o->zone == "eu-north-1a" && o->instanceType == "g4dn.xlarge") row = r;
    }
    QVERIFY2(row >= 0, "the zone offer is not in the table");
    QCOMPARE(page.proxy()->offerAt(row)->onDemand->usdPerHour, 0.561);  // the region's price, folded into the zone offer
    auto* charts = page.charts();
    page.offersView()->setCurrentIndex(page.proxy()->index(row, 0));
    const auto* onDemand = charts->historyOnDemand();
    QCOMPARE(onDemand->count(), 2);
    QCOMPARE(onDemand->at(0), QPointF(double(t0) * 1000.0, 0.558));
    QCOMPARE(onDemand->at(1), QPointF(double(t1) * 1000.0, 0.561));
    QVERIFY2(onDemand->name().contains(QStringLiteral("whole region")), qPrintable(onDemand->name()));
    const auto* spot = charts->historySpot();
    QCOMPARE(spot->count(), 2);  // eu-north-1a only, not eu-north-1b's series mixed in
    QCOMPARE(spot->at(0), QPointF(double(t0) * 1000.0, 0.1702));
    QCOMPARE(spot->at(1), QPointF(double(t1) * 1000.0, 0.1733));
    QCOMPARE(spot->name(), QStringLiteral("Spot"));
  }

  // One provider with both prices, one with on-demand only, one with spot only (prices chosen by hand):
  // a missing price is no bar and no label, never "$0"; each label sits over its own bar.
  void comparisonChartDrawsAMissingPriceAsNoBar() {
    const std::vector<Offer> offers{
        offer(CloudProvider::Aws, "p4de.24xlarge", "us-east-1", 40.96, 12.29),
        offer(CloudProvider::Aws, "p4de.24xlarge", "us-west-2", 41.00, 10.24),  // cheaper spot elsewhere
        offer(CloudProvider::Gcp, "a2-ultragpu-8g", "us-central1", 40.22, std::nullopt),
        offer(CloudProvider::Azure, "Standard_ND96amsr_A100_v4", "eastus", std::nullopt, 9.83)};
    PriceCharts charts;
    charts.resize(900, 420);
    charts.show();
    QVERIFY(QTest::qWaitForWindowExposed(&charts));
    charts.setComparison(offers, QStringLiteral("A100-80GB"), 8);
    const auto expected = pricing::cheapestByProvider(offers, "A100-80GB", 8);
    checkComparison(charts, expected);
    // Hand-checked: AWS 40.96 on-demand (us-east-1) vs 10.24 spot (us-west-2) = 75 % saved.
    QCOMPARE(charts.comparisonCategories(),
             (QStringList{QStringLiteral("AWS (−75 %)"), QStringLiteral("GCP (no spot)"), QStringLiteral("Azure (no on-demand)")}));
    // Each label is centred over its bar and just above its top.
    auto* view = charts.findChild<QChartView*>(QStringLiteral("compareChartView"));
    QVERIFY(view);
    QChart* chart = view->chart();
    auto* series = static_cast<QBarSeries*>(chart->series().at(0));
    const qreal width = series->barWidth() / 2;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      for (int set = 0; set < 2; ++set) {
        const QGraphicsSimpleTextItem* label = set == 0 ? charts.comparisonLabels()[i].first : charts.comparisonLabels()[i].second;
        if (!label) continue;
        const qreal value = *(set == 0 ? expected[i].onDemandUsd : expected[i].spotUsd);
        const qreal left = static_cast<qreal>(i) - series->barWidth() / 2 + width * set;
        const QPointF barLeft = chart->mapToPosition(QPointF(left, value), series);
        const QPointF barRight = chart->mapToPosition(QPointF(left + width, value), series);
        const QRectF box = label->mapRectToItem(chart, label->boundingRect());
        QVERIFY2(std::abs(box.center().x() - (barLeft.x() + barRight.x()) / 2) < 1.0, qPrintable(label->text()));
        QVERIFY2(box.bottom() <= barLeft.y() && box.bottom() > barLeft.y() - 10, qPrintable(label->text()));
      }
    }
    // No GPU model chosen yet: nothing is missing, there is nothing to compare; the providers' names alone.
    charts.setComparison(offers, QString(), 0);
    QCOMPARE(charts.comparisonCategories(), (QStringList{QStringLiteral("AWS"), QStringLiteral("GCP"), QStringLiteral("Azure")}));
    QVERIFY(std::ranges::none_of(charts.comparisonLabels(), [](const auto& pair) { return pair.first || pair.second; }));
  }

  // Copy with rows selected puts exactly those rows on the clipboard (as CSV, header first); without a
  // selection, every shown row.
  void copyPutsTheSelectedRowsOnTheClipboard() {
    auto page = makePage();
    choose(page->findChild<QComboBox*>(QStringLiteral("gpuComboBox")), QStringLiteral("H100"));
    QVERIFY(page->proxy()->rowCount() >= 3);
    auto* selection = page->offersView()->selectionModel();
    selection->select(page->proxy()->index(0, 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);
    selection->select(page->proxy()->index(2, 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);
    QGuiApplication::clipboard()->clear();
    page->findChild<QPushButton*>(QStringLiteral("copyButton"))->click();
    const QStringList lines = QGuiApplication::clipboard()->text().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 3);
    QVERIFY(lines[0].startsWith(QStringLiteral("Provider,Region,Instance type,GPUs")));
    for (const auto& [line, row] : {std::pair{lines[1], 0}, std::pair{lines[2], 2}}) {
      const Offer& o = *page->proxy()->offerAt(row);
      QVERIFY2(line.startsWith(QStringLiteral("%1,%2,%3,").arg(toQString(pricing::providerDisplayName(o.provider)), toQString(o.region),
                                                                 toQString(o.instanceType))),
               qPrintable(line));
      if (o.spot) QVERIFY2(line.contains(QStringLiteral(",%1,").arg(o.spot->usdPerHour, 0, 'f', 6)), qPrintable(line));
    }
    QCOMPARE(page->findChild<QLabel*>(QStringLiteral("statusLabel"))->text(), QStringLiteral("Copied the selected rows"));
    selection->clearSelection();
    page->copySelection();
    QCOMPARE(QGuiApplication::clipboard()->text().count(QLatin1Char('\n')), page->proxy()->rowCount() + 1);
  }

  // A refresh that brings no live data (every source fails, none ever worked) leaves the table as it
  // was: Launch stays enabled for the selected row.
  void launchFollowsTheSelectionAfterARefreshWithNoLiveData() {
    test::LoopbackServer server = test::LoopbackServer::httpFixture();  // no scripts: every source gets 404
    QVERIFY2(server.running(), "the fixture server (python3) did not start");
    auto store = makePlaintextSecretStore(m_dir.filePath(QStringLiteral("nolive-secrets.json")));
    QSettings settings(m_dir.filePath(QStringLiteral("nolive-settings.ini")), QSettings::IniFormat);
    clearAwsEnvironment();
    PricesPage page;
    page.setAccounts(store.get(), &settings);
    page.setRefreshConfig(serverConfig(server, "nolive-cache"), m_dir.filePath(QStringLiteral("nolive/prices.sqlite")));
    page.setSnapshot(m_snapshot);
    page.refreshController()->wait();
    QCoreApplication::processEvents();
    auto* launch = page.findChild<QPushButton*>(QStringLiteral("launchButton"));
    page.offersView()->setCurrentIndex(page.proxy()->index(3, 0));
    const Offer selected = *page.currentOffer();
    QVERIFY(launch->isEnabled());
    QSignalSpy done(page.refreshController(), &RefreshController::finished);
    page.refresh();
    QVERIFY(done.wait(20000));
    const auto* aws = page.findChild<QLabel*>(QStringLiteral("sourceLabel_aws-offer"));
    QVERIFY2(aws->text().endsWith(QStringLiteral(": failed")), qPrintable(aws->text()));
    QVERIFY(page.findChild<QLabel*>(QStringLiteral("asOfLabel"))->text().startsWith(QStringLiteral("Offline snapshot")));
    QVERIFY(page.currentOffer());
    QCOMPARE(page.currentOffer()->instanceType, selected.instanceType);
    QVERIFY(launch->isEnabled());
    QSignalSpy launched(&page, &PricesPage::launchRequested);
    launch->click();
    QCOMPARE(launched.count(), 1);
    QCOMPARE(launched.at(0).at(0).value<Offer>().instanceType, selected.instanceType);
  }

  // A source that worked once and then fails says since when its data is stale, and why in its tooltip.
  void aFailedRefreshAfterAGoodOneSaysStaleSince() {
    test::LoopbackServer server = test::LoopbackServer::httpFixture((test::sourceDir() / "tests/data").string());
    QVERIFY2(server.running(), "the fixture server (python3) did not start");
    const nlohmann::json index{{"regions", {{"us-east-2", {{"currentVersionUrl", "/files/pricing/aws/derived_us-east-2_p3.8xlarge_linux.json"}}}}}};
    test::scriptAnswers(server, "/aws/region_index.json",
                        {{{"status", 200}, {"body", index.dump()}}, {{"status", 503}, {"body", "unavailable"}}});
    auto store = makePlaintextSecretStore(m_dir.filePath(QStringLiteral("stale-secrets.json")));
    QSettings settings(m_dir.filePath(QStringLiteral("stale-settings.ini")), QSettings::IniFormat);
    clearAwsEnvironment();
    const QString db = m_dir.filePath(QStringLiteral("stale/prices.sqlite"));
    PricesPage page;
    page.setAccounts(store.get(), &settings);
    page.setRefreshConfig(serverConfig(server, "stale-cache"), db);
    page.setSnapshot(m_snapshot);
    page.refreshController()->wait();
    QCoreApplication::processEvents();  // the stored data's load ends first
    const auto* aws = page.findChild<QLabel*>(QStringLiteral("sourceLabel_aws-offer"));
    QSignalSpy done(page.refreshController(), &RefreshController::finished);
    page.refresh();
    QVERIFY(done.wait(20000));
    QVERIFY2(aws->text().startsWith(QStringLiteral("AWS on-demand: fresh")), qPrintable(aws->text()));
    page.refresh();
    QVERIFY(done.wait(20000));
    auto history = pricing::PriceHistory::open(db.toStdString());
    QVERIFY(history);
    std::optional<std::int64_t> lastGood;
    const auto health = history->health();
    QVERIFY(health);
    for (const auto& h : *health) {
      if (h.sourceId == "aws-offer") {
        QVERIFY(!h.lastAttemptOk);
        lastGood = h.lastSuccessUnix;
      }
    }
    QVERIFY(lastGood);
    QCOMPARE(aws->text(), QStringLiteral("AWS on-demand: stale since %1")
                              .arg(QDateTime::fromSecsSinceEpoch(*lastGood, Qt::UTC).toString(QStringLiteral("yyyy-MM-dd HH:mm"))));
    QVERIFY2(aws->toolTip().contains(QStringLiteral("503")), qPrintable(aws->toolTip()));
    // The data of the good refresh is still what the table shows.
    QTest::keyClicks(page.findChild<QLineEdit*>(QStringLiteral("searchLineEdit")), QStringLiteral("p3.8xlarge"));
    QCOMPARE(page.proxy()->rowCount(), 1);
    QCOMPARE(page.proxy()->offerAt(0)->onDemand->usdPerHour, 12.24);
  }

  void refreshRunsOffTheGuiThreadAndShowsEachSource() {
    test::LoopbackServer server = test::LoopbackServer::httpFixture((test::sourceDir() / "tests/data").string());
    QVERIFY2(server.running(), "the fixture server (python3) did not start");
    const auto script = [&](const std::string& path, const nlohmann::json& steps) { test::scriptAnswers(server, path, steps); };
    script("/aws/region_index.json", {{{"status", 200},
                                       {"body", nlohmann::json{{"regions", {{"us-east-2", {{"currentVersionUrl",
                                                                                            "/files/pricing/aws/derived_us-east-2_p3.8xlarge_linux.json"}}}}}}
                                                    .dump()}}});
    script("/aws/spot.js", {{{"status", 502}, {"body", "bad gateway"}}});
    script("/aws/advisor.json", {{{"status", 200}, {"body", "{\"ranges\":[],\"spot_advisor\":{}}"}}});
    // The fixture page names a next page; the second (empty) page ends the paging, then it starts over.
    const nlohmann::json lastGcpPage{{"skus", nlohmann::json::array()}, {"nextPageToken", ""}};
    const nlohmann::json gcpPages{{{"status", 200}, {"body", test::readText(test::sourceDir() / "tests/data/pricing/gcp/opencost_provider_test_skus_page_A100_A2.json")}},
                                  {{"status", 200}, {"body", lastGcpPage.dump()}}};
    script("/gcp/skus", gcpPages);
    // An Azure page with one row of a type the parser does not know: loaded, and the row is warned about.
    auto azurePage = nlohmann::json::parse(test::readText(test::sourceDir() / "tests/data/pricing/azure/derived_page_B16als_v2_13-rows.json"));
    azurePage["Items"][0]["type"] = "SavingsPlanConsumption";
    script("/azure/prices", {{{"status", 200}, {"body", azurePage.dump()}}});
    auto config = serverConfig(server, "refresh-cache");
    config.settings.timeout = std::chrono::seconds(10);

    // The accounts: a labelled plaintext store (the keychain's stand-in) and settings with no AWS keys.
    auto store = makePlaintextSecretStore(m_dir.filePath(QStringLiteral("secrets.json")));
    QSettings settings(m_dir.filePath(QStringLiteral("settings.ini")), QSettings::IniFormat);
    qunsetenv("AWS_ACCESS_KEY_ID");
    qputenv("AWS_SHARED_CREDENTIALS_FILE", m_dir.filePath(QStringLiteral("no-aws-credentials")).toUtf8());
    qputenv("AWS_CONFIG_FILE", m_dir.filePath(QStringLiteral("no-aws-config")).toUtf8());
    PricesPage page;
    page.setAccounts(store.get(), &settings);
    page.setRefreshConfig(config, m_dir.filePath(QStringLiteral("live/prices.sqlite")));
    page.setSnapshot(m_snapshot);
    page.refreshController()->wait();
    QCoreApplication::processEvents();
    QSignalSpy done(page.refreshController(), &RefreshController::finished);
    page.refresh();
    QVERIFY(page.findChild<QPushButton*>(QStringLiteral("cancelRefreshButton"))->isEnabled());
    // Returned at once: the keychain is read asynchronously, then the refresh runs off the GUI thread.
    QTRY_VERIFY(page.refreshController()->isRunning() || done.count() > 0);
    QVERIFY(done.wait(20000));
    QTRY_VERIFY(page.findChild<QLabel*>(QStringLiteral("sourceLabel_aws-offer"))->text().contains(QStringLiteral("fresh")));
    const auto* spot = page.findChild<QLabel*>(QStringLiteral("sourceLabel_aws-spot-feed"));
    QVERIFY2(spot->text().contains(QStringLiteral("failed")), qPrintable(spot->text()));
    QVERIFY(spot->toolTip().contains(QStringLiteral("HTTP 502")));
    const auto* azure = page.findChild<QLabel*>(QStringLiteral("sourceLabel_azure-retail"));
    QVERIFY2(azure->text().contains(QStringLiteral("fresh")) && azure->text().contains(QStringLiteral("1 warning(s)")), qPrintable(azure->text()));
    QVERIFY2(azure->toolTip().contains(QStringLiteral("unknown type 'SavingsPlanConsumption'")), qPrintable(azure->toolTip()));
    QVERIFY(page.findChild<QLabel*>(QStringLiteral("statusLabel"))->text().contains(QStringLiteral("unexpected data from Azure")));
    const auto* gcp = page.findChild<QLabel*>(QStringLiteral("sourceLabel_gcp-billing"));
    QVERIFY2(gcp->text().contains(QStringLiteral("skipped, no Cloud Billing API key")), qPrintable(gcp->text()));
    QVERIFY(gcp->toolTip().contains(QStringLiteral("SPOTWISE_GCP_API_KEY")));
    const auto* history = page.findChild<QLabel*>(QStringLiteral("sourceLabel_aws-spot-history"));
    QVERIFY2(history->text().contains(QStringLiteral("skipped, no AWS credentials")), qPrintable(history->text()));
    QVERIFY(page.findChild<QLabel*>(QStringLiteral("asOfLabel"))->text().startsWith(QStringLiteral("Live prices")));
    // The live AWS on-demand price is in the table.
    auto* search = page.findChild<QLineEdit*>(QStringLiteral("searchLineEdit"));
    QTest::keyClicks(search, QStringLiteral("p3.8xlarge"));
    QCOMPARE(page.proxy()->rowCount(), 1);
    QCOMPARE(page.proxy()->offerAt(0)->onDemand->usdPerHour, 12.24);
    // Selecting it draws its recorded history: one on-demand point, at the refresh time.
    auto* table = page.findChild<QTableView*>(QStringLiteral("offersTableView"));
    table->setCurrentIndex(page.proxy()->index(0, 0));
    QCOMPARE(page.charts()->historyOnDemand()->count(), 1);
    QCOMPARE(page.charts()->historyOnDemand()->at(0).y(), 12.24);
    QCOMPARE(page.charts()->historySpot()->count(), 0);

    // With the Billing API key saved (as the Accounts page does), the next refresh reads it and GCP loads.
    bool saved = false;
    store->write(secretKey(QStringLiteral("gcp"), QStringLiteral("default"), QStringLiteral("billing_api_key")),
                 QStringLiteral("test-billing-key-123"), this, [&](Result<void> r) { saved = r.ok(); });
    QTRY_VERIFY(saved);
    script("/gcp/skus", gcpPages);
    QSignalSpy again(page.refreshController(), &RefreshController::finished);
    page.refresh();
    QVERIFY(again.wait(20000));
    QTRY_VERIFY2(gcp->text().contains(QStringLiteral("fresh")), qPrintable(gcp->text()));
    const auto requests = test::requestsSeen(server);
    bool keyed = false;
    for (const auto& r : requests) keyed = keyed || r.dump().find("key=test-billing-key-123") != std::string::npos;
    QVERIFY2(keyed, requests.dump().c_str());
  }
};

QTEST_MAIN(PricesPageTest)
#include "PricesPageTest.moc"
