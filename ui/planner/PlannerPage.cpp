#include "ui/planner/PlannerPage.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QLocale>
#include <QLogValueAxis>
#include <QMenu>
#include <QPushButton>
#include <QScatterSeries>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QThread>
#include <QThreadPool>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <QValueAxis>
#include <QtConcurrent/QtConcurrentMap>

#include <atomic>
#include <filesystem>
#include <mutex>

#include "core/ledger/Ledger.h"
#include "core/jobs/Runtime.h"
#include "core/planner/ObservedHistory.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "ui/forms/FormFields.h"
#include "ui/models/QtConvert.h"
#include "ui/planner/PlanTableModel.h"

namespace spotwise::ui {

/** The ledger's observed preemptions for one plan: read once, by the first worker thread that asks. */
struct LedgerHistory {
  explicit LedgerHistory(std::string path) : m_file(std::move(path)) {}
  const planner::ObservedHistory& get() {
    std::call_once(m_once, [this] {
      m_loaded = true;
      if (m_file.empty() || !std::filesystem::exists(m_file)) return;
      auto ledger = ledger::Ledger::open(m_file);
      const auto nowMs = QDateTime::currentMSecsSinceEpoch();
      auto history = ledger ? planner::ObservedHistory::fromLedger(**ledger, nowMs) : Result<planner::ObservedHistory>(ledger.error());
      if (history) m_history = std::move(history).value();
      else m_error = history.error().message;
    });
    return m_history;
  }
  [[nodiscard]] bool loaded() const { return m_loaded; }
  [[nodiscard]] const std::string& error() const { return m_error; }
  [[nodiscard]] const std::string& file() const { return m_file; }

 private:
  std::string m_file;
  std::once_flag m_once;
  std::atomic<bool> m_loaded = false;
  planner::ObservedHistory m_history;
  std::string m_error;
};

namespace {

using planner::PlanField;

constexpr pricing::CloudProvider kProviders[] = {pricing::CloudProvider::Aws, pricing::CloudProvider::Gcp,
                                                  pricing::CloudProvider::Azure};

}  // namespace

PlannerPage::PlannerPage(QWidget* parent)
    : QWidget(parent),
      m_model(new PlanTableModel(this)),
      m_watcher(new QFutureWatcher<PlanOutcome>(this)),
      m_pool(new QThreadPool(this)),
      m_chartTimer(new QTimer(this)) {
  setObjectName(QStringLiteral("plannerPage"));
  m_ledgerPath = toQString(jobs::defaultLedgerPath().string());
  // Qt's raster painting hands work to the global thread pool and waits for it; planning there would stall
  // every repaint until the plan is done. The planner gets a pool of its own, one thread per core.
  m_pool->setMaxThreadCount(std::max(1, QThread::idealThreadCount()));
  m_chartTimer->setSingleShot(true);
  m_chartTimer->setInterval(150);
  connect(m_chartTimer, &QTimer::timeout, this, &PlannerPage::updateCharts);

  auto* title = new QLabel(tr("Plan a training run"), this);
  QFont titleFont = title->font();
  titleFont.setPointSizeF(titleFont.pointSizeF() * 1.4);
  titleFont.setBold(true);
  title->setFont(titleFont);

  auto* form = new QWidget(this);
  buildForm(form);
  auto* formScroll = new QScrollArea(this);
  formScroll->setWidget(form);
  formScroll->setWidgetResizable(true);
  formScroll->setFrameShape(QFrame::NoFrame);
  formScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  formScroll->setMinimumWidth(360);
  formScroll->setMaximumWidth(400);

  m_status = new QLabel(tr("Enter the work and press Plan."), this);
  m_status->setObjectName(QStringLiteral("statusLabel"));
  m_status->setWordWrap(true);

  m_table = new QTableView(this);
  m_table->setObjectName(QStringLiteral("planTableView"));
  m_table->setModel(m_model);
  m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_table->setSelectionMode(QAbstractItemView::SingleSelection);
  m_table->setAlternatingRowColors(true);
  m_table->verticalHeader()->hide();
  m_table->setWordWrap(false);
  m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  m_table->horizontalHeader()->setStretchLastSection(true);
  const int charWidth = fontMetrics().horizontalAdvance(QLatin1Char('x'));
  const std::pair<int, int> widths[] = {
      {PlanTableModel::ProviderColumn, 7},       {PlanTableModel::RegionColumn, 16},   {PlanTableModel::InstanceTypeColumn, 26},
      {PlanTableModel::SpotColumn, 9},           {PlanTableModel::RateColumn, 22},     {PlanTableModel::ExpectedCostColumn, 13},
      {PlanTableModel::P90CostColumn, 11},       {PlanTableModel::ExpectedHoursColumn, 13}, {PlanTableModel::P90HoursColumn, 10},
      {PlanTableModel::SavingsColumn, 12}};
  for (const auto& [column, chars] : widths) m_table->horizontalHeader()->resizeSection(column, charWidth * chars);
  connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
          [this](const QModelIndex& current) {
            if (!m_selectingRow) m_userPickedRow = true;
            showIntervalChart(m_model->planAt(current.row()));
            updateLaunchButton();
          });

