#include "ui/launch/LaunchDialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScreen>
#include <QScrollArea>
#include <QSet>
#include <QSettings>
#include <QSpinBox>
#include <QThreadPool>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/jobs/Recovery.h"
#include "ui/forms/FormFields.h"
#include "ui/models/QtConvert.h"

namespace spotwise::ui {

namespace {

// Above this, the code bundle is flagged: it is uploaded at every launch (decimal MB, like the clouds bill).
constexpr std::uint64_t kLargeCodeBytes = 100'000'000;
// The scan gives up past this (4× the limit), so a folder such as $HOME is not walked to the end.
constexpr std::uint64_t kScanCapBytes = 4 * jobs::ValidationLimits{}.maxCodeBytes;

// The form's background work: never the global pool, which Qt's raster painting waits on.
QThreadPool* workPool() {
  static QThreadPool* pool = [] {
    auto* p = new QThreadPool(QCoreApplication::instance());
    p->setMaxThreadCount(2);
    return p;
  }();
  return pool;
}

// A number as the form shows it: at most `decimals` decimals, no trailing zeros, no group separators.
QString formatNumber(double value, int decimals) {
  QLocale locale;
  locale.setNumberOptions(QLocale::OmitGroupSeparator);
  QString text = locale.toString(value, 'f', decimals);
  const QChar point = locale.decimalPoint().front();
  if (text.contains(point)) {
    while (text.endsWith(QLatin1Char('0'))) text.chop(1);
    if (text.endsWith(point)) text.chop(1);
  }
  return text;
}

// Cents, or tenths of a cent below a dime (a rehearsal of the example costs fractions of a cent).
QString money(double usd) { return QStringLiteral("$") + QLocale().toString(usd, 'f', usd < 0.1 ? 3 : 2); }
QString hourlyPrice(double usd) {
  return QStringLiteral("$") + QLocale().toString(usd, 'f', usd < 1.0 ? 4 : 2) + QObject::tr("/h");
}

QString hours(double h) {
  if (h < 1.0) return QObject::tr("%1 min").arg(formatNumber(h * 60.0, h * 60.0 < 10 ? 1 : 0));
  return QObject::tr("%1 h").arg(formatNumber(h, h < 10 ? 1 : 0));
}

QString sentence(const std::string& message) {
  QString text = toQString(message);
  if (!text.isEmpty()) text[0] = text[0].toUpper();
  return text;
}

// The form field that shows one of validateJobSpec's errors, and the words that introduce it there.
std::pair<QString, QString> fieldFor(const std::string& field) {
  const QString f = toQString(field);
  if (f == QLatin1String("name")) return {QStringLiteral("name"), {}};
  if (f == QLatin1String("codeDir")) return {QStringLiteral("codeDir"), {}};
  if (f == QLatin1String("command")) return {QStringLiteral("command"), {}};
  if (f == QLatin1String("storage")) return {QStringLiteral("storage"), {}};
  if (f == QLatin1String("checkpointSignal")) return {QStringLiteral("signal"), {}};
  if (f == QLatin1String("graceSeconds")) return {QStringLiteral("grace"), {}};
  if (f == QLatin1String("checkpointSyncSeconds")) return {QStringLiteral("interval"), {}};
  if (f == QLatin1String("budgetUsd")) return {QStringLiteral("budget"), {}};
  if (f == QLatin1String("maxRuntimeSeconds")) return {QStringLiteral("maxRuntime"), {}};
  if (f.startsWith(QLatin1String("environment."))) return {QStringLiteral("environment"), f.mid(12) + QStringLiteral(": ")};
  if (f == QLatin1String("recovery.moveAfterPreemptions")) return {QStringLiteral("recovery"), QObject::tr("Move after: ")};
  if (f == QLatin1String("recovery.onDemandAfterPreemptions")) return {QStringLiteral("recovery"), QObject::tr("On-demand after: ")};
  if (f == QLatin1String("recovery.maxAttempts")) return {QStringLiteral("recovery"), QObject::tr("Maximum attempts: ")};
  if (f.startsWith(QLatin1String("recovery."))) return {QStringLiteral("recovery"), f.mid(9) + QStringLiteral(": ")};
  return {QStringLiteral("offer"), f + QStringLiteral(": ")};  // offer.*, nodeCount, image
}

QString planFieldName(planner::PlanField field) {
  switch (field) {
    case planner::PlanField::Work:
    case planner::PlanField::Steps:
    case planner::PlanField::SecondsPerStep:
    case planner::PlanField::GpuCount: return QStringLiteral("work");
    case planner::PlanField::Checkpoint:
    case planner::PlanField::Restart: return QStringLiteral("checkpoint");
    case planner::PlanField::Interval: return QStringLiteral("interval");
    case planner::PlanField::Fallback:
    case planner::PlanField::Move:
    case planner::PlanField::MaxInstances: return QStringLiteral("recovery");
    case planner::PlanField::Deadline: return QStringLiteral("maxRuntime");
    case planner::PlanField::Budget: return QStringLiteral("budget");
    case planner::PlanField::RateOverride:
    case planner::PlanField::Runs: return QStringLiteral("work");
  }
  return QStringLiteral("work");
}

const char* const kSignals[] = {"SIGTERM", "SIGINT", "SIGUSR1", "SIGUSR2", "SIGHUP", "SIGQUIT"};

}  // namespace

LaunchDialog::LaunchDialog(const LaunchPrefill& prefill, QWidget* parent)
    : QDialog(parent),
      m_prefill(prefill),
      m_checkWatcher(new QFutureWatcher<SpecCheck>(this)),
      m_scanWatcher(new QFutureWatcher<CodeScanOutcome>(this)),
      m_estimateWatcher(new QFutureWatcher<EstimateOutcome>(this)),
      m_checkTimer(new QTimer(this)),
      m_scanTimer(new QTimer(this)),
      m_estimateTimer(new QTimer(this)) {
  setObjectName(QStringLiteral("launchDialog"));
  setWindowTitle(tr("Launch a training run"));
  m_base = jobOfferFor(prefill.offer, prefill.spot, false);
  if (prefill.offer.spot) m_spotPrice = prefill.offer.spot->usdPerHour;
  if (prefill.offer.onDemand) m_onDemandPrice = prefill.offer.onDemand->usdPerHour;
  m_pricingOffer = prefill.offer;

  // Cheap checks follow typing closely; the estimate (a Monte Carlo run) waits for a pause.
  m_checkTimer->setSingleShot(true);
  m_checkTimer->setInterval(120);
  m_scanTimer->setSingleShot(true);
  m_scanTimer->setInterval(250);
  m_estimateTimer->setSingleShot(true);
  m_estimateTimer->setInterval(300);
  connect(m_checkTimer, &QTimer::timeout, this, &LaunchDialog::startCheck);
  connect(m_scanTimer, &QTimer::timeout, this, &LaunchDialog::startScan);
  connect(m_estimateTimer, &QTimer::timeout, this, &LaunchDialog::startEstimate);
  connect(m_checkWatcher, &QFutureWatcher<SpecCheck>::finished, this, &LaunchDialog::showCheck);
  connect(m_scanWatcher, &QFutureWatcher<CodeScanOutcome>::finished, this, &LaunchDialog::showScan);
  connect(m_estimateWatcher, &QFutureWatcher<EstimateOutcome>::finished, this, &LaunchDialog::showEstimate);

  // The defaults, then one round of checks: nothing reacts to the form while it is being built and filled.
  m_filling = true;
  buildForm();
  const QString stamp = QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmm"));
  m_name->setText(QStringLiteral("train-%1-%2").arg(toQString(prefill.offer.instanceType), stamp));
  if (auto example = exampleCodeFolder()) {
    m_codeDir->setText(QDir::toNativeSeparators(toQString(example->string())));
  } else {
    m_status->setText(toQString(example.error().message));
  }
  m_command->setText(toQString(kExampleCommand));
  const double workHours = planner::machineWorkHours(prefill.request.work, std::max(1, prefill.offer.gpuCount)).valueOr(kExampleHours);
  m_work->setText(formatNumber(workHours, 4));
  m_checkpoint->setText(formatNumber(prefill.request.checkpointMinutes, 2));
  const double intervalSeconds = std::clamp(prefill.intervalHours * 3600.0, 5.0, 86400.0);
  m_interval->setText(formatNumber(std::round(intervalSeconds) / 60.0, 2));
  if (prefill.request.fallbackAfterPreemptions && m_onDemandPrice) m_onDemandAfter->setValue(*prefill.request.fallbackAfterPreemptions);
  // Budget: the plan's, else 25 % over its P90, else twice the failure-free cost; never below one hour of the offer.
  const double price = m_base.pricePerHour;
  double budget = std::ceil(std::max(prefill.p90CostUsd ? 1.25 * *prefill.p90CostUsd : 2.0 * price * workHours, price));
  if (prefill.request.budgetUsd) budget = *prefill.request.budgetUsd;  // the user's own figure, as typed
  m_budget->setText(formatNumber(budget, 2));
  // Maximum runtime: a day, or twice the plan's P90 hours when that is longer.
  const double runtime = std::max(24.0, prefill.p90Hours ? std::ceil(2.0 * *prefill.p90Hours) : 0.0);
  m_maxRuntime->setText(formatNumber(runtime, 4));
  m_localStorage = toQString(defaultLocalStorage());
  if (auto bucket = jobs::parseStorageLocation(toStdString(m_localStorage))) {
    // The default Local bucket is ours to create (the Jobs page's example uses the same one).
    std::error_code ec;
    std::filesystem::create_directories(bucket->bucket, ec);
  }
  m_cloudStorage = QSettings().value(QStringLiteral("launch/storage/") + toQString(m_base.provider)).toString();
  // Rehearsing is the default: it needs no account and bills nothing. Unticking it launches on the cloud.
  m_rehearse->setChecked(true);
  m_storage->setText(m_localStorage);
  m_filling = false;
  updateOfferSummary();
  codeDirChanged();
  formChanged();
}

LaunchDialog::~LaunchDialog() {
  // Work still running finishes on the shared pool; its results are dropped with the watchers.
  m_checkWatcher->disconnect(this);
  m_scanWatcher->disconnect(this);
  m_estimateWatcher->disconnect(this);
}

void LaunchDialog::buildForm() {
  const auto lineEdit = [this](const QString& name, const QString& placeholder) {
    auto* edit = new QLineEdit(this);
    edit->setObjectName(name);
    edit->setPlaceholderText(placeholder);
    connect(edit, &QLineEdit::textChanged, this, &LaunchDialog::formChanged);
    return edit;
  };
  const auto spinBox = [this](const QString& name, int low, int high) {
    auto* spin = new QSpinBox(this);
    spin->setObjectName(name);
    spin->setRange(low, high);
    connect(spin, &QSpinBox::valueChanged, this, &LaunchDialog::formChanged);
    return spin;
  };
  const auto addError = [this](QFormLayout* form, const QString& field) {
    QLabel* label = makeErrorLabel(field + QStringLiteral("ErrorLabel"), this);
    form->addRow(QString(), label);
    m_errorLabels.insert(field, label);
  };

  // --- The offer --------------------------------------------------------------------------------
  auto* offerBox = new QGroupBox(tr("Offer"), this);
  auto* offerForm = new QFormLayout(offerBox);
  m_offerLabel = new QLabel(offerBox);
  m_offerLabel->setObjectName(QStringLiteral("offerLabel"));
  m_offerLabel->setTextFormat(Qt::PlainText);
  m_offerLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
  QFont bold = m_offerLabel->font();
  bold.setBold(true);
  m_offerLabel->setFont(bold);
  offerForm->addRow(m_offerLabel);
  m_market = new QComboBox(offerBox);
  m_market->setObjectName(QStringLiteral("marketComboBox"));
  connect(m_market, &QComboBox::currentIndexChanged, this, &LaunchDialog::marketChanged);
  m_rehearse = new QCheckBox(tr("Rehearse on this computer (Local provider)"), offerBox);
  m_rehearse->setObjectName(QStringLiteral("rehearseCheckBox"));
  m_rehearse->setToolTip(tr("Runs the job here, as real processes, with the same agent, checkpoints and recovery. "
                            "Spend is simulated at this offer's price; nothing is billed and no cloud account is needed."));
  connect(m_rehearse, &QCheckBox::toggled, this, &LaunchDialog::rehearseToggled);
  auto* marketRow = new QHBoxLayout;
  marketRow->addWidget(m_market);
  marketRow->addSpacing(12);
  marketRow->addWidget(m_rehearse);
  marketRow->addStretch(1);
  offerForm->addRow(tr("Market"), marketRow);
  m_image = lineEdit(QStringLiteral("imageLineEdit"), tr("empty: the provider's GPU image with the NVIDIA driver"));
  offerForm->addRow(tr("Image"), m_image);
  addError(offerForm, QStringLiteral("offer"));

  // --- The job ----------------------------------------------------------------------------------
  auto* jobBox = new QGroupBox(tr("Job"), this);
  auto* jobForm = new QFormLayout(jobBox);
  jobForm->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  m_name = lineEdit(QStringLiteral("nameLineEdit"), tr("e.g. resnet50-imagenet"));
  jobForm->addRow(tr("Name"), m_name);
  addError(jobForm, QStringLiteral("name"));
  m_codeDir = lineEdit(QStringLiteral("codeDirLineEdit"), tr("the folder with your training code"));
  connect(m_codeDir, &QLineEdit::textChanged, this, &LaunchDialog::codeDirChanged);
  m_browse = new QPushButton(tr("Browse…"), jobBox);
  m_browse->setObjectName(QStringLiteral("codeDirBrowseButton"));
  connect(m_browse, &QPushButton::clicked, this, &LaunchDialog::chooseCodeFolder);
  auto* codeRow = new QHBoxLayout;
  codeRow->addWidget(m_codeDir, 1);
  codeRow->addWidget(m_browse);
  jobForm->addRow(tr("Code folder"), codeRow);
  m_codeSize = new QLabel(jobBox);
  m_codeSize->setObjectName(QStringLiteral("codeSizeLabel"));
  m_codeSize->setWordWrap(true);
  m_codeSize->setTextFormat(Qt::PlainText);
  m_codeSize->setToolTip(tr("What is packed and uploaded: every file except .git and what .gitignore and "
                            ".spotwiseignore leave out."));
  jobForm->addRow(QString(), m_codeSize);
  addError(jobForm, QStringLiteral("codeDir"));
  m_command = lineEdit(QStringLiteral("commandLineEdit"), tr("e.g. python3 train.py --epochs 10"));
  m_command->setToolTip(tr("Run with sh -c in the code folder. It gets SPOTWISE_CHECKPOINT_DIR, SPOTWISE_PROGRESS_FILE, "
                           "SPOTWISE_ATTEMPT and SPOTWISE_JOB_ID, and must resume from the checkpoint folder."));
  jobForm->addRow(tr("Command"), m_command);
  addError(jobForm, QStringLiteral("command"));
  m_environment = new QPlainTextEdit(jobBox);
  m_environment->setObjectName(QStringLiteral("environmentTextEdit"));
  m_environment->setPlaceholderText(tr("NAME=value, one per line"));
  m_environment->setTabChangesFocus(true);
  // Four lines when there is room; it gives way to the error messages below it when there is not.
  m_environment->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
  m_environment->setMinimumHeight(m_environment->fontMetrics().lineSpacing() * 2 + 12);
  m_environment->setMaximumHeight(m_environment->fontMetrics().lineSpacing() * 4 + 12);
  connect(m_environment, &QPlainTextEdit::textChanged, this, &LaunchDialog::formChanged);
  jobForm->addRow(tr("Environment"), m_environment);
  addError(jobForm, QStringLiteral("environment"));
  m_storage = lineEdit(QStringLiteral("storageLineEdit"), QString());
  m_storage->setToolTip(tr("Where checkpoints, logs, status and results go: s3://bucket/prefix (AWS), gs://bucket/prefix "
                           "(GCP), az://account/container/prefix (Azure) or local:///folder (Local)."));
  jobForm->addRow(tr("Storage"), m_storage);
  addError(jobForm, QStringLiteral("storage"));

  // --- Checkpoints and recovery -------------------------------------------------------------------
  auto* recoveryBox = new QGroupBox(tr("Checkpoints and recovery"), this);
  auto* recoveryForm = new QFormLayout(recoveryBox);
  m_interval = lineEdit(QStringLiteral("intervalLineEdit"), tr("minutes"));
  m_interval->setToolTip(tr("How often checkpoints reach storage (your program should write one at least this often). "
                            "Prefilled with the planner's optimum for this offer; the estimate uses it."));
  recoveryForm->addRow(tr("Checkpoint every (min)"), m_interval);
  addError(recoveryForm, QStringLiteral("interval"));
  m_checkpoint = lineEdit(QStringLiteral("checkpointLineEdit"), tr("minutes"));
  m_checkpoint->setToolTip(tr("Minutes your program takes to write one checkpoint (for the estimate)."));
  recoveryForm->addRow(tr("Checkpoint takes (min)"), m_checkpoint);
  addError(recoveryForm, QStringLiteral("checkpoint"));
  m_signal = new QComboBox(recoveryBox);
  m_signal->setObjectName(QStringLiteral("signalComboBox"));
  for (const char* s : kSignals) m_signal->addItem(QString::fromLatin1(s));
  connect(m_signal, &QComboBox::currentIndexChanged, this, &LaunchDialog::formChanged);
  m_grace = spinBox(QStringLiteral("graceSpinBox"), 0, 3600);
  m_grace->setSuffix(tr(" s grace"));
  m_grace->setValue(30);
  m_grace->setToolTip(tr("Time the program gets after the signal to write its checkpoint before the final upload."));
  auto* signalRow = new QHBoxLayout;
  signalRow->addWidget(m_signal);
  signalRow->addWidget(m_grace);
  signalRow->addStretch(1);
  recoveryForm->addRow(tr("On preemption notice"), signalRow);
  addError(recoveryForm, QStringLiteral("signal"));
  addError(recoveryForm, QStringLiteral("grace"));
  m_sameRegion = new QCheckBox(tr("Relaunch in the same region first"), recoveryBox);
  m_sameRegion->setObjectName(QStringLiteral("sameRegionCheckBox"));
  m_sameRegion->setChecked(true);
  connect(m_sameRegion, &QCheckBox::toggled, this, &LaunchDialog::formChanged);
  recoveryForm->addRow(QString(), m_sameRegion);
  m_moveAfter = spinBox(QStringLiteral("moveAfterSpinBox"), 0, 1000);
  m_moveAfter->setValue(jobs::RecoveryPolicy{}.moveAfterPreemptions);
  m_moveAfter->setSuffix(tr(" preemptions"));
  m_moveAfter->setToolTip(tr("After this many preemptions in one place, move to the next-cheapest matching offer."));
  recoveryForm->addRow(tr("Next-cheapest offer after"), m_moveAfter);
  m_onDemandAfter = spinBox(QStringLiteral("onDemandAfterSpinBox"), 0, 1000);
  m_onDemandAfter->setSpecialValueText(tr("never"));
  m_onDemandAfter->setSuffix(tr(" preemptions"));
  m_onDemandAfter->setToolTip(tr("After this many preemptions in all, continue on on-demand capacity (costs more, "
                                 "never preempted). “never” keeps the job on spot."));
  recoveryForm->addRow(tr("On-demand after"), m_onDemandAfter);
  m_maxAttempts = spinBox(QStringLiteral("maxAttemptsSpinBox"), 0, 1000);
  m_maxAttempts->setValue(jobs::RecoveryPolicy{}.maxAttempts);
  m_maxAttempts->setToolTip(tr("Instances launched in all, the first included; then the job fails."));
  recoveryForm->addRow(tr("Maximum attempts"), m_maxAttempts);
  addError(recoveryForm, QStringLiteral("recovery"));

  // --- Budget and estimate ----------------------------------------------------------------------
  auto* budgetBox = new QGroupBox(tr("Budget and estimate"), this);
  auto* budgetForm = new QFormLayout;
  budgetForm->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  m_work = lineEdit(QStringLiteral("workLineEdit"), tr("hours on this machine"));
  m_work->setToolTip(tr("Hours of training on this machine without interruptions; only the estimate uses it."));
  budgetForm->addRow(tr("Work (h)"), m_work);
  addError(budgetForm, QStringLiteral("work"));
  m_budget = lineEdit(QStringLiteral("budgetLineEdit"), tr("$"));
  m_budget->setToolTip(tr("A hard cap: the job is stopped before its spend would pass it."));
  budgetForm->addRow(tr("Budget ($)"), m_budget);
  addError(budgetForm, QStringLiteral("budget"));
  m_maxRuntime = lineEdit(QStringLiteral("maxRuntimeLineEdit"), tr("hours"));
  m_maxRuntime->setToolTip(tr("Wall time from the first launch. The instance also powers itself off at this time, "
                              "even if this computer is never seen again."));
  budgetForm->addRow(tr("Maximum runtime (h)"), m_maxRuntime);
  addError(budgetForm, QStringLiteral("maxRuntime"));
  m_estimateLabel = new QLabel(budgetBox);
  m_estimateLabel->setObjectName(QStringLiteral("estimateLabel"));
  m_estimateLabel->setWordWrap(true);
  m_estimateLabel->setTextFormat(Qt::PlainText);
  m_estimateLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_estimateLabel->setAlignment(Qt::AlignLeft | Qt::AlignTop);
  m_estimateWarning = new QLabel(budgetBox);
  m_estimateWarning->setObjectName(QStringLiteral("estimateWarningLabel"));
  m_estimateWarning->setWordWrap(true);
  m_estimateWarning->setTextFormat(Qt::PlainText);
  m_estimateWarning->setStyleSheet(QStringLiteral("color: #8a5a00;"));
  m_estimateWarning->hide();
  auto* estimateColumn = new QVBoxLayout;
  estimateColumn->addWidget(m_estimateLabel);
  estimateColumn->addWidget(m_estimateWarning);
  estimateColumn->addStretch(1);
  auto* budgetLayout = new QHBoxLayout(budgetBox);
  budgetLayout->addLayout(budgetForm, 2);
  budgetLayout->addSpacing(16);
  budgetLayout->addLayout(estimateColumn, 3);

  // --- Buttons ----------------------------------------------------------------------------------
  m_status = new QLabel(this);
  m_status->setObjectName(QStringLiteral("statusLabel"));
  m_status->setWordWrap(true);
  m_status->setTextFormat(Qt::PlainText);
  m_load = new QPushButton(tr("Load…"), this);
  m_load->setObjectName(QStringLiteral("loadButton"));
  m_load->setToolTip(tr("Read a job file (job.json)"));
  m_load->setAutoDefault(false);
  m_save = new QPushButton(tr("Save…"), this);
  m_save->setObjectName(QStringLiteral("saveButton"));
  m_save->setToolTip(tr("Write this job as job.json, the file `spotwise-cli launch` reads"));
  m_save->setAutoDefault(false);
  auto* buttons = new QDialogButtonBox(this);
  QPushButton* cancel = buttons->addButton(QDialogButtonBox::Cancel);
  cancel->setObjectName(QStringLiteral("cancelButton"));
  m_launch = buttons->addButton(tr("Launch"), QDialogButtonBox::AcceptRole);
  m_launch->setObjectName(QStringLiteral("launchButton"));
  m_launch->setDefault(true);
  m_launch->setEnabled(false);
  connect(m_load, &QPushButton::clicked, this, &LaunchDialog::loadWithDialog);
  connect(m_save, &QPushButton::clicked, this, &LaunchDialog::saveWithDialog);
  connect(buttons, &QDialogButtonBox::accepted, this, &LaunchDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &LaunchDialog::reject);
  auto* bottom = new QHBoxLayout;
  bottom->addWidget(m_load);
  bottom->addWidget(m_save);
  bottom->addSpacing(12);
  bottom->addWidget(m_status, 1);
  bottom->addWidget(buttons);

  // The form scrolls: messages that wrap need their height for the width they get, which a scroll area
  // gives them (a window's minimum size does not), and small screens still reach every field.
  auto* form = new QWidget(this);
  form->setObjectName(QStringLiteral("launchForm"));
  auto* grid = new QGridLayout(form);
  grid->setContentsMargins(0, 0, 0, 0);
  grid->addWidget(offerBox, 0, 0, 1, 2);
  grid->addWidget(jobBox, 1, 0);
  grid->addWidget(recoveryBox, 1, 1);
  grid->addWidget(budgetBox, 2, 0, 1, 2);
  grid->setColumnStretch(0, 3);
  grid->setColumnStretch(1, 2);
  grid->setRowStretch(3, 1);
  auto* scroll = new QScrollArea(this);
  scroll->setWidget(form);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(scroll, 1);
  layout->addLayout(bottom);
  const int width = 1040;
  int height = form->heightForWidth(width) > 0 ? form->heightForWidth(width) : form->sizeHint().height();
  height += bottom->sizeHint().height() + 4 * layout->spacing() + 40;
  if (const QScreen* screen = this->screen()) height = std::min(height, screen->availableGeometry().height() - 60);
  resize(width, height);
}

// --- Reading the form -------------------------------------------------------------------------------

bool LaunchDialog::spotMarket() const { return m_market->currentData().toBool(); }
bool LaunchDialog::rehearsing() const { return m_rehearse->isChecked(); }

jobs::JobOffer LaunchDialog::currentJobOffer() const {
  jobs::JobOffer o = m_base;
  o.spot = spotMarket();
  const auto price = o.spot ? m_spotPrice : m_onDemandPrice;
  o.pricePerHour = price.value_or(0.0);
  o.onDemandPricePerHour = m_onDemandPrice;
  if (rehearsing()) {
    o.provider = "local";
    o.region = "local";
    o.zone.clear();
  }
  return o;
}

jobs::JobSpec LaunchDialog::spec() const {
  jobs::JobSpec s;
  s.name = toStdString(m_name->text().trimmed());
  s.offer = currentJobOffer();
  s.image = rehearsing() ? std::string() : toStdString(m_image->text().trimmed());
  const QString dir = m_codeDir->text().trimmed();
  s.codeDir = dir.isEmpty() ? std::filesystem::path() : std::filesystem::path(toStdString(QDir::fromNativeSeparators(dir)));
  s.command = toStdString(m_command->text().trimmed());
  const QStringList lines = m_environment->toPlainText().split(QLatin1Char('\n'));
  for (const QString& raw : lines) {
    const QString line = raw.trimmed();
    const auto eq = line.indexOf(QLatin1Char('='));
    if (line.isEmpty() || line.startsWith(QLatin1Char('#')) || eq <= 0) continue;
    s.environment[toStdString(line.left(eq).trimmed())] = toStdString(line.mid(eq + 1));
  }
  s.storage = toStdString(m_storage->text().trimmed());
  s.checkpointSignal = toStdString(m_signal->currentText());
  s.graceSeconds = m_grace->value();
  double value = 0;
  if (parseNumber(m_interval, value) == Parsed::Number) s.checkpointSyncSeconds = static_cast<int>(std::lround(std::clamp(value * 60.0, -1e9, 1e9)));
  s.recovery.sameRegionFirst = m_sameRegion->isChecked();
  s.recovery.moveAfterPreemptions = m_moveAfter->value();
  s.recovery.onDemandAfterPreemptions = m_onDemandAfter->value();
  s.recovery.maxAttempts = m_maxAttempts->value();
  s.budgetUsd = parseNumber(m_budget, value) == Parsed::Number ? value : 0.0;
  if (parseNumber(m_maxRuntime, value) == Parsed::Number) {
    s.maxRuntimeSeconds = static_cast<std::int64_t>(std::llround(std::clamp(value * 3600.0, -1e15, 1e15)));
  }
  s.nodeCount = m_nodeCount;
  return s;
}

QMap<QString, QString> LaunchDialog::formErrors() const {
  QMap<QString, QString> errors;
  const auto number = [&](QLineEdit* edit, const QString& field, const QString& emptyMessage) {
    double value = 0;
    switch (parseNumber(edit, value)) {
      case Parsed::Number: break;
      case Parsed::Empty: errors.insert(field, emptyMessage); break;
      case Parsed::Bad: errors.insert(field, tr("“%1” is not a number.").arg(edit->text().trimmed())); break;
    }
  };
  number(m_budget, QStringLiteral("budget"), tr("Enter the most this job may cost, in dollars."));
  number(m_maxRuntime, QStringLiteral("maxRuntime"), tr("Enter the longest this job may run, in hours."));
  number(m_interval, QStringLiteral("interval"), tr("Enter how often checkpoints reach storage, in minutes."));
  number(m_work, QStringLiteral("work"), tr("Enter the hours of training, for the estimate."));
  number(m_checkpoint, QStringLiteral("checkpoint"), tr("Enter the minutes one checkpoint takes, for the estimate."));

  QStringList envProblems;
  QSet<QString> seen;
  const QStringList lines = m_environment->toPlainText().split(QLatin1Char('\n'));
  for (int i = 0; i < lines.size(); ++i) {
    const QString line = lines[i].trimmed();
    if (line.isEmpty() || line.startsWith(QLatin1Char('#'))) continue;
    const auto eq = line.indexOf(QLatin1Char('='));
    if (eq <= 0) {
      envProblems << tr("Line %1: “%2” is not NAME=value.").arg(i + 1).arg(line);
      continue;
    }
    const QString name = line.left(eq).trimmed();
    if (seen.contains(name)) envProblems << tr("Line %1: %2 is set twice.").arg(i + 1).arg(name);
    seen.insert(name);
  }
  if (!envProblems.isEmpty()) errors.insert(QStringLiteral("environment"), envProblems.join(QLatin1Char('\n')));

  if (!m_scanOutcome.folder.isEmpty() && m_scanOutcome.folder == m_codeDir->text().trimmed() && m_scanOutcome.tooLarge) {
    errors.insert(QStringLiteral("codeDir"), m_scanOutcome.error);
  }
  if (!rehearsing() && m_base.provider == "local") {
    errors.insert(QStringLiteral("offer"), tr("This job file runs on Local: pick an offer on Prices or the Planner to run on a cloud."));
  }
  return errors;
}

std::optional<planner::PlanRequest> LaunchDialog::estimateRequest(QMap<QString, QString>& errors) const {
  planner::PlanRequest request = m_prefill.request;
  double work = 0, checkpoint = 0, interval = 0, budget = 0, runtime = 0;
  if (parseNumber(m_work, work) != Parsed::Number || parseNumber(m_checkpoint, checkpoint) != Parsed::Number ||
      parseNumber(m_interval, interval) != Parsed::Number) {
    return std::nullopt;
  }
  const int gpus = std::max(1, m_base.gpuCount);
  request.work.unit = planner::WorkUnit::GpuHours;
  request.work.gpuHours = work * gpus;
  request.gpuModel = m_base.gpuModel;
  request.gpuCount = gpus;
  request.checkpointMinutes = checkpoint;
  request.intervalHours = interval / 60.0;
  // The recovery policy the job will run under: moves after K preemptions on one offer, on-demand after M in
  // all, and no more than its maximum attempts.
  request.fallbackAfterPreemptions.reset();
  if (m_onDemandAfter->value() > 0 && spotMarket()) request.fallbackAfterPreemptions = m_onDemandAfter->value();
  request.moveAfterPreemptions.reset();
  if (m_moveAfter->value() > 0 && spotMarket()) request.moveAfterPreemptions = m_moveAfter->value();
  request.maxInstances.reset();
  if (m_maxAttempts->value() > 0) request.maxInstances = m_maxAttempts->value();
  request.budgetUsd.reset();
  if (parseNumber(m_budget, budget) == Parsed::Number) request.budgetUsd = budget;
  request.deadlineHours.reset();
  if (parseNumber(m_maxRuntime, runtime) == Parsed::Number) request.deadlineHours = runtime;
  request.runs = std::clamp(request.runs, 1000, 200000);  // the form answers in well under a second
  bool bad = false;
  for (const auto& e : planner::validateRequest(request)) {
    const QString field = planFieldName(e.field);
    // The job's own checks say it better for the fields they share.
    if (field == QLatin1String("budget") || field == QLatin1String("maxRuntime") || field == QLatin1String("recovery")) continue;
    if (!errors.contains(field)) errors.insert(field, sentence(e.message));
    bad = true;
  }
  if (bad) return std::nullopt;
  return request;
}

// --- Reacting to changes ------------------------------------------------------------------------------

void LaunchDialog::formChanged() {
  if (m_filling) return;
  ++m_generation;
  refreshFormErrors();
  m_checkTimer->start();
  m_estimateTimer->start();
}

void LaunchDialog::refreshFormErrors() {
  m_formErrors = formErrors();
  (void)estimateRequest(m_formErrors);
  showErrors();
  updateLaunchButton();
}

void LaunchDialog::codeDirChanged() {
  if (m_filling) return;
  m_scan.reset();
  m_codeSize->setText(tr("Measuring…"));
  m_codeSize->setStyleSheet(QString());
  m_scanTimer->start();
}

void LaunchDialog::rehearseToggled(bool rehearse) {
  if (m_filling) return;
  // Each mode keeps what was typed for it: the Local folder and the cloud bucket.
  if (rehearse) {
    m_cloudStorage = m_storage->text();
    m_storage->setText(m_localStorage);
  } else {
    m_localStorage = m_storage->text();
    m_storage->setText(m_cloudStorage);
  }
  updateOfferSummary();
  formChanged();
}

void LaunchDialog::marketChanged() {
  if (m_filling) return;
  updateOfferSummary();
  formChanged();
}

void LaunchDialog::updateOfferSummary() {
  const bool spot = m_market->count() ? spotMarket() : m_base.spot;
  {
    const QSignalBlocker block(m_market);
    m_market->clear();
    if (m_spotPrice) m_market->addItem(tr("Spot · %1").arg(hourlyPrice(*m_spotPrice)), true);
    if (m_onDemandPrice) m_market->addItem(tr("On-demand · %1").arg(hourlyPrice(*m_onDemandPrice)), false);
    m_market->setCurrentIndex(std::max(0, m_market->findData(spot)));
  }
  const QString provider = m_base.provider == "local" ? tr("Local") : toQString(pricing::providerDisplayName(
                                                                         pricing::parseProvider(m_base.provider).value_or(pricing::CloudProvider::Aws)));
  QString where = toQString(m_base.region);
  if (!m_base.zone.empty()) where += QStringLiteral(" (") + toQString(m_base.zone) + QLatin1Char(')');
  QString text = tr("%1 %2 · %3 × %4 · %5").arg(provider, toQString(m_base.instanceType)).arg(m_base.gpuCount).arg(toQString(m_base.gpuModel), where);
  if (rehearsing() && m_base.provider != "local") text += tr(" · rehearsed on this computer");
  m_offerLabel->setText(text);
  m_image->setEnabled(!rehearsing());
  m_launch->setText(rehearsing() ? tr("Rehearse") : tr("Launch"));
  m_storage->setPlaceholderText(rehearsing() ? toQString(defaultLocalStorage()) : toQString(storageExample(m_base.provider)));
}

void LaunchDialog::showErrors() {
  QMap<QString, QStringList> messages;
  for (auto it = m_formErrors.cbegin(); it != m_formErrors.cend(); ++it) messages[it.key()] << it.value();
  for (const auto& e : m_specErrors) {
    const auto [field, prefix] = fieldFor(e.field);
    // A field that cannot be read says so already; the placeholder value behind it is not the user's.
    if (m_formErrors.contains(field)) continue;
    messages[field] << prefix + sentence(e.message);
  }
  for (auto it = m_errorLabels.cbegin(); it != m_errorLabels.cend(); ++it) {
    const QStringList list = messages.value(it.key());
    it.value()->setText(list.join(QLatin1Char('\n')));
    it.value()->setVisible(!list.isEmpty());
  }
}

QString LaunchDialog::fieldError(const QString& field) const {
  const QLabel* label = m_errorLabels.value(field);
  return label && !label->isHidden() ? label->text() : QString();
}

bool LaunchDialog::isChecking() const { return m_checkedGeneration != m_generation || !m_scanPending.isEmpty() || m_scanTimer->isActive(); }

bool LaunchDialog::isEstimating() const { return m_estimatedGeneration != m_generation; }

bool LaunchDialog::isLaunchable() const { return m_launch->isEnabled(); }

void LaunchDialog::updateLaunchButton() {
  const bool current = m_checkedGeneration == m_generation;
  const bool valid = current && m_specErrors.empty() && m_formErrors.isEmpty();
  m_launch->setEnabled(valid);
  if (!current) {
    m_status->setText(tr("Checking…"));
  } else if (!valid) {
    m_status->setText(tr("Fix the fields marked in red to launch."));
  } else {
    m_status->setText(rehearsing() ? tr("Ready to rehearse on this computer: nothing is billed.")
                                   : tr("Ready to launch: this starts billing on %1.")
                                         .arg(toQString(pricing::providerDisplayName(
                                             pricing::parseProvider(m_base.provider).value_or(pricing::CloudProvider::Aws)))));
  }
}

// --- Background work --------------------------------------------------------------------------------

void LaunchDialog::startCheck() {
  const jobs::JobSpec s = spec();
  const int generation = m_generation;
  m_checkWatcher->setFuture(QtConcurrent::run(workPool(), [s, generation] {
    SpecCheck check{generation, jobs::validateJobSpec(s)};
    // A Local bucket is a folder on this computer: it must be there (a cloud bucket is checked at launch).
    if (auto location = jobs::parseStorageLocation(s.storage); location && location->scheme == "local") {
      std::error_code ec;
      if (!std::filesystem::is_directory(location->bucket, ec)) {
        check.errors.push_back({"storage", "folder " + location->bucket + " does not exist: create it, or use " +
                                               defaultLocalStorage()});
      }
    }
    return check;
  }));
}

void LaunchDialog::showCheck() {
  const SpecCheck result = m_checkWatcher->result();
  if (result.generation != m_generation) return;  // the form changed meanwhile; a newer check is on its way
  m_checkedGeneration = result.generation;
  m_specErrors = result.errors;
  showErrors();
  updateLaunchButton();
  Q_EMIT checked();
}

void LaunchDialog::startScan() {
  const QString folder = m_codeDir->text().trimmed();
  m_scanPending = folder.isEmpty() ? QStringLiteral("-") : folder;
  m_scanWatcher->setFuture(QtConcurrent::run(workPool(), [folder] {
    CodeScanOutcome outcome;
    outcome.folder = folder;
    if (folder.isEmpty()) return outcome;
    agent::CodeBundleOptions options;
    options.maxBytes = kScanCapBytes;
    auto scan = agent::scanCodeFolder(toStdString(QDir::fromNativeSeparators(folder)), options);
    if (scan) {
      outcome.scan = *scan;
      if (scan->totalBytes > jobs::ValidationLimits{}.maxCodeBytes) {
        outcome.tooLarge = true;
        outcome.error = QObject::tr("%1 to upload after the ignore rules: more than the %2 limit. Keep data sets in "
                                    "storage and list big files in .spotwiseignore.")
                            .arg(toQString(agent::formatBytes(scan->totalBytes)),
                                 toQString(agent::formatBytes(jobs::ValidationLimits{}.maxCodeBytes)));
      }
    } else if (scan.error().message.find("holds more than") != std::string::npos) {
      outcome.tooLarge = true;
      outcome.error = QObject::tr("More than %1 to upload after the ignore rules: the limit is %2. Keep data sets in "
                                  "storage and list big files in .spotwiseignore.")
                          .arg(toQString(agent::formatBytes(kScanCapBytes)),
                               toQString(agent::formatBytes(jobs::ValidationLimits{}.maxCodeBytes)));
    } else {
      outcome.error = toQString(scan.error().message);
    }
    return outcome;
  }));
}

void LaunchDialog::showScan() {
  const CodeScanOutcome outcome = m_scanWatcher->result();
  const QString folder = m_codeDir->text().trimmed();
  if (outcome.folder != folder) return;  // the folder changed meanwhile; its own scan is on its way
  m_scanPending.clear();
  m_scanOutcome = outcome;
  m_scan = outcome.scan;
  if (outcome.scan) {
    const auto& s = *outcome.scan;
    const QString bytes = toQString(agent::formatBytes(s.totalBytes));
    QString text = s.files.size() == 1 ? tr("1 file, %1 to upload").arg(bytes) : tr("%1 files, %2 to upload").arg(s.files.size()).arg(bytes);
    if (s.ignoredEntries > 0) text += tr(" · %1 left out by .gitignore/.spotwiseignore").arg(s.ignoredEntries);
    if (!outcome.tooLarge && s.totalBytes > kLargeCodeBytes) {
      text += tr("\nLarge: this is uploaded with every launch. Keep data sets in storage and list them in .spotwiseignore.");
      m_codeSize->setStyleSheet(QStringLiteral("color: #8a5a00;"));
    } else {
      m_codeSize->setStyleSheet(QString());
    }
    m_codeSize->setText(text);
  } else {
    m_codeSize->setStyleSheet(QString());
    m_codeSize->setText(outcome.tooLarge || folder.isEmpty() ? QString() : tr("Nothing to upload yet."));
  }
  refreshFormErrors();
  Q_EMIT checked();
}

void LaunchDialog::startEstimate() {
  QMap<QString, QString> ignored;
  const auto request = estimateRequest(ignored);
  m_estimateGeneration = m_generation;
  if (!request || !m_pricingOffer) {
    m_estimateWatcher->setFuture(QFuture<EstimateOutcome>());
    m_estimatedGeneration = m_generation;
    m_estimate.reset();
    m_estimateError = !m_pricingOffer ? tr("No estimate: the offer this Local job rehearses is not known. Open the form from "
                                           "Prices or the Planner to see one.")
                                      : tr("No estimate until the fields in red are fixed.");
    m_estimateLabel->setText(m_estimateError);
    m_estimateWarning->hide();
    Q_EMIT estimated();
    return;
  }
  pricing::Offer offer = *m_pricingOffer;
  planner::PlanRequest r = *request;
  std::vector<pricing::Offer> alternatives;
  if (!spotMarket()) {
    // On-demand is never preempted: the planner's model with a rate of zero at the on-demand price.
    offer.spot = offer.onDemand;
    r.hazard.offerOverrides[planner::offerKey(offer)] = 0.0;
    r.fallbackAfterPreemptions.reset();
  } else if (r.moveAfterPreemptions) {
    // The places the job would try, in the controller's own order (jobs::placementOrder), as catalog offers.
    std::vector<jobs::Placement> placements;
    std::vector<const pricing::Offer*> offers;
    for (const auto& a : m_prefill.alternatives) {
      if (a.provider != offer.provider || a.gpuModel != offer.gpuModel || a.gpuCount != offer.gpuCount || !a.spot) continue;
      placements.push_back({a.region, a.zone, a.instanceType, true, a.spot->usdPerHour});
      offers.push_back(&a);
    }
    jobs::JobSpec job = spec();
    job.offer = jobOfferFor(offer, true, false);
    const jobs::Placement primary = jobs::primaryPlacement(job);
    std::vector<pricing::Offer> order;
    for (const auto& p : jobs::placementOrder(job, placements)) {
      if (p.samePlaceAs(primary)) {
        order.push_back(offer);
        continue;
      }
      for (std::size_t i = 0; i < placements.size(); ++i) {
        if (placements[i].samePlaceAs(p)) {
          order.push_back(*offers[i]);
          break;
        }
      }
    }
    if (order.size() > 1) {
      // The first instance goes to the first place (the job's own unless "same region first" is off); the
      // on-demand fallback stays on the job's own offer.
      const auto onDemand = offer.onDemand;
      offer = order.front();
      offer.onDemand = onDemand;
      alternatives.assign(order.begin() + 1, order.end());
    }
  }
  const int generation = m_generation;
  m_estimateLabel->setText(tr("Estimating…"));
  m_estimateWatcher->setFuture(QtConcurrent::run(workPool(), [offer, r, alternatives, generation] {
    EstimateOutcome outcome;
    outcome.generation = generation;
    outcome.alternatives = static_cast<int>(std::min(alternatives.size(), planner::SimulationSpec::kMaxAlternatives));
    auto plan = planner::planOffer(offer, r, alternatives);
    if (plan) {
      outcome.plan = std::move(plan).value();
    } else {
      outcome.error = toQString(plan.error().message);
    }
    return outcome;
  }));
}

void LaunchDialog::showEstimate() {
  const EstimateOutcome outcome = m_estimateWatcher->result();
  if (outcome.generation != m_generation) return;
  m_estimatedGeneration = outcome.generation;
  m_estimate = outcome.plan;
  m_estimateError = outcome.error;
  QStringList warnings;
  if (!m_estimate) {
    m_estimateLabel->setText(tr("No estimate: %1").arg(m_estimateError));
  } else {
    const auto& p = *m_estimate;
    const auto& sim = p.simulation;
    QStringList lines;
    lines << tr("Expected cost %1 · P90 %2").arg(money(sim.costUsd.mean), money(sim.costUsd.p90));
    lines << tr("Expected time %1 · P90 %2 · %3 preemptions on average")
                 .arg(hours(sim.hours.mean), hours(sim.hours.p90), formatNumber(sim.meanPreemptions, 1));
    if (!spotMarket()) {
      lines << tr("On-demand: never preempted.");
    } else {
      lines << tr("Preemption rate %1 per hour (%2)")
                   .arg(QLocale().toString(p.hazard.ratePerHour, 'g', 2), toQString(planner::hazardSourceName(p.hazard.source)));
      if (p.advice.exact) lines << tr("Optimum checkpoint interval for these inputs: every %1").arg(hours(*p.advice.exact));
      lines << recoveryLine(sim, outcome.alternatives);
    }
    if (rehearsing()) lines << tr("Rehearsal: spend is simulated at this price, nothing is billed.");
    m_estimateLabel->setText(lines.join(QLatin1Char('\n')));
    m_estimateLabel->setToolTip(toQString(p.hazard.basis));
    if (sim.budgetProbability && *sim.budgetProbability < 0.9) {
      warnings << tr("Only %1 % of simulated runs finish within this budget: the others would be stopped before the end.")
                      .arg(formatNumber(*sim.budgetProbability * 100.0, 0));
    }
    if (sim.instancesProbability && *sim.instancesProbability < 0.9) {
      warnings << tr("Only %1 % of simulated runs finish within %2 attempt(s): the others would fail first.")
                      .arg(formatNumber(*sim.instancesProbability * 100.0, 0))
                      .arg(m_maxAttempts->value());
    }
    if (sim.deadlineProbability && *sim.deadlineProbability < 0.9) {
      warnings << tr("Only %1 % of simulated runs finish within the maximum runtime.").arg(formatNumber(*sim.deadlineProbability * 100.0, 0));
    }
  }
  m_estimateWarning->setText(warnings.join(QLatin1Char('\n')));
  m_estimateWarning->setVisible(!warnings.isEmpty());
  Q_EMIT estimated();
}

QString LaunchDialog::recoveryLine(const planner::SimulationResult& sim, int alternatives) const {
  QStringList parts;
  const int k = m_moveAfter->value();
  if (alternatives > 0) {
    parts << tr("%1 % of runs move to another offer after %2 preemption(s) on one (%3 known)")
                 .arg(formatNumber(sim.movedShare * 100.0, 1))
                 .arg(k)
                 .arg(alternatives);
  } else {
    parts << tr("after %1 preemption(s) the job stays on this offer: no other offer is known to move to").arg(k);
  }
  if (m_onDemandAfter->value() > 0) {
    parts << tr("%1 % end on on-demand").arg(formatNumber(sim.fallbackShare * 100.0, 1));
  }
  QString line = parts.join(QStringLiteral("; "));
  line[0] = line[0].toUpper();
  return line + QLatin1Char('.');
}

// --- Files and folders -------------------------------------------------------------------------------

void LaunchDialog::chooseCodeFolder() {
  const QString folder = QFileDialog::getExistingDirectory(this, tr("Code folder"), m_codeDir->text());
  if (!folder.isEmpty()) m_codeDir->setText(QDir::toNativeSeparators(folder));
}

void LaunchDialog::saveWithDialog() {
  // *.spotwise.json: the job-file type the desktop opens in Spotwise (a double-click opens this form).
  const QString suggested =
      QDir(QDir::homePath()).filePath((m_name->text().trimmed().isEmpty() ? QStringLiteral("job") : m_name->text().trimmed()) +
                                      QStringLiteral(".spotwise.json"));
  const QString path =
      QFileDialog::getSaveFileName(this, tr("Save job"), suggested, tr("Job files (*.spotwise.json *.json)"));
  if (!path.isEmpty()) saveSpec(path);
}

void LaunchDialog::loadWithDialog() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Load job"), QDir::homePath(), tr("Job files (*.spotwise.json *.json)"));
  if (!path.isEmpty()) loadSpec(path);
}

