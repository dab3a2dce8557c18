#pragma once

#include <QDialog>
#include <QFutureWatcher>
#include <QMap>

#include <optional>
#include <vector>

#include "core/agent/CodeBundle.h"
#include "core/jobs/JobSpec.h"
#include "core/planner/Planner.h"
#include "ui/launch/LaunchDefaults.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTimer;

namespace spotwise::ui {

/** What checking a form gave (off the GUI thread): validateJobSpec's errors for one version of the form. */
struct SpecCheck {
  int generation = 0;
  std::vector<jobs::FieldError> errors;
};

/** What the code folder holds after its ignore rules, or why it cannot be packed. */
struct CodeScanOutcome {
  QString folder;
  std::optional<agent::CodeScan> scan;
  QString error;
  bool tooLarge = false;
};

/** The planner's estimate for one version of the form. */
struct EstimateOutcome {
  int generation = 0;
  std::optional<planner::OfferPlan> plan;
  QString error;
  int alternatives = 0;  ///< other offers the simulated job could move to
};

/**
 * The launch form: the offer (spot or on-demand, or rehearsed on this computer with the Local provider at
 * the offer's price), name, code folder with the size that will be uploaded (honouring .gitignore and
 * .spotwiseignore), command, environment, storage, checkpoint interval, signal and grace, recovery policy,
 * budget and maximum runtime; the planner's expected cost, P90 and hours for these settings; every invalid
 * field explained under it, and Launch enabled only when the whole form is valid. Saves and loads the
 * spec as JSON (the file `spotwise-cli launch` reads).
 *
 * Checking the spec (it reads the code folder), scanning the folder and estimating run off the GUI thread,
 * each a short while after the last change; results of an older version of the form are dropped.
 */
class LaunchDialog : public QDialog {
  Q_OBJECT

 public:
  explicit LaunchDialog(const LaunchPrefill& prefill, QWidget* parent = nullptr);
  ~LaunchDialog() override;

  /** The spec the form holds now, valid or not. */
  [[nodiscard]] jobs::JobSpec spec() const;
  /** Fills the form from `spec` (as Load does). */
  void setSpec(const jobs::JobSpec& spec);
  /** Writes spec() as JSON; false with the reason in the status line. */
  bool saveSpec(const QString& path);
  /** Reads a job file into the form; false with the reason in the status line. */
  bool loadSpec(const QString& path);

  /** True when every check of the current form is done and passed (the Launch button is enabled). */
  [[nodiscard]] bool isLaunchable() const;
  /** True while a check of the current form (spec, code folder) has not come back. */
  [[nodiscard]] bool isChecking() const;
  /** True while the estimate of the current form has not come back. */
  [[nodiscard]] bool isEstimating() const;
  /** The estimate shown (empty when none could be made). */
  [[nodiscard]] const std::optional<planner::OfferPlan>& estimate() const { return m_estimate; }
  /** The last scan of the code folder shown. */
  [[nodiscard]] const std::optional<agent::CodeScan>& codeScan() const { return m_scan; }
  /**
   * The message shown under a field, "" when it is valid. Fields: name, offer, codeDir, command, environment,
   * storage, interval, checkpoint, work, signal, grace, recovery, budget, maxRuntime.
   */
  [[nodiscard]] QString fieldError(const QString& field) const;

 public Q_SLOTS:
  /** Emits launchRequested() with the spec and closes, when the form is valid. */
  void accept() override;

 Q_SIGNALS:
  /** The user confirmed a spec that validateJobSpec accepts. */
  void launchRequested(const spotwise::jobs::JobSpec& spec);
  /** The checks of the current form came back (spec and code folder). */
  void checked();
  /** The estimate of the current form came back. */
  void estimated();