  // Expected cost against the checkpoint interval for the selected offer, with the optimum marked.
  auto* intervalChart = new QChart;
  m_curve = new QLineSeries(intervalChart);
  m_curve->setName(tr("Expected cost (Daly)"));
  m_optimum = new QScatterSeries(intervalChart);
  m_optimum->setName(tr("Optimum"));
  m_optimum->setMarkerSize(11);
  m_recommended = new QScatterSeries(intervalChart);
  m_recommended->setName(tr("Recommended (equal segments)"));
  m_recommended->setMarkerShape(QScatterSeries::MarkerShapeRectangle);
  m_recommended->setMarkerSize(8);
  intervalChart->addSeries(m_curve);
  intervalChart->addSeries(m_optimum);
  intervalChart->addSeries(m_recommended);
  auto* intervalX = new QLogValueAxis(intervalChart);
  intervalX->setTitleText(tr("Checkpoint interval (hours)"));
  intervalX->setLabelFormat(QStringLiteral("%.2g"));
  auto* intervalY = new QValueAxis(intervalChart);
  intervalY->setTitleText(tr("Cost ($)"));
  intervalChart->addAxis(intervalX, Qt::AlignBottom);
  intervalChart->addAxis(intervalY, Qt::AlignLeft);
  for (auto* series : {static_cast<QXYSeries*>(m_curve), static_cast<QXYSeries*>(m_optimum), static_cast<QXYSeries*>(m_recommended)}) {
    series->attachAxis(intervalX);
    series->attachAxis(intervalY);
  }
  intervalChart->setTitle(tr("Select an offer to see its checkpoint interval"));
  intervalChart->legend()->setAlignment(Qt::AlignBottom);
  m_intervalView = new QChartView(intervalChart, this);
  m_intervalView->setObjectName(QStringLiteral("intervalChartView"));
  m_intervalView->setRenderHint(QPainter::Antialiasing);
  m_intervalView->setMinimumHeight(260);

  // P50/P90 cost of each provider's best offer next to the same machine on-demand.
  auto* providerChart = new QChart;
  m_bars = new QBarSeries(providerChart);
  providerChart->addSeries(m_bars);
  auto* providerX = new QBarCategoryAxis(providerChart);
  auto* providerY = new QValueAxis(providerChart);
  providerY->setTitleText(tr("Cost ($)"));
  providerChart->addAxis(providerX, Qt::AlignBottom);
  providerChart->addAxis(providerY, Qt::AlignLeft);
  m_bars->attachAxis(providerX);
  m_bars->attachAxis(providerY);
  providerChart->setTitle(tr("Best offer per provider vs on-demand"));
  providerChart->legend()->setAlignment(Qt::AlignBottom);
  m_providerView = new QChartView(providerChart, this);
  m_providerView->setObjectName(QStringLiteral("providerChartView"));
  m_providerView->setRenderHint(QPainter::Antialiasing);
  m_providerView->setMinimumHeight(260);
  m_providerView->setMinimumWidth(320);

  m_launchButton = new QPushButton(tr("Launch…"), this);
  m_launchButton->setObjectName(QStringLiteral("launchButton"));
  m_launchButton->setEnabled(false);
  m_launchButton->setToolTip(tr("Open the launch form for the selected offer, prefilled with this plan's work and the "
                                "offer's checkpoint interval. Any offer can be rehearsed on this computer first."));
  connect(m_launchButton, &QPushButton::clicked, this, &PlannerPage::launchSelectedPlan);
  m_table->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(m_table, &QWidget::customContextMenuRequested, this, [this](const QPoint& pos) {
    const QModelIndex index = m_table->indexAt(pos);
    if (!index.isValid() || !m_model->planAt(index.row())) return;
    m_table->setCurrentIndex(m_model->index(index.row(), 0));
    auto* menu = new QMenu(m_table);
    menu->setObjectName(QStringLiteral("planContextMenu"));
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->addAction(tr("Launch…"), this, &PlannerPage::launchSelectedPlan)->setObjectName(QStringLiteral("launchAction"));
    menu->popup(m_table->viewport()->mapToGlobal(pos));
  });

