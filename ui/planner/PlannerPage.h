#pragma once

#include <memory>

#include <QFutureWatcher>
#include <QHash>
#include <QWidget>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/planner/Planner.h"
#include "core/pricing/Offer.h"

class QBarSeries;
class QCheckBox;
class QChartView;
class QComboBox;
class QLabel;
class QLineEdit;
class QLineSeries;
class QPushButton;
class QScatterSeries;
class QSpinBox;
class QTableView;
class QThreadPool;
class QTimer;
class QToolButton;

namespace spotwise::ui {

class PlanTableModel;
struct LedgerHistory;

/** What planning one offer gave: a plan, or why the offer was left out. Default-constructible for QFuture. */
struct PlanOutcome {
  std::optional<planner::OfferPlan> plan;
  pricing::Offer offer;
  std::string error;
  bool skipped = false;  ///< the offer cannot be planned (its reason in `error`); otherwise a bad request
};

/**
 * The Planner page: the inputs form with inline validation, the ranking per offer (expected and P90 cost and
 * time, savings against on-demand, recommended checkpoint interval), the expected cost against the checkpoint
 * interval of the selected offer with its optimum, and P50/P90 cost per provider next to on-demand.
 * Planning runs off the GUI thread (QtConcurrent, one task per offer); rows appear as offers finish.
 */
class PlannerPage : public QWidget {
  Q_OBJECT

 public:
  explicit PlannerPage(QWidget* parent = nullptr);
  ~PlannerPage() override;

  /**
   * The job ledger whose spot attempts teach each offer's preemption rate (default: the shared ledger,
   * jobs::defaultLedgerPath()). It is read off the GUI thread at each plan; a missing file means no history.
   */
  void setLedgerPath(const QString& path);

  /** The catalog to plan from (all offers; the form picks the GPU model and count). */
  void setOffers(std::vector<pricing::Offer> offers);

  /**
   * Reads the form; shows every problem next to its field and returns false, or starts planning in the
   * background (cancelling a plan in progress) and returns true.
   */
  bool startPlanning();
  /** True from startPlanning() until the last offer's result has been shown. */
  [[nodiscard]] bool isPlanning() const { return m_planning; }

  [[nodiscard]] PlanTableModel* model() const { return m_model; }
  [[nodiscard]] QLineSeries* intervalCurve() const { return m_curve; }
  [[nodiscard]] QScatterSeries* optimumMarker() const { return m_optimum; }
  [[nodiscard]] QScatterSeries* recommendedMarker() const { return m_recommended; }
  [[nodiscard]] QBarSeries* providerBars() const { return m_bars; }

 public Q_SLOTS:
  /** Asks to open the launch form for the selected result (Launch…, the table's context menu). */
  void launchSelectedPlan();

 Q_SIGNALS:
  /** Every offer of the current plan has been planned (or left out). */
  void planningFinished();
  /** The user wants to launch the offer of `plan`, which was planned with `request` (work, checkpoint, risk, ...). */
  void launchRequested(const spotwise::planner::OfferPlan& plan, const spotwise::planner::PlanRequest& request);

 private:
  void buildForm(QWidget* form);
  void updateGpuCounts();
  void updateWorkUnit();
  void clearErrors();
  void showError(planner::PlanField field, const QString& message);
  std::optional<planner::PlanRequest> readForm();
  void showResults(int begin, int end);
  void finishPlanning();
  void showIntervalChart(const planner::OfferPlan* plan);
  void updateProviderChart();
  void updateCharts();
  void selectRow(int row);
  void updateStatus();
  void updateLaunchButton();

  std::vector<pricing::Offer> m_offers;
  std::optional<planner::PlanRequest> m_planned;  ///< the request behind the results shown
  PlanTableModel* m_model;
  QFutureWatcher<PlanOutcome>* m_watcher;
  /// The planner's own threads: Qt paints with the global pool's threads, which must stay free for the GUI.
  QThreadPool* m_pool;
  bool m_planning = false;
  bool m_userPickedRow = false;   ///< until the user picks a row, the cheapest offer stays selected
  bool m_selectingRow = false;
  QTimer* m_chartTimer;           ///< coalesces chart redraws while results stream in
  int m_expected = 0;
  int m_done = 0;
  QStringList m_skipped;
  std::map<std::string, double> m_offerOverrides;  ///< rates the user set for single offers, by offerKey()
  QString m_ledgerPath;
  std::shared_ptr<LedgerHistory> m_history;  ///< of the plan in progress: loaded once, by the first worker

  QComboBox* m_gpu = nullptr;
  QComboBox* m_gpuCount = nullptr;
  QComboBox* m_workUnit = nullptr;
  QLineEdit* m_work = nullptr;
  QLineEdit* m_steps = nullptr;
  QLineEdit* m_secondsPerStep = nullptr;
  QLineEdit* m_checkpoint = nullptr;
  QLineEdit* m_restart = nullptr;
  QCheckBox* m_driverAtBoot = nullptr;
  QLineEdit* m_interval = nullptr;
  QComboBox* m_risk = nullptr;
  QLineEdit* m_rate = nullptr;
  QCheckBox* m_preemptible = nullptr;
  QCheckBox* m_fallback = nullptr;
  QSpinBox* m_fallbackAfter = nullptr;
  QLineEdit* m_deadline = nullptr;
  QLineEdit* m_budget = nullptr;
  QSpinBox* m_runs = nullptr;
  QCheckBox* m_useHistory = nullptr;
  QLabel* m_historyLabel = nullptr;
  QHash<int, QLabel*> m_errorLabels;  ///< by planner::PlanField
  QLabel* m_gpuError = nullptr;
  QPushButton* m_planButton = nullptr;
  QPushButton* m_launchButton = nullptr;
  QToolButton* m_helpButton = nullptr;
  QLabel* m_help = nullptr;
  QLabel* m_status = nullptr;
  QTableView* m_table = nullptr;
  QChartView* m_intervalView = nullptr;
  QChartView* m_providerView = nullptr;
  QLineSeries* m_curve = nullptr;
  QScatterSeries* m_optimum = nullptr;
  QScatterSeries* m_recommended = nullptr;
  QBarSeries* m_bars = nullptr;
};

}  // namespace spotwise::ui
