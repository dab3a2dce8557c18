#include "ui/prices/PriceCharts.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QDateTimeAxis>
#include <QGraphicsSimpleTextItem>
#include <QHBoxLayout>
#include <QHorizontalBarSeries>
#include <QLabel>
#include <QLineSeries>
#include <QPushButton>
#include <QTabWidget>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "ui/models/QtConvert.h"

namespace spotwise::ui {

namespace {

QChartView* viewFor(QChart* chart, QWidget* parent, const QString& name) {
  auto* view = new QChartView(chart, parent);
  view->setObjectName(name);
  view->setRenderHint(QPainter::Antialiasing);
  view->setMinimumHeight(260);
  return view;
}

void resetValueAxis(QChart* chart, Qt::Orientation orientation, double max, const QString& title) {
  for (auto* axis : chart->axes(orientation)) {
    if (auto* value = qobject_cast<QValueAxis*>(axis)) {
      value->setRange(0, max > 0 ? max * 1.15 : 1.0);
      value->setTitleText(title);
    }
  }
}

}  // namespace

PriceCharts::PriceCharts(QWidget* parent)
    : QWidget(parent),
      m_compareChart(new QChart),
      m_compareSeries(new QBarSeries),
      m_onDemandSet(new QBarSet(tr("On-demand"))),
      m_spotSet(new QBarSet(tr("Spot"))),
      m_compareAxis(new QBarCategoryAxis),
      m_savingsChart(new QChart),
      m_savingsSeries(new QHorizontalBarSeries),
      m_savingsSet(new QBarSet(tr("Savings %"))),
      m_savingsAxis(new QBarCategoryAxis),
      m_historyChart(new QChart),
      m_historyOnDemand(new QLineSeries),
      m_historySpot(new QLineSeries),
      m_historyAwsRecord(new QLineSeries),
      m_awsRecordButton(new QPushButton(tr("Load AWS spot history (90 days)"))),
      m_awsRecordStatus(new QLabel) {
  setObjectName(QStringLiteral("priceCharts"));
  m_compareSeries->append(m_onDemandSet);
  m_compareSeries->append(m_spotSet);
  // The series' own labels would print a missing price's empty bar as "$0": the chart draws its own
  // (positionComparisonLabels), one per present price. No border: an empty bar leaves no line either.
  m_compareSeries->setLabelsVisible(false);
  for (auto* set : {m_onDemandSet, m_spotSet}) set->setPen(Qt::NoPen);
  m_compareChart->addSeries(m_compareSeries);
  m_compareChart->addAxis(m_compareAxis, Qt::AlignBottom);
  auto* compareValue = new QValueAxis;
  compareValue->setLabelFormat(QStringLiteral("$%.2f"));
  m_compareChart->addAxis(compareValue, Qt::AlignLeft);
  m_compareSeries->attachAxis(m_compareAxis);
  m_compareSeries->attachAxis(compareValue);
  m_compareChart->legend()->setAlignment(Qt::AlignBottom);
  connect(m_compareChart, &QChart::plotAreaChanged, this, &PriceCharts::positionComparisonLabels);

  m_savingsSeries->append(m_savingsSet);
  m_savingsSeries->setLabelsVisible(true);
  m_savingsSeries->setLabelsFormat(QStringLiteral("@value %"));
  m_savingsChart->addSeries(m_savingsSeries);
  m_savingsChart->addAxis(m_savingsAxis, Qt::AlignLeft);
  auto* savingsValue = new QValueAxis;
  savingsValue->setLabelFormat(QStringLiteral("%.0f %"));
  m_savingsChart->addAxis(savingsValue, Qt::AlignBottom);
  m_savingsSeries->attachAxis(m_savingsAxis);
  m_savingsSeries->attachAxis(savingsValue);
  m_savingsChart->legend()->hide();
  m_savingsChart->setTitle(tr("Top spot savings among the shown offers"));

  m_historyOnDemand->setName(tr("On-demand"));
  m_historySpot->setName(tr("Spot"));
  m_historyAwsRecord->setName(tr("Spot, AWS's record"));
  m_historyChart->addSeries(m_historyOnDemand);
  m_historyChart->addSeries(m_historySpot);
  m_historyChart->addSeries(m_historyAwsRecord);
  auto* dateAxis = new QDateTimeAxis;
  dateAxis->setFormat(QStringLiteral("yyyy-MM-dd HH:mm"));
  dateAxis->setTitleText(tr("Date (UTC)"));
  m_historyChart->addAxis(dateAxis, Qt::AlignBottom);
  auto* historyValue = new QValueAxis;
  historyValue->setLabelFormat(QStringLiteral("$%.4f"));  // spot prices have four decimals
  m_historyChart->addAxis(historyValue, Qt::AlignLeft);
  for (auto* s : {m_historyOnDemand, m_historySpot, m_historyAwsRecord}) {
    s->setPointsVisible(s != m_historyAwsRecord);  // the record is a step line: its corners are not samples
    s->attachAxis(dateAxis);
    s->attachAxis(historyValue);
  }
  m_historyChart->setTitle(tr("Price history: select an offer"));

  auto* tabs = new QTabWidget(this);
  tabs->setObjectName(QStringLiteral("chartTabs"));
  tabs->addTab(viewFor(m_compareChart, tabs, QStringLiteral("compareChartView")), tr("Cheapest per provider"));
  // The other two views (a graphics scene each) are made when their tab is first shown: not at start-up.
  auto* savingsTab = new QWidget(tabs);
  auto* historyTab = new QWidget(tabs);
  for (auto* tab : {savingsTab, historyTab}) {
    auto* tabLayout = new QVBoxLayout(tab);
    tabLayout->setContentsMargins(0, 0, 0, 0);
    tab->setMinimumHeight(260);
  }
  // Under the History chart: AWS's own record of the offer's spot price, fetched only when asked.
  m_awsRecordButton->setObjectName(QStringLiteral("awsSpotRecordButton"));
  m_awsRecordButton->setToolTip(tr("Ask EC2 (DescribeSpotPriceHistory, with your AWS credentials) for this offer's spot "
                                   "price over the last 90 days. The call is free."));
  m_awsRecordButton->setEnabled(false);
  m_awsRecordStatus->setObjectName(QStringLiteral("awsSpotRecordStatus"));
  m_awsRecordStatus->setWordWrap(true);
  connect(m_awsRecordButton, &QPushButton::clicked, this, &PriceCharts::awsSpotRecordRequested);
  auto* recordRow = new QHBoxLayout;
  recordRow->setContentsMargins(6, 0, 6, 4);
  recordRow->addWidget(m_awsRecordButton);
  recordRow->addWidget(m_awsRecordStatus, 1);
  static_cast<QVBoxLayout*>(historyTab->layout())->addLayout(recordRow);
  tabs->addTab(savingsTab, tr("Savings"));
  tabs->addTab(historyTab, tr("History"));
  connect(tabs, &QTabWidget::currentChanged, this, [this, savingsTab, historyTab](int index) {
    if (index == 1 && !m_savingsView) {
      m_savingsView = viewFor(m_savingsChart, savingsTab, QStringLiteral("savingsChartView"));
      savingsTab->layout()->addWidget(m_savingsView);
    } else if (index == 2 && !m_historyView) {
      m_historyView = viewFor(m_historyChart, historyTab, QStringLiteral("historyChartView"));
      m_historyView->setMinimumHeight(200);  // room for the AWS record's row under it
      static_cast<QVBoxLayout*>(historyTab->layout())->insertWidget(0, m_historyView, 1);
    }
  });
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(tabs);
}

PriceCharts::~PriceCharts() {
  // A chart whose view was never made has no owner but this widget.
  if (!m_savingsView) delete m_savingsChart;
  if (!m_historyView) delete m_historyChart;
}

QStringList PriceCharts::comparisonCategories() const { return m_compareAxis->categories(); }
QStringList PriceCharts::savingsCategories() const { return m_savingsAxis->categories(); }

void PriceCharts::setComparison(const std::vector<pricing::Offer>& offers, const QString& gpuModel, int gpuCount) {
  const auto cheapest = pricing::cheapestByProvider(offers, gpuModel.toStdString(), gpuCount);
  m_onDemandSet->remove(0, m_onDemandSet->count());
  m_spotSet->remove(0, m_spotSet->count());
  for (auto& [onDemand, spot] : m_compareLabels) {
    delete onDemand;
    delete spot;
  }
  m_compareLabels.clear();
  QStringList categories;
  double max = 0;
  const auto valueLabel = [this](const std::optional<double>& usd) -> QGraphicsSimpleTextItem* {
    if (!usd) return nullptr;
    auto* label = new QGraphicsSimpleTextItem(QStringLiteral("$%1").arg(*usd, 0, 'f', 2), m_compareChart);
    label->setBrush(m_compareAxis->labelsBrush());  // the theme's text colour
    label->setFont(m_compareAxis->labelsFont());
    return label;
  };
  for (const auto& c : cheapest) {
    const auto savings = c.savingsPercent();
    QString label = toQString(pricing::providerDisplayName(c.provider));
    if (savings) label += tr(" (−%1 %)").arg(*savings, 0, 'f', 0);
    // A missing price has no bar (a bar set needs a value: 0, not drawn, without a label) and the
    // category label says which is missing; it is never shown as $0. With no GPU model chosen there is
    // nothing to compare yet: the providers' names alone.
    if (!gpuModel.isEmpty()) {
      if (!c.onDemandUsd && !c.spotUsd) label += tr(" (no offer)");
      else if (!c.spotUsd) label += tr(" (no spot)");
      else if (!c.onDemandUsd) label += tr(" (no on-demand)");
    }
    categories << label;
    m_onDemandSet->append(c.onDemandUsd.value_or(0));
    m_spotSet->append(c.spotUsd.value_or(0));
    m_compareLabels.emplace_back(valueLabel(c.onDemandUsd), valueLabel(c.spotUsd));
    max = std::max({max, c.onDemandUsd.value_or(0), c.spotUsd.value_or(0)});
  }
  m_compareAxis->clear();
  m_compareAxis->append(categories);
  resetValueAxis(m_compareChart, Qt::Vertical, max, tr("$/h"));
  positionComparisonLabels();
  m_compareChart->setTitle(gpuModel.isEmpty() ? tr("Choose a GPU model to compare providers")
                                              : tr("Cheapest %1 × %2: on-demand vs spot").arg(gpuCount).arg(gpuModel));
}

void PriceCharts::positionComparisonLabels() {
  // Grouped bars: category i spans i ± barWidth/2 on the category axis, its sets side by side.
  const qreal group = m_compareSeries->barWidth();
  const qreal sets = m_compareSeries->count();
  for (std::size_t i = 0; i < m_compareLabels.size(); ++i) {
    const auto [onDemand, spot] = m_compareLabels[i];
    for (int set = 0; set < 2; ++set) {
      QGraphicsSimpleTextItem* label = set == 0 ? onDemand : spot;
      if (!label) continue;
      const qreal value = (set == 0 ? m_onDemandSet : m_spotSet)->at(static_cast<int>(i));
      const qreal x = static_cast<qreal>(i) - group / 2 + group / sets * (set + 0.5);
      const QPointF top = m_compareChart->mapToPosition(QPointF(x, value), m_compareSeries);
      const QRectF box = label->boundingRect();
      label->setPos(top.x() - box.width() / 2, top.y() - box.height() - 2);
    }
  }
}

void PriceCharts::setSavings(const std::vector<pricing::Offer>& offers) { showSavings(pricing::topSavings(offers, 20)); }

void PriceCharts::setSavings(const std::vector<const pricing::Offer*>& offers) { showSavings(pricing::topSavings(offers, 20)); }

void PriceCharts::showSavings(const std::vector<pricing::Offer>& top) {
  m_savingsSet->remove(0, m_savingsSet->count());
  QStringList savingsLabels;
  // Bottom-to-top in a horizontal bar chart: append the best last so it is drawn on top.
  for (auto it = top.rbegin(); it != top.rend(); ++it) {
    QString label = QStringLiteral("%1 %2 %3").arg(toQString(pricing::providerId(it->provider)), toQString(it->instanceType), toQString(it->region));
    if (!it->zone.empty()) label += QStringLiteral(" (%1)").arg(toQString(it->zone));
    while (savingsLabels.contains(label)) label += QLatin1Char(' ');  // categories must be unique
    savingsLabels << label;
    m_savingsSet->append(std::round(*it->savingsPercent() * 10) / 10);
  }
  m_savingsAxis->clear();
  m_savingsAxis->append(savingsLabels);
  resetValueAxis(m_savingsChart, Qt::Horizontal, 100, tr("savings vs on-demand"));
}

void PriceCharts::setHistory(const QString& title, const pricing::OfferHistory& onDemand, const pricing::OfferHistory& spot,
                             bool awsRecordAvailable) {
  auto fill = [](QLineSeries* series, const pricing::OfferHistory& history) {
    QList<QPointF> xy;
    for (const auto& p : history.points) xy << QPointF(static_cast<double>(p.fetchedUnix) * 1000.0, p.usdPerHour);
    series->replace(xy);
  };
  fill(m_historyOnDemand, onDemand);
  fill(m_historySpot, spot);
  // A zone offer's price that is stored only for its whole region (AWS on-demand is) is drawn, and named so.
  m_historyOnDemand->setName(onDemand.regionLevel ? tr("On-demand (whole region)") : tr("On-demand"));
  m_historySpot->setName(spot.regionLevel ? tr("Spot (whole region)") : tr("Spot"));
  m_historyAwsRecord->clear();
  fitHistoryAxes();
  m_historyChart->setTitle(onDemand.points.empty() && spot.points.empty()
                               ? tr("%1: no recorded history yet (refresh to record prices)").arg(title)
                               : tr("Price history: %1").arg(title));
  setAwsSpotRecordStatus(awsRecordAvailable ? QString() : tr("AWS's own record is for AWS offers."), awsRecordAvailable);
}

void PriceCharts::setAwsSpotRecord(const std::vector<pricing::HistoryPoint>& changes, std::int64_t sinceUnix, std::int64_t nowUnix) {
  QList<QPointF> steps;
  for (const auto& p : changes) {
    const double x = static_cast<double>(std::max(p.asOfUnix, sinceUnix)) * 1000.0;
    if (!steps.isEmpty()) steps << QPointF(x, steps.back().y());  // the previous price holds until this change
    steps << QPointF(x, p.usdPerHour);
  }
  if (!steps.isEmpty() && static_cast<double>(nowUnix) * 1000.0 > steps.back().x()) {
    steps << QPointF(static_cast<double>(nowUnix) * 1000.0, steps.back().y());
  }
  m_historyAwsRecord->replace(steps);
  fitHistoryAxes();
  if (!steps.isEmpty() && m_historyChart->title().contains(tr("no recorded history yet"))) {
    m_historyChart->setTitle(m_historyChart->title().replace(tr("no recorded history yet (refresh to record prices)"), tr("AWS's record")));
  }
}

void PriceCharts::setAwsSpotRecordStatus(const QString& text, bool buttonEnabled) {
  m_awsRecordStatus->setText(text);
  m_awsRecordButton->setEnabled(buttonEnabled);
}

void PriceCharts::fitHistoryAxes() {
  double max = 0;
  double first = 0, last = 0;
  for (const auto* series : {m_historyOnDemand, m_historySpot, m_historyAwsRecord}) {
    for (const QPointF& p : series->points()) {
      max = std::max(max, p.y());
      first = first == 0 ? p.x() : std::min(first, p.x());
      last = std::max(last, p.x());
    }
  }
  for (auto* axis : m_historyChart->axes(Qt::Horizontal)) {
    if (auto* dates = qobject_cast<QDateTimeAxis*>(axis)) {
      const auto from = toDateTime(first != 0 ? static_cast<std::int64_t>(first / 1000.0) - 3600 : QDateTime::currentSecsSinceEpoch() - 86400);
      const auto to = toDateTime(last != 0 ? static_cast<std::int64_t>(last / 1000.0) + 3600 : QDateTime::currentSecsSinceEpoch());
      dates->setRange(from, to);
    }
  }
  resetValueAxis(m_historyChart, Qt::Vertical, max, tr("$/h"));
}

}  // namespace spotwise::ui
