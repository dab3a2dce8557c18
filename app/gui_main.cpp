#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

#include <cstdio>
#include <cstring>

#include "core/common/Version.h"
#include "ui/jobs/JobsPage.h"
#include "ui/mainwindow/MainWindow.h"
#include "ui/models/OfferTableModel.h"
#include "ui/prices/PricesPage.h"
#include "ui/platform/SingleInstance.h"
#include "ui/platform/TrayIcon.h"
#include "ui/platform/WindowActivation.h"

int main(int argc, char** argv) {
  // Answer --version before QApplication exists, so it works without a display.
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--version") == 0 || std::strcmp(argv[i], "-v") == 0) {
      std::printf("spotwise %s\n", spotwise::kVersion);
      return 0;
    }
  }

  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("Spotwise"));
  QApplication::setApplicationName(QStringLiteral("Spotwise"));
  QApplication::setApplicationVersion(QString::fromLatin1(spotwise::kVersion));
  QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/spotwise.svg")));
  QGuiApplication::setDesktopFileName(QString::fromLatin1(spotwise::kAppId));  // Wayland: icon, grouping

  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral("Compare, plan and run ML training on spot GPUs"));
  parser.addHelpOption();
  parser.addVersionOption();
  const QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                      QStringLiteral("Save a PNG of the main window to <file> and quit."),
                                      QStringLiteral("file"));
  parser.addOption(screenshot);
  // For start-up measurements (tests/bench/StartupBench): quit once the shown Prices page has its rows.
  QCommandLineOption exitWhenShown(QStringLiteral("exit-when-shown"),
                                   QStringLiteral("Quit as soon as the window is shown with prices (start-up timing)."));
  exitWhenShown.setFlags(QCommandLineOption::HiddenFromHelp);
  parser.addOption(exitWhenShown);
  const QCommandLineOption page(QStringLiteral("page"), QStringLiteral("Open on <page>: prices, planner, jobs or accounts."),
                                QStringLiteral("page"));
  parser.addOption(page);
  parser.process(app);

  // One instance per user: a second launch brings the running window to the front and exits.
  // A screenshot run is a throwaway of its own.
  spotwise::ui::SingleInstance instance(QString::fromLatin1(spotwise::kAppId));
  if (!parser.isSet(screenshot) && !parser.isSet(exitWhenShown)) {
    switch (instance.start(QApplication::arguments())) {
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
                   [&window] { spotwise::ui::bringToFront(&window); });
  spotwise::ui::TrayIcon tray(&window);
  window.setTrayIcon(&tray);
  // The app supervises jobs itself: reconciliation at start-up, then a poll every few seconds.
  window.startSupervising(spotwise::ui::JobsPage::defaultRuntimeOptions());
  if (parser.isSet(page)) {
    const QStringList pages{QStringLiteral("prices"), QStringLiteral("planner"), QStringLiteral("jobs"), QStringLiteral("accounts")};
    const auto index = pages.indexOf(parser.value(page).toLower());
    if (index < 0) {
      std::fprintf(stderr, "spotwise: unknown page %s (prices, planner, jobs, accounts)\n", qPrintable(parser.value(page)));
      return 2;
    }
    window.showPage(static_cast<spotwise::ui::MainWindow::Page>(index));
  }
  window.show();
  if (parser.isSet(exitWhenShown)) {
    // After the first pass of the event loop: the window has been exposed and painted.
    QTimer::singleShot(0, &window, [&window] {
      const auto* pricesPage = window.findChild<spotwise::ui::PricesPage*>();
      const int rows = pricesPage ? pricesPage->model()->rowCount() : 0;
      QApplication::exit(rows > 0 ? 0 : 3);
    });
  }
  if (parser.isSet(screenshot)) {
    const QString path = parser.value(screenshot);
    QTimer::singleShot(500, &window, [&window, path] {
      const bool saved = window.grab().save(path, "PNG");
      std::fprintf(saved ? stdout : stderr, "%s %s\n", saved ? "saved" : "could not save", qPrintable(path));
      QApplication::exit(saved ? 0 : 1);
    });
  }
  return QApplication::exec();
}
