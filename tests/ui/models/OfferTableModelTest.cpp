#include <QAbstractItemModelTester>
#include <QSortFilterProxyModel>

#include "TestSupport.h"
#include "core/pricing/Snapshot.h"
#include "ui/models/OfferTableModel.h"

using namespace spotwise;
using spotwise::ui::OfferTableModel;

class OfferTableModelTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void modelIsConsistent() {
    OfferTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto snapshot = pricing::embeddedSnapshot();
    QVERIFY(snapshot);
    model.setOffers(snapshot->offers);
    QCOMPARE(model.rowCount(), static_cast<int>(snapshot->offers.size()));
    QCOMPARE(model.columnCount(), static_cast<int>(OfferTableModel::ColumnCount));
  }

  void missingPricesSortAfterPresentOnes() {
    pricing::Offer a, b, c;
    for (auto* o : {&a, &b, &c}) {
      o->gpuModel = "T4";
      o->gpuCount = 1;
      o->region = "r";
      o->instanceType = "t";
    }
    a.spot = pricing::Price{0.30, "s", 0};
    b.onDemand = pricing::Price{0.50, "s", 0};  // no spot price
    c.spot = pricing::Price{0.10, "s", 0};
    c.onDemand = pricing::Price{0.50, "s", 0};
    OfferTableModel model;
    model.setOffers({a, b, c});
    QSortFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.setSortRole(OfferTableModel::kSortRole);
    proxy.sort(OfferTableModel::SpotColumn, Qt::AscendingOrder);
    QCOMPARE(proxy.index(0, OfferTableModel::SpotColumn).data().toString(), QStringLiteral("$0.1000"));
    QCOMPARE(proxy.index(1, OfferTableModel::SpotColumn).data().toString(), QStringLiteral("$0.3000"));
    QCOMPARE(proxy.index(2, OfferTableModel::SpotColumn).data().toString(), QStringLiteral("—"));
    QCOMPARE(proxy.index(0, OfferTableModel::SavingsColumn).data().toString(), QStringLiteral("80.0 %"));
    QCOMPARE(proxy.index(2, OfferTableModel::SavingsColumn).data().toString(), QStringLiteral("—"));
    QCOMPARE(proxy.index(0, OfferTableModel::GpuColumn).data().toString(), QStringLiteral("1 × T4"));
  }
};

QTEST_MAIN(OfferTableModelTest)
#include "OfferTableModelTest.moc"
