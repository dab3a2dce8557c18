// Start-up: the Prices page built, filled from the embedded snapshot and shown, against the
// reference of an empty Qt Widgets window shown (both offscreen, in this process).
// The Prices table with 100,000 offers: one filter change / keystroke (setFilter → proxy re-filter
// and re-sort by spot price), against the reference of Qt's own QSortFilterProxyModel doing the
// same search through data() (setFilterFixedString over every column).
// What the user sees (issue 3's target, < 20 ms): the shown Prices page with 100,000 offers, one real
// key press in its search field or one filter combo change, until the table has been repainted.
//   build/release/tests/bench/PricesFilterBench
#include <benchmark/benchmark.h>

#include <QApplication>
#include <QComboBox>
#include <QLineEdit>
#include <QTableView>
#include <QStandardPaths>
#include <QTest>
#include <QWidget>
#include <QSortFilterProxyModel>

#include <memory>

#include "core/pricing/Snapshot.h"
#include "ui/models/OfferTableModel.h"
#include "ui/prices/OfferFilterProxy.h"
#include "ui/prices/PricesPage.h"
#include "ui/prices/RefreshController.h"

namespace {

using spotwise::ui::OfferFilter;
using spotwise::ui::OfferFilterProxy;
using spotwise::ui::OfferTableModel;

/** 100,000 offers: the embedded snapshot's offers repeated over made-up zones with varied prices. */
std::vector<spotwise::pricing::Offer> hundredThousandOffers() {
  const auto snapshot = spotwise::pricing::embeddedSnapshot();
  std::vector<spotwise::pricing::Offer> offers;
  offers.reserve(100000);
  for (std::size_t i = 0; offers.size() < 100000; ++i) {
    auto o = snapshot->offers[i % snapshot->offers.size()];
    o.zone = "zone-" + std::to_string(i / snapshot->offers.size());
    if (o.spot) o.spot->usdPerHour *= 1.0 + static_cast<double>(i % 97) / 1000.0;
    offers.push_back(std::move(o));
  }
  return offers;
}

const char* const kKeystrokes[] = {"h", "h1", "h10", "h100", "h10", "h1", "h", "", "a", "a1", "a10", "a100", "a10", "a1", "a", ""};

void BM_OfferFilterProxyKeystroke(benchmark::State& state) {
  OfferTableModel model;
  model.setOffers(hundredThousandOffers());
  OfferFilterProxy proxy(&model);
  proxy.sort(OfferTableModel::SpotColumn);
  std::size_t i = 0;
  for (auto _ : state) {
    OfferFilter filter;
    filter.search = QString::fromLatin1(kKeystrokes[i++ % std::size(kKeystrokes)]);
    proxy.setFilter(filter);
    benchmark::DoNotOptimize(proxy.rowCount());
  }
  state.counters["offers"] = static_cast<double>(model.rowCount());
}

/** The search string typed, then erased, one key at a time: h, h1, h10, h100, h10, …, a100, …, "". */
const int kKeys[] = {Qt::Key_H, Qt::Key_1, Qt::Key_0, Qt::Key_0, Qt::Key_Backspace, Qt::Key_Backspace, Qt::Key_Backspace, Qt::Key_Backspace,
                     Qt::Key_A, Qt::Key_1, Qt::Key_0, Qt::Key_0, Qt::Key_Backspace, Qt::Key_Backspace, Qt::Key_Backspace, Qt::Key_Backspace};

/** A shown Prices page holding 100,000 offers (the bench's catalog), sorted by spot price as at start. */
std::unique_ptr<spotwise::ui::PricesPage> shownPageWithHundredThousandOffers() {
  auto page = std::make_unique<spotwise::ui::PricesPage>();
  page->resize(1200, 720);
  auto snapshot = spotwise::pricing::embeddedSnapshot();
  snapshot->offers = hundredThousandOffers();
  page->setSnapshot(*snapshot);
  page->show();
  benchmark::DoNotOptimize(QTest::qWaitForWindowExposed(page.get()));
  page->refreshController()->wait();
  QCoreApplication::processEvents();
  return page;
}

/** Delivers what the change posted (layout, the table's repaint) before the clock stops. */
void repaintNow(spotwise::ui::PricesPage& page) {
  QCoreApplication::processEvents();
  page.findChild<QTableView*>(QStringLiteral("offersTableView"))->viewport()->repaint();
}

void BM_PricesPageKeystroke(benchmark::State& state) {
  auto page = shownPageWithHundredThousandOffers();
  auto* search = page->findChild<QLineEdit*>(QStringLiteral("searchLineEdit"));
  search->setFocus();
  std::size_t i = 0;
  for (auto _ : state) {
    QTest::keyClick(search, static_cast<Qt::Key>(kKeys[i++ % std::size(kKeys)]));
    repaintNow(*page);
  }
  state.counters["offers"] = static_cast<double>(page->model()->rowCount());
  state.counters["shown"] = static_cast<double>(page->proxy()->rowCount());
}

void BM_PricesPageFilterChange(benchmark::State& state) {
  auto page = shownPageWithHundredThousandOffers();
  auto* gpu = page->findChild<QComboBox*>(QStringLiteral("gpuComboBox"));
  int i = 0;
  for (auto _ : state) {
    gpu->setCurrentIndex(i++ % gpu->count());  // All GPUs, then each model in turn
    repaintNow(*page);
  }
  state.counters["offers"] = static_cast<double>(page->model()->rowCount());
}

void BM_QtFixedStringFilter_Reference(benchmark::State& state) {
  OfferTableModel model;
  model.setOffers(hundredThousandOffers());
  QSortFilterProxyModel proxy;
  proxy.setSourceModel(&model);
  proxy.setSortRole(OfferTableModel::kSortRole);
  proxy.setFilterCaseSensitivity(Qt::CaseInsensitive);
  proxy.setFilterKeyColumn(-1);
  proxy.sort(OfferTableModel::SpotColumn);
  std::size_t i = 0;
  for (auto _ : state) {
    proxy.setFilterFixedString(QString::fromLatin1(kKeystrokes[i++ % std::size(kKeystrokes)]));
    benchmark::DoNotOptimize(proxy.rowCount());
  }
  state.counters["offers"] = static_cast<double>(model.rowCount());
}

void BM_PricesPageFirstShow(benchmark::State& state) {
  for (auto _ : state) {
    spotwise::ui::PricesPage page;
    page.resize(1200, 720);
    auto snapshot = spotwise::pricing::embeddedSnapshot();
    page.setSnapshot(*snapshot);
    page.show();
    benchmark::DoNotOptimize(QTest::qWaitForWindowExposed(&page));
    QCoreApplication::processEvents();
    page.refreshController()->wait();
  }
}

void BM_EmptyWindowFirstShow_Reference(benchmark::State& state) {
  for (auto _ : state) {
    QWidget window;
    window.resize(1200, 720);
    window.show();
    benchmark::DoNotOptimize(QTest::qWaitForWindowExposed(&window));
    QCoreApplication::processEvents();
  }
}

BENCHMARK(BM_PricesPageFirstShow)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_EmptyWindowFirstShow_Reference)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_PricesPageKeystroke)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_PricesPageFilterChange)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_OfferFilterProxyKeystroke)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_QtFixedStringFilter_Reference)->Unit(benchmark::kMillisecond)->Iterations(16);

}  // namespace

int main(int argc, char** argv) {
  QStandardPaths::setTestModeEnabled(true);  // the page's price history goes to a test folder
  QApplication app(argc, argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
