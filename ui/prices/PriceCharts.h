#pragma once

#include <QWidget>

#include <utility>
#include <vector>

#include "core/pricing/Comparison.h"
#include "core/pricing/Offer.h"
#include "core/pricing/PriceHistory.h"

class QBarSeries;
class QBarSet;
class QBarCategoryAxis;
class QChart;
class QChartView;
class QGraphicsSimpleTextItem;
class QHorizontalBarSeries;
class QLineSeries;
class QLabel;
class QPushButton;

namespace spotwise::ui {

/**
 * The Prices page's charts: cheapest on-demand vs spot per provider for one GPU configuration
 * (grouped bars, savings % in the category labels), the top savings across the shown offers, and
 * one offer's recorded price history on a date axis, with, on request, AWS's own record of that
 * offer's spot price (DescribeSpotPriceHistory, about 90 days) drawn as steps. The charts hold their
 * data from the start; the views of the Savings and History tabs are made when those tabs are first shown.
 */
class PriceCharts : public QWidget {
  Q_OBJECT

 public:
  explicit PriceCharts(QWidget* parent = nullptr);
  ~PriceCharts() override;

  /** Redraws the cheapest on-demand vs spot per provider among `offers` of `gpuModel` × `gpuCount`. */
  void setComparison(const std::vector<pricing::Offer>& offers, const QString& gpuModel, int gpuCount);
  /** Redraws the top 20 savings among `offers`. */
  void setSavings(const std::vector<pricing::Offer>& offers);
  /** The same over offers held elsewhere (the page's shown rows), without copying them. */
  void setSavings(const std::vector<const pricing::Offer*>& offers);
  /**
   * Draws the price history of one offer (on-demand and spot series; either may be empty). A series
   * that is its region's, for a zone offer (OfferHistory::regionLevel), says so in the legend. The AWS
   * record series is cleared, and its button enabled when `awsRecordAvailable` (an AWS offer).
   */
  void setHistory(const QString& title, const pricing::OfferHistory& onDemand, const pricing::OfferHistory& spot,
                  bool awsRecordAvailable = false);
  /**
   * Draws AWS's record of the offer's spot price from `sinceUnix` to `nowUnix`: `changes` (oldest first)
   * as steps, each price holding until the next change (the one in effect at `sinceUnix` may be older:
   * it is drawn from `sinceUnix`). The date axis widens to show it.
   */
  void setAwsSpotRecord(const std::vector<pricing::HistoryPoint>& changes, std::int64_t sinceUnix, std::int64_t nowUnix);
  /** A line under the History chart about AWS's record: loading, what was drawn, or why it failed. */
  void setAwsSpotRecordStatus(const QString& text, bool buttonEnabled);

  // For tests and the page: what is drawn.
  [[nodiscard]] QBarSet* onDemandBars() const { return m_onDemandSet; }
  [[nodiscard]] QBarSet* spotBars() const { return m_spotSet; }
  [[nodiscard]] QStringList comparisonCategories() const;
  /**
   * The value labels over the comparison bars, per provider (category): on-demand then spot. A missing
   * price has no bar and no label (nullptr here), never "$0"; its category label names it.
   */
  [[nodiscard]] const std::vector<std::pair<QGraphicsSimpleTextItem*, QGraphicsSimpleTextItem*>>& comparisonLabels() const {
    return m_compareLabels;
  }
  [[nodiscard]] QBarSet* savingsBars() const { return m_savingsSet; }
  [[nodiscard]] QStringList savingsCategories() const;
  [[nodiscard]] QLineSeries* historyOnDemand() const { return m_historyOnDemand; }
  [[nodiscard]] QLineSeries* historySpot() const { return m_historySpot; }
  [[nodiscard]] QLineSeries* historyAwsRecord() const { return m_historyAwsRecord; }
  [[nodiscard]] QPushButton* awsRecordButton() const { return m_awsRecordButton; }
  [[nodiscard]] QLabel* awsRecordStatus() const { return m_awsRecordStatus; }

 Q_SIGNALS:
  /** The user asked for AWS's record of the current offer's spot price (the History tab's button). */
  void awsSpotRecordRequested();

 private:
  void showSavings(const std::vector<pricing::Offer>& top);
  /** Places the comparison's value labels over their bars (after a data or plot area change). */
  void positionComparisonLabels();
  /** Fits the date and price axes to every point of the three history series. */
  void fitHistoryAxes();

  QChart* m_compareChart;
  QBarSeries* m_compareSeries;
  QBarSet* m_onDemandSet;
  QBarSet* m_spotSet;
  QBarCategoryAxis* m_compareAxis;
  /** Per category, the labels of its on-demand and spot bars (nullptr: no price, no bar). Children of m_compareChart. */
  std::vector<std::pair<QGraphicsSimpleTextItem*, QGraphicsSimpleTextItem*>> m_compareLabels;
  QChart* m_savingsChart;
  QHorizontalBarSeries* m_savingsSeries;
  QBarSet* m_savingsSet;
  QBarCategoryAxis* m_savingsAxis;
  QChart* m_historyChart;
  QLineSeries* m_historyOnDemand;
  QLineSeries* m_historySpot;
  QLineSeries* m_historyAwsRecord;
  QPushButton* m_awsRecordButton;
  QLabel* m_awsRecordStatus;
  QChartView* m_savingsView = nullptr;  ///< made on first show of its tab; owns m_savingsChart from then on
  QChartView* m_historyView = nullptr;  ///< made on first show of its tab; owns m_historyChart from then on
};

}  // namespace spotwise::ui