  auto* charts = new QSplitter(Qt::Horizontal, this);
  charts->addWidget(m_intervalView);
  charts->addWidget(m_providerView);
  charts->setStretchFactor(0, 3);
  charts->setStretchFactor(1, 2);
  auto* results = new QSplitter(Qt::Vertical, this);
  results->addWidget(m_table);
  results->addWidget(charts);
  results->setStretchFactor(0, 3);
  results->setStretchFactor(1, 2);

  auto* bottom = new QHBoxLayout;
  bottom->addWidget(m_status, 1);
  bottom->addWidget(m_launchButton);
  auto* right = new QVBoxLayout;
  right->addWidget(results, 1);
  right->addLayout(bottom);
  auto* body = new QHBoxLayout;
  body->addWidget(formScroll);
  body->addLayout(right, 1);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(title);
  layout->addLayout(body, 1);

  // A rate typed into the table applies to that offer only; the plan is redone with it.
  // Replanning resets the model, so it waits until the table's editor has finished committing.
  const auto replanSoon = [this] { QTimer::singleShot(0, this, [this] { startPlanning(); }); };
  connect(m_model, &PlanTableModel::rateOverrideSet, this, [this, replanSoon](const QString& key, double rate) {
    m_offerOverrides[toStdString(key)] = rate;
    replanSoon();
  });
  connect(m_model, &PlanTableModel::rateOverrideCleared, this, [this, replanSoon](const QString& key) {
    m_offerOverrides.erase(toStdString(key));
    replanSoon();
  });
  connect(m_model, &PlanTableModel::rateOverrideRejected, this, [this](const QString& message) { m_status->setText(message); });

  connect(m_watcher, &QFutureWatcher<PlanOutcome>::resultsReadyAt, this, &PlannerPage::showResults);
  connect(m_watcher, &QFutureWatcher<PlanOutcome>::finished, this, &PlannerPage::finishPlanning);
}

PlannerPage::~PlannerPage() {
  // Remaining offers are not started; the pool (a child) then waits for the few already running, at most
  // one offer's simulation per thread, and their results are dropped with the watcher.
  m_watcher->cancel();
  m_pool->clear();
}

