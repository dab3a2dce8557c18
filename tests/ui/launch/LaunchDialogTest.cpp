// The launch form driven offscreen as a user would: opened from a Prices row and from a Planner result,
// every invalid field explained with Launch disabled, the code size after .spotwiseignore measured on a
// real folder, the planner's estimate following the form, job.json saved and loaded, and a valid form
// yielding the spec that was entered.
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>

#include <cmath>
#include <optional>

#include "TestSupport.h"
#include <QProcess>

#include "core/agent/CodeBundle.h"
#include "core/cloud/local/LocalProvider.h"
#include "core/jobs/Runtime.h"
#include "core/jobs/JobSpec.h"
#include "core/pricing/Snapshot.h"
#include "ui/jobs/JobTableModel.h"
#include "ui/jobs/JobsPage.h"
#include "ui/launch/LaunchDialog.h"
#include "ui/mainwindow/MainWindow.h"
#include "ui/planner/PlanTableModel.h"
#include "ui/planner/PlannerPage.h"
#include "ui/prices/PricesPage.h"
#include "ui/WidgetTestSupport.h"

using spotwise::ui::LaunchDialog;
using spotwise::ui::MainWindow;
using spotwise::test::child;
using spotwise::test::retype;
namespace fs = std::filesystem;
namespace jobs = spotwise::jobs;
namespace pricing = spotwise::pricing;

Q_DECLARE_METATYPE(spotwise::planner::OfferPlan)
Q_DECLARE_METATYPE(spotwise::planner::PlanRequest)
// JobSpec is a declared metatype (ui/jobs/JobsSupervisor.h): signal spies and queued connections carry it.

namespace {

// Types text into a multi-line editor, Return between the lines.
void typeLines(QPlainTextEdit* edit, const QString& text) {
  edit->setFocus();
  const QStringList lines = text.split(QLatin1Char('\n'));
  for (int i = 0; i < lines.size(); ++i) {
    if (i > 0) QTest::keyClick(edit, Qt::Key_Return);
    QTest::keyClicks(edit, lines[i]);
  }
}

// A one-GPU AWS spot offer with an on-demand price and the highest published interruption band.
pricing::Offer awsOffer() {
  const auto snapshot = pricing::embeddedSnapshot();  // kept alive: the loop reads its offers
  std::optional<pricing::Offer> best;
  for (const auto& o : snapshot->offers) {
    if (o.provider == pricing::CloudProvider::Aws && o.spot && o.onDemand && o.interruption && o.gpuCount == 1 &&
        (!best || o.interruption->index > best->interruption->index)) {
      best = o;
    }
  }
  if (!best) qFatal("no AWS offer with a band in the snapshot");
  return *best;
}

pricing::Offer gcpOffer() {
  const auto snapshot = pricing::embeddedSnapshot();
  for (const auto& o : snapshot->offers) {
    if (o.provider == pricing::CloudProvider::Gcp && o.spot && o.onDemand && o.gpuCount == 1) return o;
  }
  qFatal("no GCP offer in the snapshot");
}

// Opens a view's context menu on `index` and triggers its action named `action`.
bool triggerContextAction(QAbstractItemView* view, const QModelIndex& index, const QString& menuName, const QString& action) {
  Q_EMIT view->customContextMenuRequested(view->visualRect(index).center());
  QMenu* menu = nullptr;
  const bool shown = QTest::qWaitFor([&] {
    for (QWidget* w : QApplication::topLevelWidgets()) {
      if (auto* m = qobject_cast<QMenu*>(w); m && m->objectName() == menuName && m->isVisible()) menu = m;
    }
    return menu != nullptr;
  }, 5000);
  if (!shown) return false;
  QAction* found = menu->findChild<QAction*>(action);
  if (!found) return false;
  menu->close();
  found->trigger();
  return true;
}

void waitChecked(LaunchDialog& dialog) { QTRY_VERIFY_WITH_TIMEOUT(!dialog.isChecking(), 10000); }

bool launchEnabled(LaunchDialog& dialog) { return child<QPushButton>(dialog, "launchButton")->isEnabled(); }

}  // namespace

class LaunchDialogTest : public QObject {
  Q_OBJECT
  QTemporaryDir m_home;

  fs::path dataHome() const { return fs::path(m_home.path().toStdString()) / "spotwise"; }

  std::unique_ptr<LaunchDialog> openFor(const pricing::Offer& offer) {
    auto dialog = std::make_unique<LaunchDialog>(spotwise::ui::prefillFromOffer(offer));
    dialog->show();
    if (!QTest::qWaitForWindowExposed(dialog.get())) qFatal("dialog not exposed");
    return dialog;
  }

