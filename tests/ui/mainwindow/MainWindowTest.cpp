// The main window, driven offscreen as a user would: the Prices table, sorting by header clicks,
// page switching, and window geometry that survives a restart.
#include <QAction>
#include <QCoreApplication>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTableView>

#include "TestSupport.h"
#include "core/pricing/Snapshot.h"
#include "ui/mainwindow/MainWindow.h"
#include "ui/models/OfferTableModel.h"

using spotwise::ui::MainWindow;
using spotwise::ui::OfferTableModel;

class MainWindowTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("SpotwiseTest"));
    QCoreApplication::setApplicationName(QStringLiteral("MainWindowTest"));
  }

  void init() { QSettings().clear(); }

  void pricesTableShowsTheSnapshot() {
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QCOMPARE(window.currentPage(), MainWindow::PricesPageIndex);
    auto* table = window.findChild<QTableView*>(QStringLiteral("offersTableView"));
    QVERIFY(table);
    QVERIFY(table->isVisible());
    const auto snapshot = spotwise::pricing::embeddedSnapshot();
    QVERIFY(snapshot);
    QCOMPARE(table->model()->rowCount(), static_cast<int>(snapshot->offers.size()));
    auto* asOf = window.findChild<QLabel*>(QStringLiteral("asOfLabel"));
    QVERIFY(asOf->text().contains(QStringLiteral("2026-11-28")));
    QVERIFY(asOf->text().contains(QStringLiteral("skypilot-gcp")));
    QVERIFY(asOf->toolTip().contains(QStringLiteral("SkyPilot hosted catalog v8, AWS")));
  }

  void clickingAHeaderSorts() {
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto* table = window.findChild<QTableView*>(QStringLiteral("offersTableView"));
    QHeaderView* header = table->horizontalHeader();
    const auto clickHeader = [&](int column) {
      const int x = header->sectionViewportPosition(column) + header->sectionSize(column) / 2;
      QTest::mouseClick(header->viewport(), Qt::LeftButton, {}, QPoint(x, header->height() / 2));
    };
    const auto values = [&](int column) {
      QList<double> out;
      for (int r = 0; r < table->model()->rowCount(); ++r) {
        out << table->model()->index(r, column).data(OfferTableModel::kSortRole).toDouble();
      }
      return out;
    };
    clickHeader(OfferTableModel::OnDemandColumn);
    QCOMPARE(header->sortIndicatorSection(), static_cast<int>(OfferTableModel::OnDemandColumn));
    const Qt::SortOrder first = header->sortIndicatorOrder();
    auto column = values(OfferTableModel::OnDemandColumn);
    QVERIFY(first == Qt::AscendingOrder ? std::is_sorted(column.begin(), column.end())
                                        : std::is_sorted(column.rbegin(), column.rend()));
    clickHeader(OfferTableModel::OnDemandColumn);
    QVERIFY(header->sortIndicatorOrder() != first);
    column = values(OfferTableModel::OnDemandColumn);
    QVERIFY(first == Qt::AscendingOrder ? std::is_sorted(column.rbegin(), column.rend())
                                        : std::is_sorted(column.begin(), column.end()));
    QVERIFY(column.front() != column.back());

    clickHeader(OfferTableModel::ProviderColumn);
    QCOMPARE(header->sortIndicatorSection(), static_cast<int>(OfferTableModel::ProviderColumn));
    QStringList providers;
    for (int r = 0; r < table->model()->rowCount(); ++r) providers << table->model()->index(r, 0).data().toString();
    QStringList sorted = providers;
    std::sort(sorted.begin(), sorted.end());
    if (header->sortIndicatorOrder() == Qt::DescendingOrder) std::reverse(sorted.begin(), sorted.end());
    QCOMPARE(providers, sorted);
  }

  void searchFiltersRows() {
    MainWindow window;
    window.show();
    auto* table = window.findChild<QTableView*>(QStringLiteral("offersTableView"));
    const int all = table->model()->rowCount();
    auto* search = window.findChild<QLineEdit*>(QStringLiteral("searchLineEdit"));
    QTest::keyClicks(search, QStringLiteral("ND96isr"));
    QVERIFY(table->model()->rowCount() > 0);
    QVERIFY(table->model()->rowCount() < all);
    for (int r = 0; r < table->model()->rowCount(); ++r) {
      QCOMPARE(table->model()->index(r, OfferTableModel::InstanceTypeColumn).data().toString(),
               QStringLiteral("Standard_ND96isr_H100_v5"));
      QCOMPARE(table->model()->index(r, OfferTableModel::GpuColumn).data().toString(), QStringLiteral("8 × H100 (80 GiB)"));
    }
    search->clear();
    QCOMPARE(table->model()->rowCount(), all);
  }

  void sidebarSwitchesPages() {
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto* sidebar = window.findChild<QListWidget*>(QStringLiteral("pageListWidget"));
    auto* pages = window.findChild<QStackedWidget*>(QStringLiteral("pageStackedWidget"));
    const QStringList names{QStringLiteral("pricesPage"), QStringLiteral("plannerPage"), QStringLiteral("jobsPage"),
                            QStringLiteral("accountsPage")};
    for (int row : {2, 1, 3, 0}) {
      const QRect rect = sidebar->visualItemRect(sidebar->item(row));
      QTest::mouseClick(sidebar->viewport(), Qt::LeftButton, {}, rect.center());
      QCOMPARE(pages->currentWidget()->objectName(), names[row]);
      QVERIFY(pages->currentWidget()->isVisible());
    }
    QVERIFY(window.findChild<QAction*>(QStringLiteral("aboutAction"))->isEnabled());
  }

  void geometryAndPageAreRemembered() {
    {
      MainWindow window;
      window.show();
      QVERIFY(QTest::qWaitForWindowExposed(&window));
      window.resize(1010, 640);
      window.showPage(MainWindow::JobsPageIndex);
      window.close();
    }
    MainWindow again;
    again.show();
    QVERIFY(QTest::qWaitForWindowExposed(&again));
    QCOMPARE(again.size(), QSize(1010, 640));
    QCOMPARE(again.currentPage(), MainWindow::JobsPageIndex);
  }
};

QTEST_MAIN(MainWindowTest)
#include "MainWindowTest.moc"
