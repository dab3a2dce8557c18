// The start-up floor for StartupBench: the least a window like Spotwise's first screen can be. A main
// window with a menu bar (File, Help), a sidebar list and a table view of 1,000 × 11 cells of text from
// a trivial model, none of Spotwise's code or data. The process quits once the table has been painted
// (as `spotwise --exit-when-shown` does). Spotwise against this shows what its own start-up costs;
// this against the empty window shows what a table of text alone costs.
#include <QAbstractTableModel>
#include <QApplication>
#include <QEvent>
#include <QHBoxLayout>
#include <QListWidget>
#include <QMainWindow>
#include <QMenuBar>
#include <QMetaObject>
#include <QTableView>

namespace {

class TextModel : public QAbstractTableModel {
 public:
  [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override { return parent.isValid() ? 0 : 1000; }
  [[nodiscard]] int columnCount(const QModelIndex& parent = {}) const override { return parent.isValid() ? 0 : 11; }
  [[nodiscard]] QVariant data(const QModelIndex& index, int role) const override {
    if (role != Qt::DisplayRole) return {};
    return QStringLiteral("r%1 c%2").arg(index.row()).arg(index.column());
  }
};

/** Quits after the first paint of what it watches. */
class QuitOnFirstPaint : public QObject {
 protected:
  bool eventFilter(QObject* watched, QEvent* event) override {
    if (event->type() == QEvent::Paint) {
      watched->removeEventFilter(this);
      QMetaObject::invokeMethod(this, [] { QApplication::exit(0); }, Qt::QueuedConnection);
    }
    return false;
  }
};

}  // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QMainWindow window;
  window.menuBar()->addMenu(QStringLiteral("&File"));
  window.menuBar()->addMenu(QStringLiteral("&Help"));
  auto* central = new QWidget(&window);
  auto* layout = new QHBoxLayout(central);
  auto* sidebar = new QListWidget(central);
  sidebar->addItems({QStringLiteral("Prices"), QStringLiteral("Planner"), QStringLiteral("Jobs"), QStringLiteral("Accounts")});
  sidebar->setFixedWidth(150);
  layout->addWidget(sidebar);
  TextModel model;
  auto* table = new QTableView(central);
  table->setModel(&model);
  layout->addWidget(table, 1);
  window.setCentralWidget(central);
  QuitOnFirstPaint quit;
  table->viewport()->installEventFilter(&quit);
  window.resize(1200, 720);
  window.show();
  return QApplication::exec();
}