 private Q_SLOTS:
  void initTestCase() {
    qRegisterMetaType<spotwise::planner::OfferPlan>();
    qRegisterMetaType<spotwise::planner::PlanRequest>();
    QVERIFY(m_home.isValid());
    // The example workload and the Local bucket go under the data home: a throwaway one.
    qputenv("XDG_DATA_HOME", m_home.path().toUtf8());
    qunsetenv("SPOTWISE_LOCAL_ROOT");
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("SpotwiseTest"));
    QCoreApplication::setApplicationName(QStringLiteral("LaunchDialogTest"));
    qRegisterMetaType<spotwise::jobs::JobSpec>();
  }

  void init() { QSettings().clear(); }

  void confirmedRehearsalRunsOnTheJobsPage() {
    if (QProcess::execute(QStringLiteral("python3"), {QStringLiteral("-c"), QStringLiteral("pass")}) != 0) {
      if (qEnvironmentVariable("CI") == QStringLiteral("true")) QFAIL("python3 is missing (the agent and the Local provider need it)");
      QSKIP("python3 is missing: the agent and the Local provider need it");
    }
    QTemporaryDir ledgerDir;
    // Whatever happens, no Local instance outlives the test.
    struct Cleanup {
      ~Cleanup() {
        spotwise::cloud::local::LocalProviderOptions o;
        o.root = jobs::defaultLocalRoot();
        o.bucketRoot = o.root / "bucket";
        spotwise::cloud::local::LocalProvider provider(o);
        auto all = provider.compute().listByTag("", {}, {});
        if (!all) return;
        std::vector<spotwise::cloud::InstanceRef> refs;
        for (const auto& i : *all) {
          if (i.state != spotwise::cloud::InstanceState::Terminated) refs.push_back({i.region, i.id});
        }
        if (!refs.empty()) (void)provider.compute().terminate(refs, {});
      }
    } cleanup;

    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    jobs::RuntimeOptions options;  // the default Local root, the one the form's storage points at
    options.ledgerPath = ledgerDir.filePath(QStringLiteral("ledger.sqlite")).toStdString();
    options.agent.heartbeatSeconds = 1;
    options.agent.pollSeconds = 1;
    options.controller.pollIntervalMs = 300;
    QSignalSpy started(window.jobsPage(), &spotwise::ui::JobsPage::startupFinished);
    window.startSupervising(options);
    QVERIFY(started.wait(10000));

    const pricing::Offer offer = awsOffer();
    window.openLaunchDialog(spotwise::ui::prefillFromOffer(offer));
    LaunchDialog* dialog = window.launchDialog();
    QVERIFY(dialog);
    retype(child<QLineEdit>(*dialog, "nameLineEdit"), QStringLiteral("first-rehearsal"));
    retype(child<QLineEdit>(*dialog, "commandLineEdit"),
           QStringLiteral("python3 train.py --steps 40 --step-seconds 0.02 --checkpoint-every 10"));
    retype(child<QLineEdit>(*dialog, "intervalLineEdit"), QStringLiteral("0.1"));
    waitChecked(*dialog);
    QVERIFY2(launchEnabled(*dialog), qPrintable(child<QLabel>(*dialog, "statusLabel")->text()));
    QCOMPARE(child<QPushButton>(*dialog, "launchButton")->text(), QStringLiteral("Rehearse"));
    QSignalSpy launched(window.jobsPage(), &spotwise::ui::JobsPage::jobLaunched);
    QSignalSpy failed(window.jobsPage(), &spotwise::ui::JobsPage::launchFailed);
    QTest::mouseClick(child<QPushButton>(*dialog, "launchButton"), Qt::LeftButton);
    QCOMPARE(window.currentPage(), MainWindow::JobsPageIndex);
    QTRY_VERIFY_WITH_TIMEOUT(!launched.isEmpty() || !failed.isEmpty(), 15000);
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.at(0).at(0).toString()));
    const QString id = launched.at(0).at(0).toString();
    const auto row = [&] { return window.jobsPage()->model()->job(window.jobsPage()->model()->rowOf(id)); };
    QTRY_VERIFY2_WITH_TIMEOUT(row() && row()->state == "Succeeded", row() ? qPrintable(QString::fromStdString(row()->state + ": " + row()->message)) : "no row", 60000);
    QCOMPARE(row()->name, std::string("first-rehearsal"));
    QCOMPARE(row()->provider, std::string("local"));
    QCOMPARE(row()->instanceType, offer.instanceType);
    QVERIFY(row()->rehearsal);
    QCOMPARE(row()->step, std::int64_t(40));
    // The model the example wrote comes back through the Local bucket.
    // The example's model came back through the Local bucket the form pointed at.
    const fs::path model = jobs::defaultLocalRoot() / "bucket" / id.toStdString() / "result" / "model.bin";
    QVERIFY2(fs::is_regular_file(model), model.c_str());
  }

  void prefilledFromAPricesRow() {
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto* prices = window.pricesPage();
    auto* table = child<QTableView>(*prices, "offersTableView");
    auto* launch = child<QPushButton>(*prices, "launchButton");
    QVERIFY(!launch->isEnabled());
    auto* search = child<QLineEdit>(*prices, "searchLineEdit");
    const pricing::Offer want = awsOffer();
    retype(search, QString::fromStdString(want.instanceType));
    int row = -1;
    for (int r = 0; r < prices->proxy()->rowCount(); ++r) {
      const auto* o = prices->proxy()->offerAt(r);
      if (o->instanceType == want.instanceType && o->region == want.region && o->zone == want.zone) row = r;
    }
    QVERIFY(row >= 0);
    table->setCurrentIndex(prices->proxy()->index(row, 0));
    QVERIFY(launch->isEnabled());
    QTest::mouseClick(launch, Qt::LeftButton);
    LaunchDialog* dialog = window.launchDialog();
    QVERIFY(dialog);
    QVERIFY(dialog->isVisible());
    QVERIFY(dialog->isModal());

    // The offer, rehearsed on this computer at its spot price by default.
    const QString summary = child<QLabel>(*dialog, "offerLabel")->text();
    QVERIFY2(summary.contains(QString::fromStdString(want.instanceType)) && summary.contains(QString::fromStdString(want.region)),
             qPrintable(summary));
    QVERIFY(child<QCheckBox>(*dialog, "rehearseCheckBox")->isChecked());
    const jobs::JobSpec spec = dialog->spec();
    QCOMPARE(spec.offer.provider, std::string("local"));
    QCOMPARE(spec.offer.region, std::string("local"));
    QCOMPARE(spec.offer.instanceType, want.instanceType);
    QVERIFY(spec.offer.spot);
    QCOMPARE(spec.offer.pricePerHour, want.spot->usdPerHour);
    QCOMPARE(spec.offer.onDemandPricePerHour.value(), want.onDemand->usdPerHour);
    QCOMPARE(spec.offer.gpuModel, want.gpuModel);
    QCOMPARE(spec.offer.gpuCount, want.gpuCount);
    // The bundled example, written out under the data home, and its command.
    QCOMPARE(spec.codeDir, dataHome() / "local" / "examples");
    QCOMPARE(spotwise::test::readText(spec.codeDir / "train.py"),
             spotwise::test::readText(spotwise::test::sourceDir() / "resources" / "examples" / "train.py"));
    QCOMPARE(spec.command, std::string(spotwise::ui::kExampleCommand));
    QCOMPARE(spec.storage, "local://" + (dataHome() / "local" / "bucket").string());
    QVERIFY(spec.budgetUsd >= want.spot->usdPerHour);
    QVERIFY(spec.checkpointSyncSeconds >= 5);
    waitChecked(*dialog);
    QVERIFY2(launchEnabled(*dialog), qPrintable(child<QLabel>(*dialog, "statusLabel")->text()));
    QVERIFY(child<QLabel>(*dialog, "codeSizeLabel")->text().contains(QStringLiteral("1 file")));
    QTRY_VERIFY_WITH_TIMEOUT(!dialog->isEstimating() && dialog->estimate(), 20000);
    if (const QByteArray shot = qgetenv("SPOTWISE_LAUNCH_SCREENSHOT"); !shot.isEmpty()) {
      QVERIFY(dialog->grab().save(QString::fromLocal8Bit(shot) + QStringLiteral("-prices.png")));
    }

    // On the cloud instead: the offer's own place, and a bucket to name.
    QTest::mouseClick(child<QCheckBox>(*dialog, "rehearseCheckBox"), Qt::LeftButton, {}, QPoint(5, 5));
    QVERIFY(!child<QCheckBox>(*dialog, "rehearseCheckBox")->isChecked());
    const jobs::JobSpec cloud = dialog->spec();
    QCOMPARE(cloud.offer.provider, std::string("aws"));
    QCOMPARE(cloud.offer.region, want.region);
    QCOMPARE(cloud.offer.zone, want.zone);
    QVERIFY(cloud.storage.empty());
    waitChecked(*dialog);
    QVERIFY(!launchEnabled(*dialog));
    QVERIFY2(dialog->fieldError(QStringLiteral("storage")).contains(QStringLiteral("Is empty")),
             qPrintable(dialog->fieldError(QStringLiteral("storage"))));
    // On-demand at its own price.
    auto* market = child<QComboBox>(*dialog, "marketComboBox");
    market->setCurrentIndex(market->findData(false));
    QVERIFY(!dialog->spec().offer.spot);
    QCOMPARE(dialog->spec().offer.pricePerHour, want.onDemand->usdPerHour);
    dialog->close();

    // So does the row's context menu.
    QTRY_VERIFY(!window.launchDialog());
    QVERIFY(triggerContextAction(table, prices->proxy()->index(row, 2), QStringLiteral("offerContextMenu"),
                                 QStringLiteral("launchAction")));
    QTRY_VERIFY(window.launchDialog() && window.launchDialog()->isVisible());
    QCOMPARE(window.launchDialog()->spec().offer.instanceType, want.instanceType);
    window.launchDialog()->close();
    QTRY_VERIFY(!window.launchDialog());

    // A double-click on a row opens the form too; confirming it hands the spec to the Jobs page.
    const QRect rect = table->visualRect(prices->proxy()->index(row, 1));
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, rect.center());
    QTest::mouseDClick(table->viewport(), Qt::LeftButton, {}, rect.center());
    QTRY_VERIFY(window.launchDialog() && window.launchDialog()->isVisible());
    dialog = window.launchDialog();
    waitChecked(*dialog);
    QVERIFY(launchEnabled(*dialog));
    QSignalSpy requested(&window, &MainWindow::launchRequested);
    QTest::mouseClick(child<QPushButton>(*dialog, "launchButton"), Qt::LeftButton);
    QCOMPARE(requested.count(), 1);
    QCOMPARE(window.currentPage(), MainWindow::JobsPageIndex);
    const auto accepted = requested.at(0).at(0).value<jobs::JobSpec>();
    QVERIFY(jobs::validateJobSpec(accepted).empty());
    QCOMPARE(accepted.offer.instanceType, want.instanceType);
    QTRY_VERIFY(!window.launchDialog());  // closed and deleted
  }

  void prefilledFromAPlannerResult() {
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.showPage(MainWindow::PlannerPageIndex);
    auto* planner = window.plannerPage();
    auto* launch = child<QPushButton>(*planner, "launchButton");
    QVERIFY(!launch->isEnabled());
    QSignalSpy finished(planner, &spotwise::ui::PlannerPage::planningFinished);
    QVERIFY(planner->startPlanning());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
    QTRY_VERIFY(launch->isEnabled());
    const spotwise::planner::OfferPlan plan = *planner->model()->planAt(0);  // the cheapest, selected
    QTest::mouseClick(launch, Qt::LeftButton);
    LaunchDialog* dialog = window.launchDialog();
    QVERIFY(dialog);

    const jobs::JobSpec spec = dialog->spec();
    QCOMPARE(spec.offer.instanceType, plan.offer.instanceType);
    QCOMPARE(spec.offer.pricePerHour, plan.offer.spot->usdPerHour);
    // The plan's checkpoint interval and work, its P90 sizing the budget.
    QCOMPARE(spec.checkpointSyncSeconds, static_cast<int>(std::lround(std::clamp(plan.shape.intervalHours * 3600, 5.0, 86400.0))));
    bool ok = false;
    const double work = child<QLineEdit>(*dialog, "workLineEdit")->text().toDouble(&ok);
    QVERIFY(ok);
    QVERIFY2(std::abs(work - plan.shape.workHours) < 1e-3, qPrintable(QString::number(work)));
    QCOMPARE(spec.budgetUsd, std::ceil(1.25 * plan.simulation.costUsd.p90));
    QVERIFY(spec.maxRuntimeSeconds >= static_cast<std::int64_t>(plan.simulation.hours.p90 * 3600));
    // The estimate for these settings agrees with the Planner's (same model, seed and inputs).
    QTRY_VERIFY_WITH_TIMEOUT(!dialog->isEstimating() && dialog->estimate(), 20000);
    const double expected = dialog->estimate()->expectedCostUsd();
    QVERIFY2(std::abs(expected - plan.expectedCostUsd()) / plan.expectedCostUsd() < 0.02,
             qPrintable(QStringLiteral("%1 vs %2").arg(expected).arg(plan.expectedCostUsd())));
    waitChecked(*dialog);
    QVERIFY(launchEnabled(*dialog));

    // The table's context menu offers it as well, for the row under the mouse.
    dialog->close();
    QTRY_VERIFY(!window.launchDialog());
    auto* planTable = child<QTableView>(*planner, "planTableView");
    QSignalSpy again(planner, &spotwise::ui::PlannerPage::launchRequested);
    QVERIFY(triggerContextAction(planTable, planner->model()->index(1, 2), QStringLiteral("planContextMenu"),
                                 QStringLiteral("launchAction")));
    QCOMPARE(again.count(), 1);
    QCOMPARE(again.at(0).at(0).value<spotwise::planner::OfferPlan>().offer.instanceType, planner->model()->planAt(1)->offer.instanceType);
    QTRY_VERIFY(window.launchDialog());
    QCOMPARE(window.launchDialog()->spec().offer.instanceType, planner->model()->planAt(1)->offer.instanceType);
  }

  void everyInvalidFieldIsExplainedAndBlocksLaunch() {
    const pricing::Offer offer = awsOffer();
    auto dialog = openFor(offer);
    waitChecked(*dialog);
    QVERIFY(launchEnabled(*dialog));

    struct Case {
      const char* widget;
      QString bad;
      const char* field;
      QString words;
    };
    const QString halfHour = QString::number(offer.spot->usdPerHour / 2, 'f', 4);
    const Case cases[] = {
        {"nameLineEdit", QString(), "name", QStringLiteral("give the job a name")},
        {"codeDirLineEdit", QStringLiteral("/no/such/folder"), "codeDir", QStringLiteral("does not exist")},
        {"commandLineEdit", QStringLiteral("   "), "command", QStringLiteral("give the command")},
        {"storageLineEdit", QStringLiteral("bucket-without-scheme"), "storage", QStringLiteral("is not a location")},
        {"storageLineEdit", QStringLiteral("s3://my-bucket/x"), "storage", QStringLiteral("does not go with a local offer")},
        {"storageLineEdit", QStringLiteral("local:///no/such/bucket"), "storage", QStringLiteral("/no/such/bucket does not exist")},
        {"budgetLineEdit", QStringLiteral("lots"), "budget", QStringLiteral("“lots” is not a number")},
        {"budgetLineEdit", halfHour, "budget", QStringLiteral("below one hour of this offer")},
        {"maxRuntimeLineEdit", QStringLiteral("0.001"), "maxRuntime", QStringLiteral("at least 60 seconds")},
        {"intervalLineEdit", QStringLiteral("2000"), "interval", QStringLiteral("between 5 seconds and one day")},
        {"intervalLineEdit", QStringLiteral("0.01"), "interval", QStringLiteral("takes longer than the interval")},
        {"intervalLineEdit", QString(), "interval", QStringLiteral("Enter how often")},
        {"workLineEdit", QStringLiteral("-3"), "work", QStringLiteral("-3")},
    };
    for (const Case& c : cases) {
      auto* edit = child<QLineEdit>(*dialog, c.widget);
      const QString good = edit->text();
      retype(edit, c.bad);
      waitChecked(*dialog);
      const QString message = dialog->fieldError(QString::fromLatin1(c.field));
      QVERIFY2(message.contains(c.words), qPrintable(QStringLiteral("%1: “%2”").arg(QLatin1String(c.field), message)));
      QVERIFY2(child<QLabel>(*dialog, (std::string(c.field) + "ErrorLabel").c_str())->isVisible(), c.field);
      QVERIFY2(!launchEnabled(*dialog), c.field);
      retype(edit, good);
      waitChecked(*dialog);
      QVERIFY2(dialog->fieldError(QString::fromLatin1(c.field)).isEmpty(), qPrintable(dialog->fieldError(QString::fromLatin1(c.field))));
      QVERIFY2(launchEnabled(*dialog), c.field);
    }

    auto* env = child<QPlainTextEdit>(*dialog, "environmentTextEdit");
    for (const auto& [text, words] : {std::pair{QStringLiteral("EPOCHS"), QStringLiteral("is not NAME=value")},
                                      std::pair{QStringLiteral("SPOTWISE_JOB_ID=1"), QStringLiteral("set by the agent")},
                                      std::pair{QStringLiteral("A=1\nA=2"), QStringLiteral("set twice")}}) {
      typeLines(env, text);
      waitChecked(*dialog);
      QVERIFY2(dialog->fieldError(QStringLiteral("environment")).contains(words), qPrintable(dialog->fieldError(QStringLiteral("environment"))));
      QVERIFY(!launchEnabled(*dialog));
      env->clear();
      waitChecked(*dialog);
      QVERIFY(launchEnabled(*dialog));
    }

    const std::pair<const char*, QString> spins[] = {{"graceSpinBox", QStringLiteral("between 1 and 600")},
                                                     {"maxAttemptsSpinBox", QStringLiteral("Maximum attempts: Must be between 1 and 100")},
                                                     {"moveAfterSpinBox", QStringLiteral("Move after: Must be at least 1")}};
    for (const auto& [name, words] : spins) {
      auto* spin = child<QSpinBox>(*dialog, name);
      const int good = spin->value();
      retype(spin, 0);
      waitChecked(*dialog);
      const QString message = dialog->fieldError(QStringLiteral("grace")) + dialog->fieldError(QStringLiteral("recovery"));
      QVERIFY2(message.contains(words), qPrintable(message));
      QVERIFY(!launchEnabled(*dialog));
      retype(spin, good);
      waitChecked(*dialog);
      QVERIFY(launchEnabled(*dialog));
    }
    if (const QByteArray shot = qgetenv("SPOTWISE_LAUNCH_SCREENSHOT"); !shot.isEmpty()) {
      retype(child<QLineEdit>(*dialog, "budgetLineEdit"), halfHour);
      retype(child<QLineEdit>(*dialog, "storageLineEdit"), QStringLiteral("s3:/oops"));
      typeLines(child<QPlainTextEdit>(*dialog, "environmentTextEdit"), QStringLiteral("EPOCHS"));
      waitChecked(*dialog);
      QVERIFY(dialog->grab().save(QString::fromLocal8Bit(shot) + QStringLiteral("-errors.png")));
      retype(child<QLineEdit>(*dialog, "budgetLineEdit"), QStringLiteral("20"));
      retype(child<QLineEdit>(*dialog, "storageLineEdit"), QString::fromStdString(spotwise::ui::defaultLocalStorage()));
      child<QPlainTextEdit>(*dialog, "environmentTextEdit")->clear();
    }
    // Nothing was emitted while invalid.
    QSignalSpy requested(dialog.get(), &LaunchDialog::launchRequested);
    retype(child<QLineEdit>(*dialog, "nameLineEdit"), QString());
    waitChecked(*dialog);
    dialog->accept();
    QCOMPARE(requested.count(), 0);
    QVERIFY(dialog->isVisible());
  }

  void codeSizeHonoursIgnoreRules() {
    QTemporaryDir code;
    const fs::path dir = code.path().toStdString();
    fs::create_directories(dir / "data");
    std::ofstream(dir / "train.py") << std::string(100, '#') << "\n";
    std::ofstream(dir / "weights.ckpt") << std::string(300, 'w');
    std::ofstream(dir / ".spotwiseignore") << "data/\n*.ckpt\n";
    // Sparse: the sizes count, the disk stays empty.
    fs::resize_file((std::ofstream(dir / "data" / "big.bin"), dir / "data" / "big.bin"), 1'200'000'000);

    auto dialog = openFor(gcpOffer());
    retype(child<QLineEdit>(*dialog, "codeDirLineEdit"), code.path());
    waitChecked(*dialog);
    QVERIFY(dialog->codeScan());
    const auto& scan = *dialog->codeScan();
    const std::vector<std::string> files{".spotwiseignore", "train.py"};
    QCOMPARE(scan.files, files);
    const std::uint64_t bytes = 101 + fs::file_size(dir / ".spotwiseignore");
    QCOMPARE(scan.totalBytes, bytes);
    QCOMPARE(scan.ignoredEntries, std::size_t(2));
    const QString label = child<QLabel>(*dialog, "codeSizeLabel")->text();
    QVERIFY2(label.contains(QStringLiteral("2 files")) && label.contains(QString::fromStdString(spotwise::agent::formatBytes(bytes))) &&
                 label.contains(QStringLiteral("2 left out")),
             qPrintable(label));
    QVERIFY(launchEnabled(*dialog));

    // Without the ignore file the data set would be uploaded: too large, explained, Launch disabled.
    fs::remove(dir / ".spotwiseignore");
    retype(child<QLineEdit>(*dialog, "codeDirLineEdit"), code.path() + QLatin1Char('/'));
    retype(child<QLineEdit>(*dialog, "codeDirLineEdit"), code.path());
    waitChecked(*dialog);
    QTRY_VERIFY(dialog->fieldError(QStringLiteral("codeDir")).contains(QStringLiteral("limit")));
    QVERIFY2(dialog->fieldError(QStringLiteral("codeDir")).contains(QStringLiteral(".spotwiseignore")),
             qPrintable(dialog->fieldError(QStringLiteral("codeDir"))));
    QVERIFY(!launchEnabled(*dialog));

    // A large but allowed bundle is flagged, not refused.
    fs::resize_file(dir / "data" / "big.bin", 150'000'000);
    retype(child<QLineEdit>(*dialog, "codeDirLineEdit"), code.path() + QLatin1Char('/'));
    waitChecked(*dialog);
    QVERIFY(child<QLabel>(*dialog, "codeSizeLabel")->text().contains(QStringLiteral("Large")));
    QVERIFY(dialog->fieldError(QStringLiteral("codeDir")).isEmpty());
    QVERIFY(launchEnabled(*dialog));
  }

  void estimateFollowsBudgetAndInterval() {
    const pricing::Offer offer = awsOffer();
    auto dialog = openFor(offer);
    retype(child<QLineEdit>(*dialog, "workLineEdit"), QStringLiteral("20"));
    retype(child<QLineEdit>(*dialog, "checkpointLineEdit"), QStringLiteral("2"));
    retype(child<QLineEdit>(*dialog, "intervalLineEdit"), QStringLiteral("60"));
    retype(child<QLineEdit>(*dialog, "budgetLineEdit"), QStringLiteral("1000"));
    QTRY_VERIFY_WITH_TIMEOUT(!dialog->isEstimating() && dialog->estimate(), 20000);
    const auto first = *dialog->estimate();
    QVERIFY(first.hazard.ratePerHour > 0);
    QCOMPARE(first.shape.intervalHours, 1.0);
    QCOMPARE(first.shape.workHours, 20.0);
    QVERIFY(first.expectedCostUsd() > 20 * offer.spot->usdPerHour);  // checkpoints and lost work cost something
    auto* label = child<QLabel>(*dialog, "estimateLabel");
    QVERIFY2(label->text().contains(QStringLiteral("Expected cost $%1").arg(QLocale().toString(first.expectedCostUsd(), 'f', 2))),
             qPrintable(label->text()));
    QVERIFY(label->text().contains(QStringLiteral("P90 $%1").arg(QLocale().toString(first.simulation.costUsd.p90, 'f', 2))));
    QCOMPARE(first.simulation.budgetProbability.value(), 1.0);
    QVERIFY(child<QLabel>(*dialog, "estimateWarningLabel")->isHidden());

    // A much longer interval loses more work per preemption.
    retype(child<QLineEdit>(*dialog, "intervalLineEdit"), QStringLiteral("600"));
    QTRY_VERIFY_WITH_TIMEOUT(!dialog->isEstimating() && dialog->estimate(), 20000);
    const auto longer = *dialog->estimate();
    QCOMPARE(longer.shape.intervalHours, 10.0);
    QVERIFY2(longer.expectedCostUsd() != first.expectedCostUsd(), qPrintable(QString::number(longer.expectedCostUsd())));
    QVERIFY(label->text().contains(QLocale().toString(longer.expectedCostUsd(), 'f', 2)));

    // A budget at the expected cost leaves many runs unfinished: said before launching.
    retype(child<QLineEdit>(*dialog, "budgetLineEdit"), QString::number(std::floor(longer.expectedCostUsd())));
    QTRY_VERIFY_WITH_TIMEOUT(!dialog->isEstimating() && dialog->estimate(), 20000);
    QVERIFY(dialog->estimate()->simulation.budgetProbability.value() < 0.9);
    QVERIFY(child<QLabel>(*dialog, "estimateWarningLabel")->isVisible());
    QVERIFY(child<QLabel>(*dialog, "estimateWarningLabel")->text().contains(QStringLiteral("within this budget")));

    // On-demand: never preempted, at its own price.
    auto* market = child<QComboBox>(*dialog, "marketComboBox");
    market->setCurrentIndex(market->findData(false));
    QTRY_VERIFY_WITH_TIMEOUT(!dialog->isEstimating() && dialog->estimate(), 20000);
    QCOMPARE(dialog->estimate()->hazard.ratePerHour, 0.0);
    QCOMPARE(dialog->estimate()->simulation.meanPreemptions, 0.0);
    QVERIFY(std::abs(dialog->estimate()->expectedCostUsd() - (20 + 2 * 2.0 / 60) * offer.onDemand->usdPerHour) < 1e-6);

    if (const QByteArray shot = qgetenv("SPOTWISE_LAUNCH_SCREENSHOT"); !shot.isEmpty()) {
      market->setCurrentIndex(market->findData(true));
      retype(child<QLineEdit>(*dialog, "budgetLineEdit"), QStringLiteral("12"));
      QTRY_VERIFY_WITH_TIMEOUT(!dialog->isEstimating() && dialog->estimate(), 20000);
      QVERIFY(dialog->grab().save(QString::fromLocal8Bit(shot)));
    }
  }

  void estimateRunsTheJobsRecoveryPolicy() {
    // The job's own offer preempted often; the same GPUs elsewhere on its cloud never.
    const auto snapshot = pricing::embeddedSnapshot();
    std::optional<pricing::Offer> own;
    std::vector<pricing::Offer> elsewhere;
    for (const auto& o : snapshot->offers) {
      if (o.provider != pricing::CloudProvider::Aws || !o.spot || !o.onDemand || o.gpuCount != 1) continue;
      elsewhere.clear();
      for (const auto& other : snapshot->offers) {
        if (other.provider == o.provider && other.gpuModel == o.gpuModel && other.gpuCount == 1 && other.spot &&
            other.region != o.region && elsewhere.size() < 3) {
          elsewhere.push_back(other);
        }
      }
      if (!elsewhere.empty()) {
        own = o;
        break;
      }
    }
    QVERIFY2(own, "no AWS offer whose GPUs are offered in another region too");
    const pricing::Offer offer = *own;
    auto prefill = spotwise::ui::prefillFromOffer(offer);
    constexpr double kRate = 0.2;
    prefill.request.hazard.offerOverrides[spotwise::planner::offerKey(offer)] = kRate;
    for (const auto& o : elsewhere) prefill.request.hazard.offerOverrides[spotwise::planner::offerKey(o)] = 0.0;
    const auto open = [](const spotwise::ui::LaunchPrefill& p) {
      auto dialog = std::make_unique<LaunchDialog>(p);
      dialog->show();
      if (!QTest::qWaitForWindowExposed(dialog.get())) qFatal("dialog not exposed");
      retype(child<QLineEdit>(*dialog, "workLineEdit"), QStringLiteral("20"));
      retype(child<QLineEdit>(*dialog, "checkpointLineEdit"), QStringLiteral("2"));
      retype(child<QLineEdit>(*dialog, "intervalLineEdit"), QStringLiteral("60"));
      return dialog;
    };
    const auto estimate = [](LaunchDialog& dialog) {
      if (!QTest::qWaitFor([&] { return !dialog.isEstimating() && dialog.estimate(); }, 20000)) qFatal("no estimate");
      return *dialog.estimate();
    };

    // Without other offers the job stays where it is, and the form says so.
    auto alone = open(prefill);
    retype(child<QSpinBox>(*alone, "moveAfterSpinBox"), 1);
    const auto stays = estimate(*alone);
    QCOMPARE(stays.simulation.movedShare, 0.0);
    QVERIFY(stays.simulation.meanPreemptions > 2.0);
    QVERIFY2(child<QLabel>(*alone, "estimateLabel")->text().contains(QStringLiteral("stays on this offer")),
             qPrintable(child<QLabel>(*alone, "estimateLabel")->text()));

    // With them, K = 1: every preempted run moves to the cheapest other offer after its first preemption and
    // finishes there, as the controller would place it.
    prefill.alternatives = elsewhere;
    auto dialog = open(prefill);
    retype(child<QSpinBox>(*dialog, "moveAfterSpinBox"), 1);
    const auto moves = estimate(*dialog);
    const double preempted = 1.0 - std::exp(-kRate * moves.shape.failureFreeHours());
    QVERIFY2(std::abs(moves.simulation.movedShare - preempted) < 0.01, qPrintable(QString::number(moves.simulation.movedShare)));
    QVERIFY(std::abs(moves.simulation.meanPreemptions - moves.simulation.movedShare) < 1e-12);
    QVERIFY(moves.expectedHours() < stays.expectedHours());
    QVERIFY2(child<QLabel>(*dialog, "estimateLabel")->text().contains(QStringLiteral("move to another offer after 1 preemption")),
             qPrintable(child<QLabel>(*dialog, "estimateLabel")->text()));
    // K = 3: two more tries on the job's own offer before moving.
    retype(child<QSpinBox>(*dialog, "moveAfterSpinBox"), 3);
    const auto later = estimate(*dialog);
    QVERIFY(later.simulation.movedShare < moves.simulation.movedShare);
    QVERIFY(later.simulation.meanPreemptions > moves.simulation.meanPreemptions);
    // On-demand after 1 preemption comes first: nothing moves any more.
    retype(child<QSpinBox>(*dialog, "onDemandAfterSpinBox"), 1);
    const auto fallback = estimate(*dialog);
    QCOMPARE(fallback.simulation.movedShare, 0.0);
    QVERIFY(std::abs(fallback.simulation.fallbackShare - preempted) < 0.01);
    retype(child<QSpinBox>(*dialog, "onDemandAfterSpinBox"), 0);
    // One attempt only: the runs preempted at all would fail, and the form warns.
    retype(child<QSpinBox>(*dialog, "maxAttemptsSpinBox"), 1);
    const auto once = estimate(*dialog);
    QVERIFY(std::abs(*once.simulation.instancesProbability - (1.0 - preempted)) < 0.01);
    QVERIFY(child<QLabel>(*dialog, "estimateWarningLabel")->isVisible());
    QVERIFY2(child<QLabel>(*dialog, "estimateWarningLabel")->text().contains(QStringLiteral("within 1 attempt(s)")),
             qPrintable(child<QLabel>(*dialog, "estimateWarningLabel")->text()));
  }

  void saveThenLoadGivesTheSameSpec() {
    QTemporaryDir dir;
    auto dialog = openFor(awsOffer());
    retype(child<QLineEdit>(*dialog, "nameLineEdit"), QStringLiteral("resnet-rehearsal"));
    child<QPlainTextEdit>(*dialog, "environmentTextEdit")->setPlainText(QStringLiteral("EPOCHS=3\nLR=0.1"));
    child<QComboBox>(*dialog, "signalComboBox")->setCurrentText(QStringLiteral("SIGUSR1"));
    retype(child<QSpinBox>(*dialog, "graceSpinBox"), 45);
    retype(child<QSpinBox>(*dialog, "onDemandAfterSpinBox"), 4);
    retype(child<QLineEdit>(*dialog, "budgetLineEdit"), QStringLiteral("12.5"));
    retype(child<QLineEdit>(*dialog, "maxRuntimeLineEdit"), QStringLiteral("6"));
    retype(child<QLineEdit>(*dialog, "intervalLineEdit"), QStringLiteral("15"));
    waitChecked(*dialog);
    QVERIFY(launchEnabled(*dialog));
    const jobs::JobSpec local = dialog->spec();
    const QString localFile = dir.filePath(QStringLiteral("local.json"));
    QVERIFY(dialog->saveSpec(localFile));
    // The file is the one `spotwise-cli launch` reads.
    auto read = jobs::loadJobSpec(localFile.toStdString());
    QVERIFY(read.ok());
    QCOMPARE(jobs::serializeJobSpec(*read), jobs::serializeJobSpec(local));
    const QString cli = qEnvironmentVariable("SPOTWISE_CLI");
    if (cli.isEmpty()) {
      if (qEnvironmentVariable("CI") == QStringLiteral("true")) QFAIL("SPOTWISE_CLI is not set (ctest sets it)");
      qWarning("SPOTWISE_CLI is not set: the saved file is not checked with spotwise-cli");
    } else {
      // `spotwise-cli launch job.json --detach` validates the file and records the job (nothing runs).
      QProcess process;
      process.start(cli, {QStringLiteral("launch"), localFile, QStringLiteral("--detach"), QStringLiteral("--ledger"),
                          dir.filePath(QStringLiteral("ledger.sqlite")), QStringLiteral("--local-root"),
                          QString::fromStdString(jobs::defaultLocalRoot().string())});
      QVERIFY(process.waitForFinished(30000));
      QVERIFY2(process.exitCode() == 0, process.readAllStandardError().constData());
      QVERIFY(!process.readAllStandardOutput().trimmed().isEmpty());  // the new job's id
    }

    // The same on the cloud, with an image and a bucket.
    QTest::mouseClick(child<QCheckBox>(*dialog, "rehearseCheckBox"), Qt::LeftButton, {}, QPoint(5, 5));
    retype(child<QLineEdit>(*dialog, "storageLineEdit"), QStringLiteral("s3://my-bucket/spotwise"));
    retype(child<QLineEdit>(*dialog, "imageLineEdit"), QStringLiteral("ami-0123456789abcdef0"));
    const jobs::JobSpec cloud = dialog->spec();
    QCOMPARE(cloud.offer.provider, std::string("aws"));
    const QString cloudFile = dir.filePath(QStringLiteral("cloud.json"));
    QVERIFY(dialog->saveSpec(cloudFile));

    // Loaded into a form opened on another offer, each file gives back exactly what was saved.
    for (const auto& [file, saved] : {std::pair{localFile, local}, std::pair{cloudFile, cloud}}) {
      auto other = openFor(gcpOffer());
      QVERIFY(other->loadSpec(file));
      QCOMPARE(jobs::serializeJobSpec(other->spec()), jobs::serializeJobSpec(saved));
    }
    // A form opened on the same offer keeps its catalog data behind the estimate.
    auto same = openFor(awsOffer());
    QVERIFY(same->loadSpec(localFile));
    QCOMPARE(jobs::serializeJobSpec(same->spec()), jobs::serializeJobSpec(local));
    QVERIFY(same->findChild<QCheckBox*>(QStringLiteral("rehearseCheckBox"))->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(!same->isEstimating() && same->estimate(), 20000);

    // A broken file is refused with the reason, and the form is left as it was.
    const QString broken = dir.filePath(QStringLiteral("broken.json"));
    std::ofstream(broken.toStdString()) << R"({"format": "spotwise-job/1", "name": 3})";
    QVERIFY(!same->loadSpec(broken));
    QVERIFY(child<QLabel>(*same, "statusLabel")->text().contains(QStringLiteral("name: wrong type")));
    QCOMPARE(jobs::serializeJobSpec(same->spec()), jobs::serializeJobSpec(local));
  }

  void aValidFormYieldsTheSpecEntered() {
    QTemporaryDir code;
    std::ofstream(fs::path(code.path().toStdString()) / "main.py") << "print('train')\n";
    const pricing::Offer offer = awsOffer();
    auto dialog = openFor(offer);
    retype(child<QLineEdit>(*dialog, "nameLineEdit"), QStringLiteral("bert-finetune"));
    retype(child<QLineEdit>(*dialog, "codeDirLineEdit"), code.path());
    retype(child<QLineEdit>(*dialog, "commandLineEdit"), QStringLiteral("python3 main.py --epochs 3"));
    auto* env = child<QPlainTextEdit>(*dialog, "environmentTextEdit");
    typeLines(env, QStringLiteral("EPOCHS=3\n# a comment\nHF_HOME=/tmp/hf"));
    QTest::mouseClick(child<QCheckBox>(*dialog, "rehearseCheckBox"), Qt::LeftButton, {}, QPoint(5, 5));
    retype(child<QLineEdit>(*dialog, "storageLineEdit"), QStringLiteral("s3://team-bucket/runs"));
    retype(child<QLineEdit>(*dialog, "intervalLineEdit"), QStringLiteral("20"));
    auto* signal = child<QComboBox>(*dialog, "signalComboBox");
    signal->setCurrentIndex(signal->findText(QStringLiteral("SIGINT")));
    retype(child<QSpinBox>(*dialog, "graceSpinBox"), 90);
    QTest::mouseClick(child<QCheckBox>(*dialog, "sameRegionCheckBox"), Qt::LeftButton, {}, QPoint(5, 5));
    retype(child<QSpinBox>(*dialog, "moveAfterSpinBox"), 3);
    retype(child<QSpinBox>(*dialog, "onDemandAfterSpinBox"), 5);
    retype(child<QSpinBox>(*dialog, "maxAttemptsSpinBox"), 12);
    retype(child<QLineEdit>(*dialog, "budgetLineEdit"), QStringLiteral("40"));
    retype(child<QLineEdit>(*dialog, "maxRuntimeLineEdit"), QStringLiteral("12.5"));
    waitChecked(*dialog);
    QVERIFY2(launchEnabled(*dialog), qPrintable(child<QLabel>(*dialog, "statusLabel")->text()));
    QCOMPARE(child<QPushButton>(*dialog, "launchButton")->text(), QStringLiteral("Launch"));

    QSignalSpy requested(dialog.get(), &LaunchDialog::launchRequested);
    QTest::mouseClick(child<QPushButton>(*dialog, "launchButton"), Qt::LeftButton);
    QCOMPARE(requested.count(), 1);
    QVERIFY(!dialog->isVisible());
    const auto s = requested.at(0).at(0).value<jobs::JobSpec>();
    QVERIFY(jobs::validateJobSpec(s).empty());

    jobs::JobSpec want;
    want.name = "bert-finetune";
    want.offer = {"aws", offer.region, offer.zone, offer.instanceType, true, offer.spot->usdPerHour, offer.onDemand->usdPerHour,
                  offer.gpuModel, offer.gpuCount};
    want.codeDir = code.path().toStdString();
    want.command = "python3 main.py --epochs 3";
    want.environment = {{"EPOCHS", "3"}, {"HF_HOME", "/tmp/hf"}};
    want.storage = "s3://team-bucket/runs";
    want.checkpointSignal = "SIGINT";
    want.graceSeconds = 90;
    want.checkpointSyncSeconds = 1200;
    want.recovery = {false, 3, 5, 12, jobs::RecoveryPolicy{}.maxCapacityRetries};
    want.budgetUsd = 40;
    want.maxRuntimeSeconds = 45000;
    QCOMPARE(jobs::serializeJobSpec(s), jobs::serializeJobSpec(want));
    // The bucket is remembered for the next AWS launch.
    QCOMPARE(QSettings().value(QStringLiteral("launch/storage/aws")).toString(), QStringLiteral("s3://team-bucket/runs"));
    auto next = openFor(offer);
    QTest::mouseClick(child<QCheckBox>(*next, "rehearseCheckBox"), Qt::LeftButton, {}, QPoint(5, 5));
    QCOMPARE(next->spec().storage, std::string("s3://team-bucket/runs"));
  }
};

QTEST_MAIN(LaunchDialogTest)
#include "LaunchDialogTest.moc"