void PlannerPage::buildForm(QWidget* form) {
  auto* layout = new QFormLayout(form);
  layout->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  const auto addField = [&](const QString& label, QWidget* field, std::optional<PlanField> planField, const QString& errorName) {
    layout->addRow(label, field);
    QLabel* error = makeErrorLabel(errorName, form);
    layout->addRow(QString(), error);
    if (planField) m_errorLabels.insert(static_cast<int>(*planField), error);
    return error;
  };
  const auto lineEdit = [form](const QString& name, const QString& text, const QString& placeholder) {
    auto* edit = new QLineEdit(text, form);
    edit->setObjectName(name);
    edit->setPlaceholderText(placeholder);
    return edit;
  };

  m_gpu = new QComboBox(form);
  m_gpu->setObjectName(QStringLiteral("gpuComboBox"));
  m_gpuCount = new QComboBox(form);
  m_gpuCount->setObjectName(QStringLiteral("gpuCountComboBox"));
  connect(m_gpu, &QComboBox::currentTextChanged, this, &PlannerPage::updateGpuCounts);
  m_gpuError = addField(tr("GPU model"), m_gpu, std::nullopt, QStringLiteral("gpuErrorLabel"));
  addField(tr("GPUs per machine"), m_gpuCount, PlanField::GpuCount, QStringLiteral("gpuCountErrorLabel"));

  m_workUnit = new QComboBox(form);
  m_workUnit->setObjectName(QStringLiteral("workUnitComboBox"));
  m_workUnit->addItem(tr("GPU-hours"));
  m_workUnit->addItem(tr("Steps × seconds per step"));
  m_workUnit->setToolTip(tr("GPU-hours on the chosen GPU model, spread evenly over the machine's GPUs; or the number "
                            "of steps and the seconds one step takes on the whole machine."));
  connect(m_workUnit, &QComboBox::currentIndexChanged, this, &PlannerPage::updateWorkUnit);
  addField(tr("Work as"), m_workUnit, std::nullopt, QStringLiteral("workUnitErrorLabel"));
  m_work = lineEdit(QStringLiteral("workLineEdit"), QStringLiteral("40"), tr("GPU-hours, e.g. 40"));
  addField(tr("Work (GPU-hours)"), m_work, PlanField::Work, QStringLiteral("workErrorLabel"));
  m_steps = lineEdit(QStringLiteral("stepsLineEdit"), QString(), tr("e.g. 36000"));
  addField(tr("Steps"), m_steps, PlanField::Steps, QStringLiteral("stepsErrorLabel"));
  m_secondsPerStep = lineEdit(QStringLiteral("secondsPerStepLineEdit"), QString(), tr("e.g. 4"));
  addField(tr("Seconds per step"), m_secondsPerStep, PlanField::SecondsPerStep, QStringLiteral("secondsPerStepErrorLabel"));

  m_checkpoint = lineEdit(QStringLiteral("checkpointLineEdit"), QStringLiteral("2"), tr("minutes"));
  m_checkpoint->setToolTip(tr("Minutes it takes to write one checkpoint."));
  addField(tr("Checkpoint (min)"), m_checkpoint, PlanField::Checkpoint, QStringLiteral("checkpointErrorLabel"));
  m_restart = lineEdit(QStringLiteral("restartLineEdit"), QString(), tr("default: AWS 6, GCP 5, Azure 8"));
  m_restart->setToolTip(tr("Minutes from a preemption to training again: new instance, boot, driver, restoring the "
                           "checkpoint. Empty: the default per provider for an image with the driver installed."));
  addField(tr("Restart (min)"), m_restart, PlanField::Restart, QStringLiteral("restartErrorLabel"));
  m_driverAtBoot = new QCheckBox(tr("Driver installed at boot (+8 min)"), form);
  m_driverAtBoot->setObjectName(QStringLiteral("driverAtBootCheckBox"));
  m_driverAtBoot->setToolTip(tr("The machine image installs the NVIDIA driver at every boot, adding about 8 minutes to "
                                "each restart when the restart time is left to its default."));
  layout->addRow(QString(), m_driverAtBoot);
  m_interval = lineEdit(QStringLiteral("intervalLineEdit"), QString(), tr("empty: the optimum per offer"));
  addField(tr("Checkpoint every (h)"), m_interval, PlanField::Interval, QStringLiteral("intervalErrorLabel"));

  m_risk = new QComboBox(form);
  m_risk->setObjectName(QStringLiteral("riskComboBox"));
  for (auto point : {planner::RiskPoint::Optimistic, planner::RiskPoint::Typical, planner::RiskPoint::Pessimistic}) {
    m_risk->addItem(toQString(planner::riskPointId(point)), static_cast<int>(point));
  }
  m_risk->setCurrentIndex(1);
  m_risk->setToolTip(tr("Which point of each offer's interruption range to use: its low end (optimistic), its "
                        "midpoint (typical) or its high end (pessimistic). See “How is risk modelled?”."));
  addField(tr("Risk"), m_risk, std::nullopt, QStringLiteral("riskErrorLabel"));
  m_rate = lineEdit(QStringLiteral("rateLineEdit"), QString(), tr("empty: band or default per offer"));
  m_rate->setToolTip(tr("Your own preemption rate per instance-hour for every offer, e.g. 0.01 = one per 100 hours."));
  addField(tr("Preemptions per hour"), m_rate, PlanField::RateOverride, QStringLiteral("rateErrorLabel"));
  m_preemptible = new QCheckBox(tr("GCP preemptible VMs (24 h at most)"), form);
  m_preemptible->setObjectName(QStringLiteral("gcpPreemptibleCheckBox"));
  m_preemptible->setToolTip(tr("Plan GCP offers as preemptible VMs, which GCP stops after at most 24 h, instead of "
                               "spot VMs, which have no time limit. Both cost the same."));
  layout->addRow(QString(), m_preemptible);

  m_fallback = new QCheckBox(tr("Fall back to on-demand"), form);
  m_fallback->setObjectName(QStringLiteral("fallbackCheckBox"));
  m_fallback->setToolTip(tr("After this many preemptions, continue the run on the same machine on-demand, where it "
                            "is no longer interrupted (and costs the on-demand price)."));
  layout->addRow(QString(), m_fallback);
  m_fallbackAfter = new QSpinBox(form);
  m_fallbackAfter->setObjectName(QStringLiteral("fallbackSpinBox"));
  m_fallbackAfter->setRange(1, 1000);
  m_fallbackAfter->setValue(3);
  m_fallbackAfter->setEnabled(false);
  connect(m_fallback, &QCheckBox::toggled, m_fallbackAfter, &QWidget::setEnabled);
  addField(tr("…after preemptions"), m_fallbackAfter, PlanField::Fallback, QStringLiteral("fallbackErrorLabel"));

  m_deadline = lineEdit(QStringLiteral("deadlineLineEdit"), QString(), tr("optional, hours"));
  addField(tr("Deadline (h)"), m_deadline, PlanField::Deadline, QStringLiteral("deadlineErrorLabel"));
  m_budget = lineEdit(QStringLiteral("budgetLineEdit"), QString(), tr("optional, $"));
  addField(tr("Budget ($)"), m_budget, PlanField::Budget, QStringLiteral("budgetErrorLabel"));
  m_runs = new QSpinBox(form);
  m_runs->setObjectName(QStringLiteral("runsSpinBox"));
  m_runs->setRange(1000, 2000000);
  m_runs->setSingleStep(10000);
  m_runs->setValue(100000);
  m_runs->setGroupSeparatorShown(true);
  m_runs->setToolTip(tr("Simulated runs per offer for P50/P90. The same inputs always give the same numbers."));
  addField(tr("Simulated runs"), m_runs, PlanField::Runs, QStringLiteral("runsErrorLabel"));

  m_useHistory = new QCheckBox(tr("Learn rates from my jobs"), form);
  m_useHistory->setObjectName(QStringLiteral("useHistoryCheckBox"));
  m_useHistory->setChecked(true);
  m_useHistory->setToolTip(tr("Offers you have run spot jobs on get a rate from your own preemptions per instance-hour "
                              "(the job ledger), weighed with the published or assumed rate; the table shows how many "
                              "preemptions back it."));
  layout->addRow(QString(), m_useHistory);
  m_historyLabel = new QLabel(form);
  m_historyLabel->setObjectName(QStringLiteral("historyLabel"));
  m_historyLabel->setWordWrap(true);
  layout->addRow(QString(), m_historyLabel);

  m_planButton = new QPushButton(tr("Plan"), form);
  m_planButton->setObjectName(QStringLiteral("planButton"));
  m_planButton->setDefault(true);
  connect(m_planButton, &QPushButton::clicked, this, [this] { startPlanning(); });
  for (QLineEdit* edit : {m_work, m_steps, m_secondsPerStep, m_checkpoint, m_restart, m_interval, m_rate, m_deadline, m_budget}) {
    connect(edit, &QLineEdit::returnPressed, this, [this] { startPlanning(); });
  }
  layout->addRow(QString(), m_planButton);

  m_helpButton = new QToolButton(form);
  m_helpButton->setObjectName(QStringLiteral("modelHelpButton"));
  m_helpButton->setText(tr("How is risk modelled?"));
  m_helpButton->setCheckable(true);
  m_help = new QLabel(toQString(planner::hazardModelHelp()), form);
  m_help->setObjectName(QStringLiteral("modelHelpLabel"));
  m_help->setTextFormat(Qt::PlainText);
  m_help->setWordWrap(true);
  m_help->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_help->hide();
  connect(m_helpButton, &QToolButton::toggled, m_help, &QWidget::setVisible);
  layout->addRow(m_helpButton);
  layout->addRow(m_help);
  updateWorkUnit();
}

