// Job files opened from outside the app (the .desktop entry's `Exec=spotwise %f`, the file
// manager's double-click on *.spotwise.json): the launch form opens filled from the file, a bad
// file is refused in a box that names it and says what is wrong, and a second `spotwise FILE`
// (a real process, started from another folder with a relative path) hands the file to the
// running instance, which opens it.
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProcess>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <fstream>

#include "TestSupport.h"
#include "core/common/Version.h"
#include "core/jobs/JobSpec.h"
#include "ui/launch/LaunchDialog.h"
#include "ui/mainwindow/MainWindow.h"
#include "ui/platform/CommandLine.h"
#include "ui/platform/SingleInstance.h"

using spotwise::ui::MainWindow;
using spotwise::ui::SingleInstance;
namespace fs = std::filesystem;
namespace jobs = spotwise::jobs;

class JobFileTest : public QObject {
  Q_OBJECT
  QTemporaryDir m_home;

  /** A job file as the launch form saves it, with its code folder next to it. */
  QString writeJob(const QTemporaryDir& dir, const std::string& name) {
    const fs::path root = dir.path().toStdString();
    fs::create_directories(root / "code");
    std::ofstream(root / "code" / "train.py") << "print('train')\n";
    jobs::JobSpec spec;
    spec.name = name;
    spec.offer.provider = "aws";
    spec.offer.region = "us-east-1";
    spec.offer.instanceType = "g4dn.xlarge";
    spec.offer.pricePerHour = 0.1578;
    spec.offer.onDemandPricePerHour = 0.526;
    spec.offer.gpuModel = "T4";
    spec.offer.gpuCount = 1;
    spec.codeDir = root / "code";
    spec.command = "python3 train.py";
    spec.storage = "s3://my-bucket/spotwise";
    spec.checkpointSyncSeconds = 600;
    spec.budgetUsd = 12.5;
    const fs::path file = root / (name + ".spotwise.json");
    if (auto saved = jobs::saveJobSpec(spec, file); !saved) qFatal("%s", saved.error().message.c_str());
    return QString::fromStdString(file.string());
  }

  static QString binary() { return qEnvironmentVariable("SPOTWISE_BINARY_DIR") + QStringLiteral("/app/spotwise"); }

