// The Jobs page driven offscreen as a user would, with the real controller on its worker thread, a real
// ledger file and the real Local provider (each instance is a real process tree running the agent and the
// example workload): a launched job shows up and makes progress, Stop (after confirming) terminates the
// process and the row reaches Stopped, "Preempt now" gives a preemption and a resume notification, a
// restarted page re-attaches and offers to terminate orphans, closing the window with jobs running asks
// about the tray, and the GUI thread keeps running while the controller polls.
#include <QAbstractButton>
#include <QCheckBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineSeries>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTimer>

#include <functional>
#include <memory>

#include "TestSupport.h"
#include "core/cloud/local/LocalProvider.h"
#include "core/jobs/JobState.h"
#include "core/ledger/Ledger.h"
#include "ui/jobs/AttemptsTimeline.h"
#include "ui/jobs/JobTableModel.h"
#include "ui/jobs/JobsPage.h"
#include "ui/mainwindow/MainWindow.h"
#include "ui/platform/TrayIcon.h"

using namespace spotwise;
using spotwise::ui::JobsPage;
using spotwise::ui::JobTableModel;
namespace fs = std::filesystem;

namespace {

/** A temporary Local world (ledger, instance root, bucket); every instance left is terminated on exit. */
struct World {
  QTemporaryDir dir;
  fs::path root = fs::path(dir.path().toStdString()) / "local";
  fs::path bucket = root / "bucket";
  fs::path ledger = fs::path(dir.path().toStdString()) / "ledger.sqlite";

  jobs::RuntimeOptions options() const {
    jobs::RuntimeOptions o;
    o.ledgerPath = ledger;
    o.providers.localRoot = root;
    o.providers.rehearsal.noticeSeconds = 3;
    o.agent.heartbeatSeconds = 1;
    o.agent.pollSeconds = 1;
    o.controller.pollIntervalMs = 300;
    return o;
  }
  std::unique_ptr<cloud::local::LocalProvider> provider() const {
    cloud::local::LocalProviderOptions o;
    o.root = root;
    o.bucketRoot = bucket;
    return std::make_unique<cloud::local::LocalProvider>(o);
  }
  jobs::JobSpec spec(int steps, const std::string& name = "example") const {
    auto s = JobsPage::exampleSpec(root / "examples", bucket);
    if (!s) qFatal("example spec: %s", s.error().message.c_str());
    s->name = name;
    s->command = "python3 train.py --steps " + std::to_string(steps) + " --step-seconds 0.02 --checkpoint-every 25";
    s->graceSeconds = 2;
    s->checkpointSyncSeconds = 5;
    s->offer.pricePerHour = 3.6;  // a visible simulated spend
    s->budgetUsd = 50;
    return *s;
  }
  ~World() {
    auto p = provider();
    auto all = p->compute().listByTag("", {}, {});
    if (!all) return;
    std::vector<cloud::InstanceRef> refs;
    for (const auto& i : *all) {
      if (i.state != cloud::InstanceState::Terminated) refs.push_back({i.region, i.id});
    }
    if (!refs.empty()) (void)p->compute().terminate(refs, {});
  }
};

const ui::JobRow* rowOf(const JobsPage& page, const QString& id) { return page.model()->job(page.model()->rowOf(id)); }

std::string stateOf(const JobsPage& page, const QString& id) {
  const auto* row = rowOf(page, id);
  return row ? row->state : std::string();
}

/** Answers the next message box named `name` by clicking the button `answer` returns. */
void answerNextBox(const QString& name, std::function<QAbstractButton*(QMessageBox&)> answer, bool* seen = nullptr) {
  auto* timer = new QTimer;
  timer->setInterval(20);
  QObject::connect(timer, &QTimer::timeout, timer, [timer, name, answer = std::move(answer), seen] {
    for (QWidget* w : QApplication::topLevelWidgets()) {
      auto* box = qobject_cast<QMessageBox*>(w);
      if (!box || box->objectName() != name || !box->isVisible()) continue;
      if (seen) *seen = true;
      timer->stop();
      timer->deleteLater();
      if (QAbstractButton* b = answer(*box)) b->click();
      return;
    }
  });
  timer->start();
}

QAbstractButton* buttonWithText(QMessageBox& box, const QString& text) {
  for (QAbstractButton* b : box.buttons()) {
    if (b->text() == text) return b;
  }
  return nullptr;
}

QString launchAndWait(JobsPage& page, const jobs::JobSpec& spec) {
  QSignalSpy launched(&page, &JobsPage::jobLaunched);
  QSignalSpy failed(&page, &JobsPage::launchFailed);
  page.launch(spec);
  (void)QTest::qWaitFor([&] { return !launched.isEmpty() || !failed.isEmpty(); }, 10000);
  if (!failed.isEmpty()) qWarning("launch failed: %s", qPrintable(failed.at(0).at(0).toString()));
  if (launched.isEmpty()) return {};
  return launched.at(0).at(0).toString();
}

}  // namespace

class JobsPageTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("SpotwiseTest"));
    QCoreApplication::setApplicationName(QStringLiteral("JobsPageTest"));
    if (QProcess::execute(QStringLiteral("python3"), {QStringLiteral("-c"), QStringLiteral("pass")}) != 0) {
      if (qEnvironmentVariable("CI") == QStringLiteral("true")) QFAIL("python3 is missing (the agent and the Local provider need it)");
      QSKIP("python3 is missing: the agent and the Local provider need it");
    }
  }

  void init() { QSettings().clear(); }

  void emptyStateTellsHowToStart() {
    World w;
    JobsPage page;
    QSignalSpy started(&page, &JobsPage::startupFinished);
    page.start(w.options(), 200);
    QVERIFY(started.wait(10000));
    auto* button = page.findChild<QPushButton*>(QStringLiteral("launchExampleButton"));
    QVERIFY(button);
    QVERIFY(page.findChild<QWidget*>(QStringLiteral("jobsEmptyState"))->isVisibleTo(&page));
    QVERIFY(!page.findChild<QTableView*>(QStringLiteral("jobsTableView"))->isVisibleTo(&page));
    QCOMPARE(page.model()->rowCount(), 0);
  }

  void launchedJobProgressesAndStopTerminatesIt() {
    World w;
    JobsPage page;
    page.resize(1100, 700);
    page.show();
    QSignalSpy started(&page, &JobsPage::startupFinished);
    page.start(w.options(), 200);
    QVERIFY(started.wait(10000));

    // The GUI thread's 10 ms timer keeps firing while the worker polls and the page applies snapshots.
    QTimer ticker;
    QElapsedTimer sinceTick;
    qint64 longestGap = 0;
    int polls = 0;
    qint64 longestPoll = 0;
    connect(&page, &JobsPage::ticked, &page, [&](qint64 ms) {
      ++polls;
      longestPoll = std::max(longestPoll, ms);
    });
    connect(&ticker, &QTimer::timeout, [&] { longestGap = std::max(longestGap, sinceTick.restart()); });
    sinceTick.start();
    ticker.start(10);

    const QString id = launchAndWait(page, w.spec(3000));
    QVERIFY(!id.isEmpty());
    QCOMPARE(page.selectedJobId(), id);
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(page, id) != nullptr, 5000);
    QVERIFY(page.findChild<QTableView*>(QStringLiteral("jobsTableView"))->isVisibleTo(&page));
    QVERIFY(rowOf(page, id)->rehearsal);
    QVERIFY(page.model()->index(page.model()->rowOf(id), JobTableModel::OfferColumn).data().toString().contains(QStringLiteral("rehearsal")));

    // Progress goes up, step / total shown, the log tail and the spend chart fill in.
    QTRY_VERIFY_WITH_TIMEOUT(stateOf(page, id) == "Running" && rowOf(page, id)->step > 0, 30000);
    const std::int64_t firstStep = rowOf(page, id)->step;
    QCOMPARE(rowOf(page, id)->total, std::int64_t(3000));
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(page, id)->step > firstStep + 20, 15000);
    const QModelIndex progress = page.model()->index(page.model()->rowOf(id), JobTableModel::ProgressColumn);
    QVERIFY(progress.data().toString().endsWith(QStringLiteral(" / 3000")));
    QVERIFY(progress.data(JobTableModel::kFractionRole).toDouble() > 0);
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(page, id)->etaSeconds > 0, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(page, id)->spendUsd > 0, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(page.spendSeries()->count() >= 2, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(!page.findChild<QPlainTextEdit*>(QStringLiteral("logTailTextEdit"))->toPlainText().isEmpty(), 10000);
    QCOMPARE(page.timeline()->attempts().size(), std::size_t(1));
    const std::string instance = rowOf(page, id)->liveInstanceId;
    QVERIFY(!instance.empty());
    auto provider = w.provider();
    QVERIFY(!provider->localCompute().livePids(instance).empty());

    // Stop, then Cancel in the confirmation: nothing happens.
    auto* stop = page.findChild<QPushButton*>(QStringLiteral("stopJobButton"));
    QVERIFY(stop->isEnabled());
    bool asked = false;
    answerNextBox(QStringLiteral("stopConfirmation"), [](QMessageBox& box) { return box.button(QMessageBox::Cancel); }, &asked);
    stop->click();
    QVERIFY(asked);
    QTest::qWait(1500);
    QCOMPARE(stateOf(page, id), std::string("Running"));
    QVERIFY(!provider->localCompute().livePids(instance).empty());

    // Stop, confirmed: the real process tree goes away and the row reaches Stopped.
    asked = false;
    answerNextBox(QStringLiteral("stopConfirmation"), [](QMessageBox& box) { return buttonWithText(box, QStringLiteral("Stop job")); }, &asked);
    stop->click();
    QVERIFY(asked);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(page, id), std::string("Stopped"), 30000);
    QVERIFY(provider->localCompute().livePids(instance).empty());
    QVERIFY(!stop->isEnabled());
    QCOMPARE(page.activeJobCount(), 0);

    ticker.stop();
    qInfo("%d polls on the worker, the longest %lld ms; the GUI thread's longest gap between 10 ms timer ticks: %lld ms",
          polls, longestPoll, longestGap);
    QVERIFY(polls >= 10);
    // Polls run on the worker; ~25 ms gaps on a quiet machine. A shared 2-core CI machine running other
    // tests at once deschedules the GUI thread for up to ~200 ms, so the bound leaves room for that.
    QVERIFY2(longestGap < 400, qPrintable(QStringLiteral("the GUI thread stalled for %1 ms").arg(longestGap)));
  }

  void preemptNowNotifiesPreemptionAndResume() {
    World w;
    ui::MainWindow window;
    ui::TrayIcon tray(&window);
    window.setTrayIcon(&tray);
    QSignalSpy messages(&tray, &ui::TrayIcon::messageShown);
    JobsPage& page = *window.jobsPage();
    QSignalSpy started(&page, &JobsPage::startupFinished);
    page.start(w.options(), 200);
    QVERIFY(started.wait(10000));
    const QString id = launchAndWait(page, w.spec(500));
    QVERIFY(!id.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(stateOf(page, id) == "Running" && rowOf(page, id)->step >= 60, 30000);
    auto* preempt = page.findChild<QPushButton*>(QStringLiteral("preemptNowButton"));
    QVERIFY(preempt->isVisibleTo(&page));
    QTRY_VERIFY_WITH_TIMEOUT(preempt->isEnabled(), 5000);
    preempt->click();

    const auto titles = [&] {
      QStringList out;
      for (const auto& m : messages) out << m.at(0).toString();
      return out;
    };
    QTRY_VERIFY_WITH_TIMEOUT(titles().contains(QStringLiteral("Job preempted")), 30000);
    QVERIFY(tray.lastMessage().contains(QStringLiteral("example was preempted")));
    QTRY_VERIFY_WITH_TIMEOUT(titles().contains(QStringLiteral("Job resumed")), 30000);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(page, id), std::string("Succeeded"), 60000);
    QTRY_VERIFY_WITH_TIMEOUT(titles().contains(QStringLiteral("Job finished")), 5000);
    QCOMPARE(titles().count(QStringLiteral("Job preempted")), 1);
    QCOMPARE(rowOf(page, id)->preemptions, 1);
    QCOMPARE(rowOf(page, id)->attempts, 2);
    QTRY_COMPARE_WITH_TIMEOUT(page.timeline()->preemptionMarkers(), 1, 5000);
    QCOMPARE(page.model()->index(page.model()->rowOf(id), JobTableModel::AttemptsColumn).data().toString(), QStringLiteral("2 / 1"));
  }

  void failingProgramIsNotified() {
    World w;
    JobsPage page;
    QSignalSpy notifications(&page, &JobsPage::notification);
    QSignalSpy started(&page, &JobsPage::startupFinished);
    page.start(w.options(), 200);
    QVERIFY(started.wait(10000));
    auto spec = w.spec(100, "broken");
    spec.command = "python3 -c 'import sys; print(\"diverged\"); sys.exit(3)'";
    const QString id = launchAndWait(page, spec);
    QVERIFY(!id.isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(page, id), std::string("Failed"), 30000);
    QTRY_VERIFY_WITH_TIMEOUT(!notifications.isEmpty(), 5000);
    QCOMPARE(notifications.last().at(0).toString(), QStringLiteral("Job failed"));
    QVERIFY2(notifications.last().at(1).toString().startsWith(QStringLiteral("broken failed: ")),
             qPrintable(notifications.last().at(1).toString()));
    QCOMPARE(notifications.size(), 1);
    QVERIFY(!page.findChild<QPushButton*>(QStringLiteral("stopJobButton"))->isEnabled());
  }

  void stopFromTheCliWhileTheAppSupervises() {
    World w;
    JobsPage page;
    QSignalSpy started(&page, &JobsPage::startupFinished);
    page.start(w.options(), 200);
    QVERIFY(started.wait(10000));
    const QString id = launchAndWait(page, w.spec(3000));
    QVERIFY(!id.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(stateOf(page, id) == "Running", 30000);
    const std::string instance = rowOf(page, id)->liveInstanceId;

    // `spotwise-cli stop --no-wait` from another process only records the request in the shared ledger;
    // the app's controller terminates the instance and the page shows the job Stopped.
    const char* binaryDir = std::getenv("SPOTWISE_BINARY_DIR");
    const QString cli = QString::fromStdString((fs::path(binaryDir ? binaryDir : ".") / "app" / "spotwise-cli").string());
    QProcess stop;
    stop.setProcessChannelMode(QProcess::MergedChannels);
    stop.start(cli, {QStringLiteral("stop"), id, QStringLiteral("--no-wait"), QStringLiteral("--ledger"),
                     QString::fromStdString(w.ledger.string()), QStringLiteral("--local-root"), QString::fromStdString(w.root.string())});
    QVERIFY(stop.waitForFinished(30000));
    QVERIFY2(stop.exitCode() == 0, stop.readAll().constData());
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(page, id), std::string("Stopped"), 30000);
    QVERIFY(w.provider()->localCompute().livePids(instance).empty());
  }

  void restartReattachesAndOffersToTerminateOrphans() {
    World w;
    QString id;
    {
      JobsPage page;
      QSignalSpy started(&page, &JobsPage::startupFinished);
      page.start(w.options(), 200);
      QVERIFY(started.wait(10000));
      id = launchAndWait(page, w.spec(3000));
      QTRY_VERIFY_WITH_TIMEOUT(stateOf(page, id) == "Running" && rowOf(page, id)->step > 0, 30000);
    }  // the app quits mid-job; the instance runs on
    {
      JobsPage page;
      QSignalSpy started(&page, &JobsPage::startupFinished);
      page.start(w.options(), 200);
      QVERIFY(started.wait(10000));
      auto* report = page.findChild<QLabel*>(QStringLiteral("startupReportLabel"));
      QVERIFY2(report->text().contains(QStringLiteral("Re-attached 1 live job(s): example (%1)").arg(id)), qPrintable(report->text()));
      QTRY_VERIFY_WITH_TIMEOUT(stateOf(page, id) == "Running", 10000);
    }
    // Another process ends the job in the ledger behind the instance's back: its instance becomes an orphan.
    std::string instance;
    {
      auto ledger = ledger::Ledger::open(w.ledger).value();
      auto job = ledger->job(id.toStdString()).value().value();
      instance = ledger->attempt(job.id, job.currentAttempt).value().value().instanceId;
      job.state = "Failed";
      job.endedMs = job.updatedMs + 1;
      QVERIFY(ledger->updateJob(job).ok());
    }
    auto provider = w.provider();
    QVERIFY(!provider->localCompute().livePids(instance).empty());
    JobsPage page;
    QSignalSpy started(&page, &JobsPage::startupFinished);
    page.start(w.options(), 200);
    QVERIFY(started.wait(10000));
    auto* report = page.findChild<QLabel*>(QStringLiteral("startupReportLabel"));
    QVERIFY2(report->text().contains(QString::fromStdString(instance)), qPrintable(report->text()));
    QVERIFY(report->text().contains(QStringLiteral("so far")));
    auto* terminate = page.findChild<QPushButton*>(QStringLiteral("terminateOrphansButton"));
    QVERIFY(terminate->isVisibleTo(&page));
    bool asked = false;
    answerNextBox(QStringLiteral("terminateOrphansConfirmation"),
                  [](QMessageBox& box) { return buttonWithText(box, QStringLiteral("Terminate")); }, &asked);
    terminate->click();
    QVERIFY(asked);
    QTRY_VERIFY_WITH_TIMEOUT(report->text().contains(QStringLiteral("Terminated 1 orphan")), 15000);
    QTRY_VERIFY_WITH_TIMEOUT(provider->localCompute().livePids(instance).empty(), 15000);
  }

  void closingWithJobsRunningAsksAboutTheTray() {
    World w;
    ui::MainWindow window;
    JobsPage& page = *window.jobsPage();
    QSignalSpy started(&page, &JobsPage::startupFinished);
    window.startSupervising(w.options());
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QTRY_VERIFY_WITH_TIMEOUT(!started.isEmpty(), 10000);
    const QString id = launchAndWait(page, w.spec(3000));
    QTRY_VERIFY_WITH_TIMEOUT(page.activeJobCount() == 1, 5000);

    // Asked; Cancel keeps the window open.
    bool asked = false;
    answerNextBox(QStringLiteral("closeToTrayQuestion"), [](QMessageBox& box) { return box.button(QMessageBox::Cancel); }, &asked);
    QVERIFY(!window.close());
    QVERIFY(asked);
    QVERIFY(window.isVisible());

    // Keep watching, remembered: the window leaves (there is no tray offscreen: minimised), supervision goes on.
    asked = false;
    answerNextBox(QStringLiteral("closeToTrayQuestion"), [](QMessageBox& box) {
      box.checkBox()->setChecked(true);
      return box.findChild<QAbstractButton*>(QStringLiteral("keepWatchingButton"));
    }, &asked);
    QVERIFY(!window.close());
    QVERIFY(asked);
    QCOMPARE(QSettings().value(QLatin1String(ui::MainWindow::kCloseActionKey)).toString(), QStringLiteral("tray"));
    QVERIFY(window.findChild<QAction*>(QStringLiteral("closeAction_tray"))->isChecked());
    QVERIFY(window.isMinimized() || !window.isVisible());
    QSignalSpy snapshots(&page, &JobsPage::snapshotApplied);
    QVERIFY(snapshots.wait(5000));

    // Remembered: no question the next time.
    asked = false;
    answerNextBox(QStringLiteral("closeToTrayQuestion"), [](QMessageBox& box) { return box.button(QMessageBox::Cancel); }, &asked);
    QVERIFY(!window.close());
    QTest::qWait(200);
    QVERIFY(!asked);

    // Changed in the File menu to "Quit": closing closes.
    window.findChild<QAction*>(QStringLiteral("closeAction_quit"))->trigger();
    QCOMPARE(QSettings().value(QLatin1String(ui::MainWindow::kCloseActionKey)).toString(), QStringLiteral("quit"));
    QVERIFY(window.close());
    QVERIFY(!asked);
    for (QWidget* widget : QApplication::topLevelWidgets()) {
      if (auto* box = qobject_cast<QMessageBox*>(widget); box && box->isVisible()) box->reject();
    }
    QApplication::setQuitOnLastWindowClosed(true);
    Q_UNUSED(id);
  }
};

QTEST_MAIN(JobsPageTest)
#include "JobsPageTest.moc"