void PlannerPage::setLedgerPath(const QString& path) { m_ledgerPath = path; }

void PlannerPage::setOffers(std::vector<pricing::Offer> offers) {
  m_offers = std::move(offers);
  std::set<std::string> models;
  for (const auto& o : m_offers) {
    if (o.spot && o.gpuCount > 0) models.insert(o.gpuModel);
  }
  const QString previous = m_gpu->currentText();
  m_gpu->clear();
  for (const auto& m : models) m_gpu->addItem(toQString(m));
  int index = m_gpu->findText(previous.isEmpty() ? QStringLiteral("A100-80GB") : previous);
  m_gpu->setCurrentIndex(std::max(index, 0));
  updateGpuCounts();
}

void PlannerPage::updateGpuCounts() {
  const std::string model = toStdString(m_gpu->currentText());
  const QString previous = m_gpuCount->currentText();
  std::set<int> counts;
  for (const auto& o : m_offers) {
    if (o.spot && o.gpuModel == model && o.gpuCount > 0) counts.insert(o.gpuCount);
  }
  m_gpuCount->clear();
  for (int c : counts) m_gpuCount->addItem(QString::number(c), c);
  const int index = m_gpuCount->findText(previous);
  m_gpuCount->setCurrentIndex(std::max(index, 0));
}

void PlannerPage::updateWorkUnit() {
  const bool steps = m_workUnit->currentIndex() == 1;
  const auto setRowVisible = [](QWidget* field, bool visible) {
    field->setVisible(visible);
    if (auto* layout = qobject_cast<QFormLayout*>(field->parentWidget()->layout())) {
      if (QWidget* label = layout->labelForField(field)) label->setVisible(visible);
    }
  };
  setRowVisible(m_work, !steps);
  setRowVisible(m_steps, steps);
  setRowVisible(m_secondsPerStep, steps);
}

