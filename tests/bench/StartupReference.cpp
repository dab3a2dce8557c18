// The start-up reference for StartupBench: an empty Qt Widgets window of the app's size, shown,
// then the process quits after the first pass of the event loop (as `spotwise --exit-when-shown` does).
#include <QApplication>
#include <QTimer>
#include <QWidget>

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QWidget window;
  window.resize(1200, 720);
  window.show();
  QTimer::singleShot(0, &window, [] { QApplication::exit(0); });
  return QApplication::exec();
}