bool LaunchDialog::saveSpec(const QString& path) {
  if (auto saved = jobs::saveJobSpec(spec(), toStdString(path)); !saved) {
    m_status->setText(toQString(saved.error().message));
    return false;
  }
  m_status->setText(tr("Saved %1. `spotwise-cli launch %1` launches it from a terminal.").arg(QDir::toNativeSeparators(path)));
  return true;
}

bool LaunchDialog::loadSpec(const QString& path) {
  auto loaded = jobs::loadJobSpec(toStdString(path));
  if (!loaded) {
    m_status->setText(toQString(loaded.error().message));
    return false;
  }
  setSpec(*loaded);
  return true;
}

void LaunchDialog::setSpec(const jobs::JobSpec& s) {
  m_filling = true;
  const jobs::JobOffer& o = s.offer;
  const bool local = o.provider == "local";
  // The catalog offer stays behind the estimate when the file names the same machine.
  const bool sameMachine = o.instanceType == m_base.instanceType && o.gpuModel == m_base.gpuModel && o.gpuCount == m_base.gpuCount;
  const bool samePlace = sameMachine && o.provider == m_base.provider && o.region == m_base.region && o.zone == m_base.zone;
  if (!(local && sameMachine && m_base.provider != "local")) {
    m_base = o;
    if (local) {
      m_pricingOffer.reset();
    } else if (!samePlace || !m_pricingOffer) {
      m_pricingOffer = pricing::parseProvider(o.provider) ? std::optional<pricing::Offer>(machineOfJobOffer(o)) : std::nullopt;
    }
  }
  // The file's prices are the ones the job runs (and its spend is counted) at.
  if (o.spot) {
    m_spotPrice = o.pricePerHour;
  } else {
    m_onDemandPrice = o.pricePerHour;
  }
  if (o.onDemandPricePerHour) m_onDemandPrice = o.onDemandPricePerHour;
  if (!o.spot && !o.onDemandPricePerHour) m_onDemandPrice = o.pricePerHour;
  if (m_pricingOffer) {
    m_pricingOffer->spot.reset();
    m_pricingOffer->onDemand.reset();
    if (m_spotPrice) m_pricingOffer->spot = pricing::Price{*m_spotPrice, "job file", 0};
    if (m_onDemandPrice) m_pricingOffer->onDemand = pricing::Price{*m_onDemandPrice, "job file", 0};
  }
  {
    const QSignalBlocker block(m_market);
    m_market->clear();
    if (m_spotPrice) m_market->addItem(QString(), true);
    if (m_onDemandPrice) m_market->addItem(QString(), false);
    m_market->setCurrentIndex(std::max(0, m_market->findData(o.spot)));
  }
  m_rehearse->setChecked(local);
  m_rehearse->setEnabled(m_base.provider != "local" || !local);
  if (local) {
    m_localStorage = toQString(s.storage);
  } else {
    m_cloudStorage = toQString(s.storage);
  }
  m_name->setText(toQString(s.name));
  m_image->setText(toQString(s.image));
  m_codeDir->setText(QDir::toNativeSeparators(toQString(s.codeDir.string())));
  m_command->setText(toQString(s.command));
  QStringList env;
  for (const auto& [key, value] : s.environment) env << toQString(key) + QLatin1Char('=') + toQString(value);
  m_environment->setPlainText(env.join(QLatin1Char('\n')));
  m_storage->setText(toQString(s.storage));
  const QString signal = toQString(s.checkpointSignal);
  if (m_signal->findText(signal) < 0) m_signal->addItem(signal);  // shown, and explained as invalid
  m_signal->setCurrentIndex(m_signal->findText(signal));
  m_grace->setValue(s.graceSeconds);
  m_interval->setText(formatNumber(s.checkpointSyncSeconds / 60.0, 2));
  m_sameRegion->setChecked(s.recovery.sameRegionFirst);
  m_moveAfter->setValue(s.recovery.moveAfterPreemptions);
  m_onDemandAfter->setValue(s.recovery.onDemandAfterPreemptions);
  m_maxAttempts->setValue(s.recovery.maxAttempts);
  m_budget->setText(formatNumber(s.budgetUsd, 2));
  m_maxRuntime->setText(formatNumber(static_cast<double>(s.maxRuntimeSeconds) / 3600.0, 4));
  m_nodeCount = s.nodeCount;
  m_filling = false;
  updateOfferSummary();
  codeDirChanged();
  formChanged();
}

void LaunchDialog::accept() {
  if (!isLaunchable()) return;
  const jobs::JobSpec s = spec();
  if (!rehearsing()) QSettings().setValue(QStringLiteral("launch/storage/") + toQString(s.offer.provider), toQString(s.storage));
  Q_EMIT launchRequested(s);
  QDialog::accept();
}

}  // namespace spotwise::ui