void PlannerPage::clearErrors() {
  for (QLabel* label : std::as_const(m_errorLabels)) {
    label->clear();
    label->hide();
  }
  m_gpuError->clear();
  m_gpuError->hide();
}

void PlannerPage::showError(PlanField field, const QString& message) {
  QLabel* label = m_errorLabels.value(static_cast<int>(field));
  if (!label) return;
  label->setText(label->text().isEmpty() ? message : label->text() + QLatin1Char('\n') + message);
  label->show();
}

std::optional<planner::PlanRequest> PlannerPage::readForm() {
  clearErrors();
  planner::PlanRequest request;
  bool bad = false;
  // Reads one field: a number, empty (allowed only for optional fields), or not a number.
  const auto read = [&](QLineEdit* edit, PlanField field, bool required) -> std::optional<double> {
    double value = 0;
    switch (parseNumber(edit, value)) {
      case Parsed::Number: return value;
      case Parsed::Empty:
        if (required) {
          showError(field, tr("Enter a number."));
          bad = true;
        }
        return std::nullopt;
      case Parsed::Bad:
        showError(field, tr("“%1” is not a number.").arg(edit->text().trimmed()));
        bad = true;
        return std::nullopt;
    }
    return std::nullopt;
  };
  if (m_workUnit->currentIndex() == 0) {
    request.work.unit = planner::WorkUnit::GpuHours;
    request.work.gpuHours = read(m_work, PlanField::Work, true).value_or(1.0);
  } else {
    request.work.unit = planner::WorkUnit::Steps;
    request.work.steps = read(m_steps, PlanField::Steps, true).value_or(1.0);
    request.work.secondsPerStep = read(m_secondsPerStep, PlanField::SecondsPerStep, true).value_or(1.0);
  }
  request.gpuModel = toStdString(m_gpu->currentText());
  request.gpuCount = m_gpuCount->currentData().isValid() ? m_gpuCount->currentData().toInt() : 1;
  request.checkpointMinutes = read(m_checkpoint, PlanField::Checkpoint, true).value_or(1.0);
  request.restartMinutes = read(m_restart, PlanField::Restart, false);
  request.image = m_driverAtBoot->isChecked() ? planner::ImageKind::DriverInstalledAtBoot : planner::ImageKind::DriverPreinstalled;
  request.intervalHours = read(m_interval, PlanField::Interval, false);
  request.hazard.risk = static_cast<planner::RiskPoint>(m_risk->currentData().toInt());
  request.hazard.gcpVmKind = m_preemptible->isChecked() ? planner::GcpVmKind::Preemptible : planner::GcpVmKind::Spot;
  request.hazard.overrideRatePerHour = read(m_rate, PlanField::RateOverride, false);
  request.hazard.offerOverrides = m_offerOverrides;
  if (m_fallback->isChecked()) request.fallbackAfterPreemptions = m_fallbackAfter->value();
  request.deadlineHours = read(m_deadline, PlanField::Deadline, false);
  request.budgetUsd = read(m_budget, PlanField::Budget, false);
  request.runs = m_runs->value();

  for (const auto& error : planner::validateRequest(request)) {
    // A field that is not a number already says so; the placeholder value behind it is not the user's.
    if (!m_errorLabels.value(static_cast<int>(error.field)) || !m_errorLabels.value(static_cast<int>(error.field))->isVisible()) {
      showError(error.field, toQString(error.message));
    }
    bad = true;
  }
  if (m_offers.empty() || m_gpu->currentText().isEmpty()) {
    m_gpuError->setText(tr("No prices are loaded, so there is nothing to plan."));
    m_gpuError->show();
    bad = true;
  }
  if (bad) return std::nullopt;
  return request;
}

