#include <QApplication>
#include <QTimer>

#include <cstdio>
#include <cstring>
#include <memory>

#include "core/common/Version.h"
#include "ui/jobs/JobsPage.h"
#include "ui/mainwindow/MainWindow.h"
#include "ui/mainwindow/SnapshotPrefetch.h"
#include "ui/models/OfferTableModel.h"
#include "ui/prices/PricesPage.h"
#include "ui/platform/CommandLine.h"
#include "ui/platform/MessageRedaction.h"
#include "ui/platform/SingleInstance.h"
#include "ui/platform/TrayIcon.h"

int main(int argc, char** argv) {
  // Answer --version before QApplication exists, so it works without a display.
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--version") == 0 || std::strcmp(argv[i], "-v") == 0) {
      std::printf("spotwise %s\n", spotwise::kVersion);
      return 0;
    }
  }

  // The price table's data, parsed while Qt starts.
  spotwise::ui::prefetchEmbeddedSnapshot();
  // Qt's own messages (plugins, network, D-Bus) go through the same secret redaction as Spotwise's log.
  spotwise::ui::installRedactingMessageHandler();
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("Spotwise"));
  QApplication::setApplicationName(QStringLiteral("Spotwise"));
  QApplication::setApplicationVersion(QString::fromLatin1(spotwise::kVersion));
  QGuiApplication::setDesktopFileName(QString::fromLatin1(spotwise::kAppId));  // Wayland: icon, grouping

  spotwise::ui::AppCommandLine commandLine;
  commandLine.parser().process(app);
  const bool throwaway =
      commandLine.parser().isSet(commandLine.screenshot) || commandLine.parser().isSet(commandLine.exitWhenShown);

  // One instance per user: a second launch hands its job files to the running one, which comes to
  // the front (and opens them), and exits. A screenshot or timing run is a throwaway of its own.
  spotwise::ui::SingleInstance instance(QString::fromLatin1(spotwise::kAppId));
  if (!throwaway) {
    switch (instance.start(commandLine.forwardedArguments(QApplication::applicationFilePath()))) {
      case spotwise::ui::SingleInstance::Role::Secondary:
        std::fprintf(stderr, "spotwise: already running; brought its window to the front\n");
        return 0;
      case spotwise::ui::SingleInstance::Role::Standalone:
        std::fprintf(stderr, "spotwise: running without single-instance support: %s\n",
                     qPrintable(instance.errorString()));
        break;
      case spotwise::ui::SingleInstance::Role::Primary:
        break;
    }
  }

  spotwise::ui::MainWindow window;
  QObject::connect(&instance, &spotwise::ui::SingleInstance::activationRequested, &window,
                   &spotwise::ui::MainWindow::activateForLaunch);
  // After the first frame (a filled Prices table): the window and tray icons, and job supervision, which the app does
  // itself (reconciliation, then a poll every few seconds). --exit-when-shown (StartupBench) quits there
  // instead, when the table has rows: start-up is the time to that frame.
  const bool exitWhenShown = commandLine.parser().isSet(commandLine.exitWhenShown);
  std::unique_ptr<spotwise::ui::TrayIcon> tray;
  QObject::connect(&window, &spotwise::ui::MainWindow::firstFrameShown, &window, [&window, &tray, exitWhenShown] {
    if (exitWhenShown) {
      QApplication::exit(window.pricesPage()->model()->rowCount() > 0 ? 0 : 3);
      return;
    }
    // The icon (and with it Qt's SVG support) is loaded now, for the window and the tray.
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/spotwise.svg")));
    tray = std::make_unique<spotwise::ui::TrayIcon>(&window);
    window.setTrayIcon(tray.get());
    window.startSupervising(spotwise::ui::JobsPage::defaultRuntimeOptions());
  });
  if (commandLine.parser().isSet(commandLine.page)) {
    const QStringList pages{QStringLiteral("prices"), QStringLiteral("planner"), QStringLiteral("jobs"), QStringLiteral("accounts")};
    const QString wanted = commandLine.parser().value(commandLine.page);
    const auto index = pages.indexOf(wanted.toLower());
    if (index < 0) {
      std::fprintf(stderr, "spotwise: unknown page %s (prices, planner, jobs, accounts)\n", qPrintable(wanted));
      return 2;
    }
    window.showPage(static_cast<spotwise::ui::MainWindow::Page>(index));
  }
  window.show();
  // Job files given on the command line (Exec=spotwise %f) open once the window is up.
  if (!commandLine.jobFiles().isEmpty()) {
    QTimer::singleShot(0, &window, [&window, files = commandLine.jobFiles()] {
      for (const QString& file : files) window.openJobFile(file);
    });
  }
  if (commandLine.parser().isSet(commandLine.screenshot)) {
    const QString path = commandLine.parser().value(commandLine.screenshot);
    QTimer::singleShot(500, &window, [&window, path] {
      const bool saved = window.grab().save(path, "PNG");
      std::fprintf(saved ? stdout : stderr, "%s %s\n", saved ? "saved" : "could not save", qPrintable(path));
      QApplication::exit(saved ? 0 : 1);
    });
  }
  return QApplication::exec();
}