  /** Runs the real app as a later launch, from `workingDir`, with `runtimeDir` as its runtime folder. */
  static void launchLater(QProcess& app, const QString& runtimeDir, const QString& workingDir, const QStringList& arguments) {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_RUNTIME_DIR"), runtimeDir);
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    app.setProcessEnvironment(env);
    app.setWorkingDirectory(workingDir);
    app.start(binary(), arguments);
    QVERIFY2(app.waitForStarted(), qPrintable(binary() + QStringLiteral(": ") + app.errorString()));
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(m_home.isValid());
    qputenv("XDG_DATA_HOME", m_home.path().toUtf8());
    qunsetenv("SPOTWISE_LOCAL_ROOT");
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("SpotwiseTest"));
    QCoreApplication::setApplicationName(QStringLiteral("JobFileTest"));
  }

  void init() { QSettings().clear(); }

  void aJobFileOpensTheFilledLaunchForm() {
    QTemporaryDir dir;
    const QString file = writeJob(dir, "bert-finetune");
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.openJobFile(file));
    auto* dialog = window.launchDialog();
    QVERIFY(dialog);
    QVERIFY(dialog->isVisible());
    const jobs::JobSpec shown = dialog->spec();
    QCOMPARE(shown.name, std::string("bert-finetune"));
    QCOMPARE(shown.offer.provider, std::string("aws"));
    QCOMPARE(shown.offer.instanceType, std::string("g4dn.xlarge"));
    QCOMPARE(shown.offer.pricePerHour, 0.1578);
    QCOMPARE(shown.command, std::string("python3 train.py"));
    QCOMPARE(shown.storage, std::string("s3://my-bucket/spotwise"));
    QCOMPARE(shown.checkpointSyncSeconds, 600);
    QCOMPARE(shown.budgetUsd, 12.5);
    QCOMPARE(dialog->findChild<QLineEdit*>(QStringLiteral("nameLineEdit"))->text(), QStringLiteral("bert-finetune"));
    // Exactly what the file says, as the form's own Load gives it.
    const auto loaded = jobs::loadJobSpec(file.toStdString());
    QVERIFY(loaded.ok());
    QCOMPARE(jobs::serializeJobSpec(shown), jobs::serializeJobSpec(*loaded));
    // The form checks it as if typed: valid, so it can be launched after the checks come back.
    QTRY_VERIFY_WITH_TIMEOUT(!dialog->isChecking(), 20000);
    QVERIFY2(dialog->fieldError(QStringLiteral("codeDir")).isEmpty(), qPrintable(dialog->fieldError(QStringLiteral("codeDir"))));
    QVERIFY(!window.jobFileErrorBox());
  }

  void aLocalRehearsalFileOpensAsARehearsal() {
    QTemporaryDir dir;
    const QString cloudFile = writeJob(dir, "rehearsal");
    auto spec = jobs::loadJobSpec(cloudFile.toStdString());
    QVERIFY(spec.ok());
    spec->offer.provider = "local";
    spec->offer.region = "local";
    spec->storage = "local://" + (fs::path(dir.path().toStdString()) / "bucket").string();
    const QString file = dir.filePath(QStringLiteral("rehearsal-local.spotwise.json"));
    QVERIFY(jobs::saveJobSpec(*spec, file.toStdString()).ok());
    const auto loaded = jobs::loadJobSpec(file.toStdString());
    QVERIFY(loaded.ok());
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.openJobFile(file));
    QVERIFY(window.launchDialog());
    QCOMPARE(jobs::serializeJobSpec(window.launchDialog()->spec()), jobs::serializeJobSpec(*loaded));
  }

  void aBadJobFileIsRefusedWithTheReason() {
    QTemporaryDir dir;
    const QString broken = dir.filePath(QStringLiteral("broken.spotwise.json"));
    std::ofstream(broken.toStdString()) << R"({"format": "spotwise-job/1", "name": 3})";
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(!window.openJobFile(broken));
    QVERIFY(!window.launchDialog());
    QMessageBox* box = window.jobFileErrorBox();
    QVERIFY(box);
    QTRY_VERIFY(box->isVisible());
    QCOMPARE(box->icon(), QMessageBox::Warning);
    QVERIFY2(box->text().contains(QDir::toNativeSeparators(broken)), qPrintable(box->text()));
    QVERIFY2(box->informativeText().contains(QStringLiteral("name: wrong type")), qPrintable(box->informativeText()));

    // Not JSON at all, and a file that is not there: the same box, each with its reason.
    const QString notJson = dir.filePath(QStringLiteral("notes.spotwise.json"));
    std::ofstream(notJson.toStdString()) << "these are not the jobs you are looking for\n";
    QVERIFY(!window.openJobFile(notJson));
    QTRY_VERIFY(window.jobFileErrorBox() && window.jobFileErrorBox() != box);  // replaced, not stacked
    QVERIFY(window.jobFileErrorBox()->text().contains(QStringLiteral("notes.spotwise.json")));
    QVERIFY(!window.jobFileErrorBox()->informativeText().isEmpty());
    const QString missing = dir.filePath(QStringLiteral("gone.spotwise.json"));
    QVERIFY(!window.openJobFile(missing));
    QVERIFY2(window.jobFileErrorBox()->informativeText().contains(QStringLiteral("cannot open")),
             qPrintable(window.jobFileErrorBox()->informativeText()));
    QVERIFY(!window.launchDialog());
  }

  void theCommandLineNamesJobFilesAbsolutely() {
    spotwise::ui::AppCommandLine commandLine;
    QVERIFY(commandLine.parse({QStringLiteral("spotwise"), QStringLiteral("--page"), QStringLiteral("jobs"),
                               QStringLiteral("runs/a.spotwise.json")}));
    QCOMPARE(commandLine.jobFiles(), QStringList{QStringLiteral("runs/a.spotwise.json")});
    QCOMPARE(commandLine.forwardedArguments(QStringLiteral("/usr/bin/spotwise")),
             (QStringList{QStringLiteral("/usr/bin/spotwise"), QDir::current().absoluteFilePath(QStringLiteral("runs/a.spotwise.json"))}));
    spotwise::ui::AppCommandLine unknown;
    QVERIFY(!unknown.parse({QStringLiteral("spotwise"), QStringLiteral("--no-such-option")}));
  }

  void aSecondLaunchHandsItsFileToTheRunningInstance() {
    QTemporaryDir runtime;
    QTemporaryDir jobs;
    const QString file = writeJob(jobs, "handed-over");

    // This test is the running instance, wired as the app's main() wires it.
    SingleInstance running(QString::fromLatin1(spotwise::kAppId), runtime.path());
    QCOMPARE(running.start({}), SingleInstance::Role::Primary);
    MainWindow window;
    connect(&running, &SingleInstance::activationRequested, &window, &MainWindow::activateForLaunch);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.showMinimized();

    // The real app, started in the file's folder with a relative path, as a file manager may.
    QProcess later;
    launchLater(later, runtime.path(), jobs.path(), {QFileInfo(file).fileName()});
    QTRY_VERIFY_WITH_TIMEOUT(window.launchDialog(), 15000);
    QCOMPARE(window.launchDialog()->spec().name, std::string("handed-over"));
    QVERIFY(!window.isMinimized());  // came to the front
    QTRY_COMPARE_WITH_TIMEOUT(later.state(), QProcess::NotRunning, 15000);
    QCOMPARE(later.exitStatus(), QProcess::NormalExit);
    QCOMPARE(later.exitCode(), 0);
    QVERIFY(later.readAllStandardError().contains("already running"));

    // A bad file handed over the same way is refused by the running instance, with the reason.
    const QString broken = jobs.filePath(QStringLiteral("broken.spotwise.json"));
    std::ofstream(broken.toStdString()) << R"({"format": "spotwise-job/1", "offer": []})";
    QProcess again;
    launchLater(again, runtime.path(), jobs.path(), {QStringLiteral("broken.spotwise.json")});
    QTRY_VERIFY_WITH_TIMEOUT(window.jobFileErrorBox(), 15000);
    QVERIFY2(window.jobFileErrorBox()->text().contains(broken), qPrintable(window.jobFileErrorBox()->text()));
    QVERIFY2(window.jobFileErrorBox()->informativeText().contains(QStringLiteral("offer")),
             qPrintable(window.jobFileErrorBox()->informativeText()));
    QTRY_COMPARE_WITH_TIMEOUT(again.state(), QProcess::NotRunning, 15000);
    QCOMPARE(again.exitCode(), 0);
  }

  void theRealAppHandsOverToTheRealApp() {
    // Two real processes: the first `spotwise` runs; `spotwise FILE` reaches it and exits at once.
    QTemporaryDir runtime;
    QTemporaryDir jobs;
    const QString file = writeJob(jobs, "two-processes");
    QProcess first;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_RUNTIME_DIR"), runtime.path());
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), runtime.filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("XDG_DATA_HOME"), runtime.filePath(QStringLiteral("data")));
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    first.setProcessEnvironment(env);
    first.start(binary(), {});
    QVERIFY2(first.waitForStarted(), qPrintable(first.errorString()));
    struct Stop {
      QProcess& p;
      ~Stop() {
        if (p.state() != QProcess::NotRunning) {
          p.kill();
          p.waitForFinished();
        }
      }
    } stop{first};
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(runtime.filePath(QString::fromLatin1(spotwise::kAppId) + QStringLiteral(".socket"))), 15000);

    QProcess later;
    launchLater(later, runtime.path(), jobs.path(), {file});
    QVERIFY(later.waitForFinished(15000));
    QCOMPARE(later.exitCode(), 0);
    QVERIFY(later.readAllStandardError().contains("already running"));
    QCOMPARE(first.state(), QProcess::Running);  // it took the file and keeps running
  }
};

QTEST_MAIN(JobFileTest)
#include "JobFileTest.moc"