bool PlannerPage::startPlanning() {
  const auto request = readForm();
  if (!request) {
    m_status->setText(tr("Fix the fields marked in red, then press Plan."));
    return false;
  }
  std::vector<pricing::Offer> candidates = planner::candidateOffers(m_offers, *request);
  if (candidates.empty()) {
    m_gpuError->setText(tr("No spot offer has %1 × %2 in the catalog.").arg(request->gpuCount).arg(toQString(request->gpuModel)));
    m_gpuError->show();
    m_status->setText(tr("Nothing to plan."));
    return false;
  }
  m_watcher->cancel();  // a plan still running is superseded; setFuture() drops its pending results
  m_chartTimer->stop();
  m_userPickedRow = false;
  m_model->clear();
  m_planned = *request;
  updateLaunchButton();
  m_skipped.clear();
  showIntervalChart(nullptr);
  m_expected = static_cast<int>(candidates.size());
  m_done = 0;
  m_planning = true;
  updateStatus();
  updateProviderChart();
  planner::PlanRequest copy = *request;
  m_history.reset();
  if (m_useHistory->isChecked()) {
    m_history = std::make_shared<LedgerHistory>(m_ledgerPath.toStdString());
    copy.hazard.history = [history = m_history](const pricing::Offer& offer) { return history->get().forOffer(offer); };
  }
  m_watcher->setFuture(QtConcurrent::mapped(m_pool, std::move(candidates), [copy](const pricing::Offer& offer) {
    PlanOutcome outcome;
    outcome.offer = offer;
    auto plan = planner::planOffer(offer, copy);
    if (plan) {
      outcome.plan = std::move(plan).value();
    } else {
      outcome.error = plan.error().message;
      outcome.skipped = plan.error().code == ErrorCode::FailedPrecondition;
    }
    return outcome;
  }));
  return true;
}

void PlannerPage::showResults(int begin, int end) {
  for (int i = begin; i < end; ++i) {
    PlanOutcome outcome = m_watcher->resultAt(i);
    ++m_done;
    if (outcome.plan) {
      m_model->addPlan(std::move(*outcome.plan));
    } else {
      m_skipped << toQString(outcome.error);
    }
  }
  // Rows go in at their rank as they come; the charts follow at most every 150 ms.
  if (!m_chartTimer->isActive()) m_chartTimer->start();
  updateStatus();
}

void PlannerPage::selectRow(int row) {
  m_selectingRow = true;
  m_table->setCurrentIndex(m_model->index(row, 0));
  m_selectingRow = false;
}

void PlannerPage::updateCharts() {
  if (!m_userPickedRow && m_model->rowCount() > 0) selectRow(0);
  const QModelIndex current = m_table->currentIndex();
  showIntervalChart(current.isValid() ? m_model->planAt(current.row()) : nullptr);
  updateProviderChart();
}

void PlannerPage::finishPlanning() {
  m_chartTimer->stop();
  if (!m_history) {
    m_historyLabel->setText(m_useHistory->isChecked() ? QString() : tr("Your preemption history is not used."));
  } else if (!m_history->loaded()) {
    m_historyLabel->clear();
  } else if (!m_history->error().empty()) {
    m_historyLabel->setText(tr("Your preemption history could not be read: %1").arg(toQString(m_history->error())));
  } else if (m_history->get().attempts() == 0) {
    m_historyLabel->setText(tr("No spot jobs in your history yet (%1).").arg(toQString(m_history->file())));
  } else {
    int observed = 0;
    for (const auto& p : m_model->plans()) observed += p.hazard.source == planner::HazardSource::Observed ? 1 : 0;
    m_historyLabel->setText(tr("Your history: %n spot attempt(s)", nullptr, m_history->get().attempts()) +
                            tr(", used for %n of these offers.", nullptr, observed));
  }
  m_historyLabel->setToolTip(toQString(m_history ? m_history->file() : std::string()));
  updateCharts();
  m_planning = false;
  updateStatus();
  Q_EMIT planningFinished();
}

void PlannerPage::updateLaunchButton() {
  const QModelIndex current = m_table->currentIndex();
  m_launchButton->setEnabled(m_planned && current.isValid() && m_model->planAt(current.row()) != nullptr);
}

void PlannerPage::launchSelectedPlan() {
  const QModelIndex current = m_table->currentIndex();
  const planner::OfferPlan* plan = current.isValid() ? m_model->planAt(current.row()) : nullptr;
  if (plan && m_planned) Q_EMIT launchRequested(*plan, *m_planned);
}

void PlannerPage::updateStatus() {
  QString text = m_planning ? tr("Planning… %1 of %2 offers").arg(m_done).arg(m_expected)
                            : tr("%n offer(s) ranked by expected cost", nullptr, m_model->rowCount());
  if (!m_skipped.isEmpty()) text += tr(" · %n left out (hover for why)", nullptr, static_cast<int>(m_skipped.size()));
  bool assumed = false;
  for (const auto& p : m_model->plans()) assumed = assumed || p.hazard.assumption;
  if (assumed) text += tr(" · rates marked “assumed” are not published figures");
  m_status->setText(text);
  m_status->setToolTip(m_skipped.join(QLatin1Char('\n')));
}

