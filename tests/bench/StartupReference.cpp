// The start-up reference for StartupBench: an empty Qt Widgets window of the app's size, shown; the
// process quits once that window's first frame has been painted (as `spotwise --exit-when-shown` does
// once its first frame, with the prices table, has been).
#include <QApplication>
#include <QEvent>
#include <QMetaObject>
#include <QWidget>

namespace {
class Window : public QWidget {
 protected:
  bool event(QEvent* event) override {
    if (event->type() == QEvent::Paint && !m_painted) {
      m_painted = true;
      QMetaObject::invokeMethod(this, [] { QApplication::exit(0); }, Qt::QueuedConnection);
    }
    return QWidget::event(event);
  }

 private:
  bool m_painted = false;
};
}  // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  Window window;
  window.resize(1200, 720);
  window.show();
  return QApplication::exec();
}
