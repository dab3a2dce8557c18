// The start-up floor for StartupBench: the least a window like Spotwise's first screen can be. A main
// window with a menu bar (File, Help), a sidebar list and a table view of 1,000 × 11 cells of text from
// a trivial model, none of Spotwise's code or data. The process quits once the table has been painted
// (as `spotwise --exit-when-shown` does). Spotwise against this shows what its own start-up costs;
// this against the empty window shows what a table of text alone costs.
//
// `--controls` adds, above the table, the controls issue 3 asks the Prices page to have, as plain Qt
// widgets with no data behind them: a title, the search box, the refresh button, the GPU model, provider
// and region lists, the minimum GPU count and maximum $/h boxes, "Spot only", Copy and Export, the line
// saying where the prices come from, the count and status lines and the Launch button. That is the
// least any implementation of that page can start with.
#include <QAbstractTableModel>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMainWindow>
#include <QMenuBar>
#include <QMetaObject>
#include <QPushButton>
#include <QSpinBox>
#include <QTableView>
#include <QVBoxLayout>

#include <cstring>

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

/** The Prices page's controls around `table`, in `page`'s layout. */
void addPageControls(QWidget* page, QTableView* table) {
  auto* layout = new QVBoxLayout(page);
  auto* top = new QHBoxLayout;
  top->addWidget(new QLabel(QStringLiteral("GPU prices"), page));
  top->addStretch(1);
  auto* search = new QLineEdit(page);
  search->setPlaceholderText(QStringLiteral("Filter: GPU, region, instance type…"));
  top->addWidget(search);
  top->addWidget(new QPushButton(QStringLiteral("Refresh prices"), page));
  auto* filters = new QHBoxLayout;
  for (const auto* first : {"All GPUs", "All providers", "All regions"}) {
    auto* combo = new QComboBox(page);
    combo->addItem(QString::fromUtf8(first));
    filters->addWidget(combo);
  }
  auto* minGpus = new QSpinBox(page);
  minGpus->setSuffix(QStringLiteral(" GPUs"));
  filters->addWidget(minGpus);
  auto* maxPrice = new QDoubleSpinBox(page);
  maxPrice->setSpecialValueText(QStringLiteral("Any $/h"));
  filters->addWidget(maxPrice);
  filters->addWidget(new QCheckBox(QStringLiteral("Spot only"), page));
  filters->addStretch(1);
  filters->addWidget(new QPushButton(QStringLiteral("Copy"), page));
  filters->addWidget(new QPushButton(QStringLiteral("Export CSV…"), page));
  auto* bottom = new QHBoxLayout;
  bottom->addWidget(new QLabel(QStringLiteral("1000 offers"), page));
  bottom->addStretch(1);
  bottom->addWidget(new QLabel(QStringLiteral("Ready"), page));
  bottom->addWidget(new QPushButton(QStringLiteral("Launch…"), page));
  layout->addLayout(top);
  layout->addLayout(filters);
  layout->addWidget(new QLabel(QStringLiteral("Offline snapshot · prices as of 2026-11-01 · sources: a, b, c"), page));
  layout->addWidget(table, 1);
  layout->addLayout(bottom);
}

}  // namespace

int main(int argc, char** argv) {
  bool controls = false;
  for (int i = 1; i < argc; ++i) controls = controls || std::strcmp(argv[i], "--controls") == 0;
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
  if (controls) {
    auto* page = new QWidget(central);
    addPageControls(page, table);
    layout->addWidget(page, 1);
  } else {
    layout->addWidget(table, 1);
  }
  window.setCentralWidget(central);
  QuitOnFirstPaint quit;
  table->viewport()->installEventFilter(&quit);
  window.resize(1200, 720);
  window.show();
  return QApplication::exec();
}
