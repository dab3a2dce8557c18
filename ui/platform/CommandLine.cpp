#include "ui/platform/CommandLine.h"

#include <QCoreApplication>
#include <QFileInfo>

namespace spotwise::ui {

AppCommandLine::AppCommandLine()
    : screenshot(QStringLiteral("screenshot"), QCoreApplication::translate("AppCommandLine", "Save a PNG of the main window to <file> and quit."),
                 QStringLiteral("file")),
      // For start-up measurements (tests/bench/StartupBench): quit once the shown Prices page has its rows.
      exitWhenShown(QStringLiteral("exit-when-shown"),
                    QCoreApplication::translate("AppCommandLine", "Quit as soon as the window is shown with prices (start-up timing).")),
      page(QStringLiteral("page"),
           QCoreApplication::translate("AppCommandLine", "Open on <page>: prices, planner, jobs or accounts."),
           QStringLiteral("page")) {
  m_parser.setApplicationDescription(
      QCoreApplication::translate("AppCommandLine", "Compare, plan and run ML training on spot GPUs"));
  m_parser.addHelpOption();
  m_parser.addVersionOption();
  m_parser.addOption(screenshot);
  QCommandLineOption hidden = exitWhenShown;
  hidden.setFlags(QCommandLineOption::HiddenFromHelp);
  m_parser.addOption(hidden);
  m_parser.addOption(page);
  m_parser.addPositionalArgument(
      QStringLiteral("files"),
      QCoreApplication::translate("AppCommandLine", "Job files (*.spotwise.json) to open in the launch form."),
      QStringLiteral("[files...]"));
}

bool AppCommandLine::parse(const QStringList& arguments) { return m_parser.parse(arguments); }

QStringList AppCommandLine::forwardedArguments(const QString& program) const {
  QStringList forwarded{program};
  for (const QString& file : jobFiles()) forwarded << QFileInfo(file).absoluteFilePath();
  return forwarded;
}

}  // namespace spotwise::ui