 private:
  void buildForm();
  void formChanged();
  void refreshFormErrors();
  void codeDirChanged();
  void rehearseToggled(bool rehearse);
  void marketChanged();
  void startCheck();
  void startScan();
  void startEstimate();
  void showCheck();
  void showScan();
  void showEstimate();
  /** What the recovery policy did in the simulated runs (moves, on-demand), in one line. */
  QString recoveryLine(const planner::SimulationResult& sim, int alternatives) const;
  void showErrors();
  void updateLaunchButton();
  void updateOfferSummary();
  void chooseCodeFolder();
  void saveWithDialog();
  void loadWithDialog();
  [[nodiscard]] jobs::JobOffer currentJobOffer() const;
  [[nodiscard]] bool spotMarket() const;
  [[nodiscard]] bool rehearsing() const;
  /** The planner inputs for the form (errors by field name in `errors`); nullopt when they cannot be read. */
  std::optional<planner::PlanRequest> estimateRequest(QMap<QString, QString>& errors) const;
  /** Reads the number fields and environment; their problems, by field. */
  QMap<QString, QString> formErrors() const;

  LaunchPrefill m_prefill;
  jobs::JobOffer m_base;  ///< the offer as on its cloud (or as loaded), before rehearsal and market
  std::optional<double> m_spotPrice;
  std::optional<double> m_onDemandPrice;
  std::optional<pricing::Offer> m_pricingOffer;  ///< the catalog offer behind the estimate, when known
  QString m_cloudStorage;  ///< storage typed for the cloud while rehearsing (and the other way round)
  QString m_localStorage;
  bool m_filling = false;
  int m_nodeCount = 1;  ///< not on the form (only 1 is supported); kept from a loaded file

  int m_generation = 0;
  int m_checkedGeneration = -1;
  std::vector<jobs::FieldError> m_specErrors;
  QMap<QString, QString> m_formErrors;
  std::optional<agent::CodeScan> m_scan;
  CodeScanOutcome m_scanOutcome;
  QString m_scanPending;  ///< the folder a scan runs for, empty when none runs
  int m_estimateGeneration = 0;
  int m_estimatedGeneration = -1;
  std::optional<planner::OfferPlan> m_estimate;
  QString m_estimateError;

  QFutureWatcher<SpecCheck>* m_checkWatcher;
  QFutureWatcher<CodeScanOutcome>* m_scanWatcher;
  QFutureWatcher<EstimateOutcome>* m_estimateWatcher;
  QTimer* m_checkTimer;
  QTimer* m_scanTimer;
  QTimer* m_estimateTimer;

  QLabel* m_offerLabel = nullptr;
  QComboBox* m_market = nullptr;
  QCheckBox* m_rehearse = nullptr;
  QLineEdit* m_image = nullptr;
  QLineEdit* m_name = nullptr;
  QLineEdit* m_codeDir = nullptr;
  QPushButton* m_browse = nullptr;
  QLabel* m_codeSize = nullptr;
  QLineEdit* m_command = nullptr;
  QPlainTextEdit* m_environment = nullptr;
  QLineEdit* m_storage = nullptr;
  QLineEdit* m_work = nullptr;
  QLineEdit* m_checkpoint = nullptr;
  QLineEdit* m_interval = nullptr;
  QComboBox* m_signal = nullptr;
  QSpinBox* m_grace = nullptr;
  QCheckBox* m_sameRegion = nullptr;
  QSpinBox* m_moveAfter = nullptr;
  QSpinBox* m_onDemandAfter = nullptr;
  QSpinBox* m_maxAttempts = nullptr;
  QLineEdit* m_budget = nullptr;
  QLineEdit* m_maxRuntime = nullptr;
  QLabel* m_estimateLabel = nullptr;
  QLabel* m_estimateWarning = nullptr;
  QLabel* m_status = nullptr;
  QPushButton* m_launch = nullptr;
  QPushButton* m_save = nullptr;
  QPushButton* m_load = nullptr;
  QMap<QString, QLabel*> m_errorLabels;
};

}  // namespace spotwise::ui