void PlannerPage::showIntervalChart(const planner::OfferPlan* plan) {
  m_curve->clear();
  m_optimum->clear();
  m_recommended->clear();
  QChart* chart = m_intervalView->chart();
  if (!plan) {
    chart->setTitle(tr("Select an offer to see its checkpoint interval"));
    return;
  }
  const planner::RunShape shape = plan->shape;
  const double lambda = plan->hazard.ratePerHour;
  const double price = plan->offer.spot->usdPerHour;
  const double cap = plan->hazard.maxUptimeHours ? *plan->hazard.maxUptimeHours - shape.restartHours - shape.checkpointHours
                                                 : std::numeric_limits<double>::infinity();
  const double longest = std::min(shape.workHours, cap);
  const double optimum = plan->advice.exact ? std::min(*plan->advice.exact, longest) : longest;
  const double low = std::max(optimum / 20.0, 1.0 / 60.0);
  const double high = std::max(std::min(longest, optimum * 20.0), low * 2.0);
  const auto cost = [&](double tau) {
    planner::RunShape s = shape;
    s.intervalHours = tau;
    return planner::dalyExpectedHours(s, lambda) * price;
  };
  QList<QPointF> points;
  constexpr int kPoints = 80;
  bool optimumAdded = false;
  for (int i = 0; i < kPoints; ++i) {
    const double tau = low * std::pow(high / low, static_cast<double>(i) / (kPoints - 1));
    if (!optimumAdded && tau >= optimum) {
      if (tau > optimum) points.append({optimum, cost(optimum)});
      optimumAdded = true;
    }
    const double c = cost(tau);
    if (std::isfinite(c)) points.append({tau, c});
  }
  if (!optimumAdded) points.append({optimum, cost(optimum)});
  m_curve->replace(points);
  m_optimum->append(optimum, cost(optimum));
  m_recommended->append(shape.intervalHours, planner::expectedCompletionHours(shape, lambda) * price);

  double minY = std::numeric_limits<double>::infinity();
  double maxY = 0;
  for (const QPointF& p : points) {
    minY = std::min(minY, p.y());
    maxY = std::max(maxY, p.y());
  }
  // Show the valley, not the steep left end: cap the visible range at 3× the optimum's cost.
  maxY = std::min(maxY, minY * 3.0);
  const auto axesX = chart->axes(Qt::Horizontal);
  const auto axesY = chart->axes(Qt::Vertical);
  if (!axesX.isEmpty()) axesX.front()->setRange(low, high);
  if (!axesY.isEmpty()) axesY.front()->setRange(minY * 0.97, std::max(maxY, minY * 1.05));
  chart->setTitle(tr("%1 %2 in %3: optimum every %4 (%5)")
                      .arg(toQString(pricing::providerDisplayName(plan->offer.provider)), toQString(plan->offer.instanceType),
                           toQString(plan->offer.region), PlanTableModel::formatInterval(optimum),
                           QStringLiteral("$") + QLocale().toString(cost(optimum), 'f', 2)));
}

void PlannerPage::updateProviderChart() {
  m_bars->clear();
  auto* p50 = new QBarSet(tr("Spot P50"));
  auto* p90 = new QBarSet(tr("Spot P90"));
  auto* onDemand = new QBarSet(tr("On-demand"));
  QStringList categories;
  double maxY = 0;
  for (auto provider : kProviders) {
    // The model is ranked, so the first plan of a provider is its cheapest expected offer.
    const auto& plans = m_model->plans();
    const auto best = std::find_if(plans.begin(), plans.end(), [provider](const auto& p) { return p.offer.provider == provider; });
    if (best == plans.end()) continue;
    categories << tr("%1\n%2").arg(toQString(pricing::providerDisplayName(provider)), toQString(best->offer.instanceType));
    p50->append(best->simulation.costUsd.p50);
    p90->append(best->simulation.costUsd.p90);
    onDemand->append(best->onDemandCostUsd.value_or(0.0));
    maxY = std::max({maxY, best->simulation.costUsd.p90, best->onDemandCostUsd.value_or(0.0)});
  }
  m_bars->append(p50);
  m_bars->append(p90);
  m_bars->append(onDemand);
  QChart* chart = m_providerView->chart();
  if (auto axes = chart->axes(Qt::Horizontal); !axes.isEmpty()) {
    if (auto* axis = qobject_cast<QBarCategoryAxis*>(axes.front())) {
      axis->clear();
      axis->append(categories);
    }
  }
  if (auto axes = chart->axes(Qt::Vertical); !axes.isEmpty()) axes.front()->setRange(0.0, maxY > 0 ? maxY * 1.1 : 1.0);
}

}  // namespace spotwise::ui
