#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

#include <cstdio>
#include <cstring>

#include "core/common/Version.h"
#include "ui/mainwindow/MainWindow.h"

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

  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral("Compare, plan and run ML training on spot GPUs"));
  parser.addHelpOption();
  parser.addVersionOption();
  const QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                      QStringLiteral("Save a PNG of the main window to <file> and quit."),
                                      QStringLiteral("file"));
  parser.addOption(screenshot);
  parser.process(app);

  spotwise::ui::MainWindow window;
  window.show();
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
