// The main window, driven offscreen as a user would: the Prices table, sorting by header clicks,
// page switching, window geometry that survives a restart, and what is built before the first frame
// (the real app's --exit-when-shown included).
#include <QAction>
#include <QCoreApplication>
#include <QDir>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProcess>
#include <QSignalSpy>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTableView>

#include "TestSupport.h"
#include "core/pricing/Snapshot.h"
#include "ui/mainwindow/MainWindow.h"
#include "ui/jobs/JobsPage.h"
#include "ui/models/OfferTableModel.h"
#include "ui/prices/PriceCharts.h"
#include "ui/prices/PricesPage.h"

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
    QVERIFY(!search->isClearButtonEnabled());  // its icon is loaded with the first text, not at start-up
    QTest::keyClicks(search, QStringLiteral("ND96isr"));
    QVERIFY(search->isClearButtonEnabled());
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

  void onlyTheFirstFrameIsBuiltBeforeItIsShown() {
    using spotwise::ui::JobsPage;
    using spotwise::ui::PriceCharts;
    MainWindow window;
    QVERIFY(!window.findChild<PriceCharts*>());
    QVERIFY(!window.findChild<JobsPage*>());
    QSignalSpy firstFrame(&window, &MainWindow::firstFrameShown);
    int rowsAtFirstFrame = -1;
    bool chartsAtFirstFrame = true;
    bool tablePainted = false;
    connect(&window, &MainWindow::firstFrameShown, this, [&] {
      rowsAtFirstFrame = window.pricesPage()->model()->rowCount();
      chartsAtFirstFrame = window.findChild<PriceCharts*>() != nullptr;
      tablePainted = !window.pricesPage()->offersView()->viewport()->visibleRegion().isEmpty();
    });
    window.show();
    QVERIFY(firstFrame.wait(5000));
    QVERIFY(rowsAtFirstFrame > 0);
    QVERIFY(tablePainted);
    QVERIFY(!chartsAtFirstFrame);
    // The charts follow on the next turn of the event loop, in the table's splitter, filled.
    QTRY_VERIFY(window.findChild<PriceCharts*>());
    auto* charts = window.findChild<PriceCharts*>();
    QTRY_VERIFY(charts->isVisible());
    QCOMPARE(window.pricesPage()->charts(), charts);
    auto* splitter = qobject_cast<QSplitter*>(charts->parentWidget());
    QVERIFY(splitter);
    QCOMPARE(splitter->count(), 2);  // the table and the charts, in place of the placeholder
    QCOMPARE(splitter->widget(0), static_cast<QWidget*>(window.pricesPage()->offersView()));
    QCOMPARE(splitter->widget(1), static_cast<QWidget*>(charts));
    // The Jobs page waits for supervision to start (the app does that after the first frame) or to be shown.
    QVERIFY(!window.findChild<JobsPage*>());
    window.showPage(MainWindow::JobsPageIndex);
    QVERIFY(window.findChild<JobsPage*>());
    QVERIFY(window.findChild<JobsPage*>()->isVisible());
    QCOMPARE(window.jobsPage(), window.findChild<JobsPage*>());
    // Later frames do not announce themselves again.
    window.showPage(MainWindow::PricesPageIndex);
    window.pricesPage()->offersView()->viewport()->repaint();
    QCoreApplication::processEvents();
    QCOMPARE(firstFrame.count(), 1);
  }

  void theFirstFrameIsAnnouncedWhicheverPageItShows() {
    // Restored on the Jobs page, the first frame is that page's (and supervision then starts from it).
    QSettings().setValue(QStringLiteral("mainWindow/page"), int(MainWindow::JobsPageIndex));
    MainWindow window;
    QCOMPARE(window.currentPage(), MainWindow::JobsPageIndex);
    QSignalSpy firstFrame(&window, &MainWindow::firstFrameShown);
    window.show();
    QVERIFY(firstFrame.wait(5000));
    QVERIFY(window.findChild<spotwise::ui::JobsPage*>()->isVisible());
    QVERIFY(window.pricesPage()->model()->rowCount() > 0);
  }

  void theAppQuitsAfterAFilledFirstFrameWhenAsked() {
    // The real app, as StartupBench starts it: exits 0 only once the table was painted with rows.
    QProcess app;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    const QString home = QDir::temp().absoluteFilePath(QStringLiteral("spotwise-mainwindowtest-%1").arg(QCoreApplication::applicationPid()));
    for (const char* var : {"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"}) {
      QDir().mkpath(home + QLatin1Char('/') + QLatin1String(var));
      env.insert(QLatin1String(var), home + QLatin1Char('/') + QLatin1String(var));
    }
    app.setProcessEnvironment(env);
    app.start(qEnvironmentVariable("SPOTWISE_BINARY_DIR") + QStringLiteral("/app/spotwise"), {QStringLiteral("--exit-when-shown")});
    QVERIFY2(app.waitForFinished(30000), qPrintable(app.errorString()));
    QCOMPARE(app.exitStatus(), QProcess::NormalExit);
    QCOMPARE(app.exitCode(), 0);
    QDir(home).removeRecursively();
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
