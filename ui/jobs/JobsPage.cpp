#include "ui/jobs/JobsPage.h"

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QDateTime>
#include <QFile>
#include <QFontDatabase>
#include <QFrame>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineSeries>
#include <QMessageBox>
#include <QPainter>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSplitter>
#include <QStackedWidget>
#include <QStyledItemDelegate>
#include <QTabWidget>
#include <QTableView>
#include <QThread>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <fstream>
#include <system_error>

#include "ui/jobs/AttemptsTimeline.h"
#include "ui/jobs/JobTableModel.h"

namespace spotwise::ui {

namespace {

namespace fs = std::filesystem;

QString qs(const std::string& s) { return QString::fromStdString(s); }

/** Paints the Progress column as a progress bar with "step / total" on it. */
class ProgressDelegate : public QStyledItemDelegate {
 public:
  using QStyledItemDelegate::QStyledItemDelegate;
  void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override {
    const double fraction = index.data(JobTableModel::kFractionRole).toDouble();
    if (fraction < 0) {
      QStyledItemDelegate::paint(painter, option, index);
      return;
    }
    if (option.state & QStyle::State_Selected) painter->fillRect(option.rect, option.palette.highlight());
    QStyleOptionProgressBar bar;
    bar.rect = option.rect.adjusted(3, 3, -3, -3);
    bar.minimum = 0;
    bar.maximum = 1000;
    bar.progress = static_cast<int>(fraction * 1000.0 + 0.5);
    bar.text = index.data(Qt::DisplayRole).toString();
    bar.textVisible = true;
    bar.textAlignment = Qt::AlignCenter;
    bar.state = option.state | QStyle::State_Horizontal;
    const QWidget* widget = option.widget;
    QStyle* style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ProgressBar, &bar, painter, widget);
  }
  QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override {
    QSize size = QStyledItemDelegate::sizeHint(option, index);
    return {std::max(size.width(), 140), size.height()};
  }
};

QLabel* heading(const QString& text, QWidget* parent, double scale = 1.4) {
  auto* label = new QLabel(text, parent);
  QFont font = label->font();
  font.setPointSizeF(font.pointSizeF() * scale);
  font.setBold(true);
  label->setFont(font);
  return label;
}

}  // namespace

JobsPage::JobsPage(QWidget* parent) : QWidget(parent), m_model(new JobTableModel(this)) {
  setObjectName(QStringLiteral("jobsPage"));
  qRegisterMetaType<JobsSnapshot>();
  qRegisterMetaType<JobDetail>();
  qRegisterMetaType<StartupReport>();
  qRegisterMetaType<JobNotice>();
  qRegisterMetaType<jobs::JobSpec>();

  m_status = new QLabel(tr("Job supervision has not started."), this);
  m_status->setObjectName(QStringLiteral("jobsStatusLabel"));
  m_status->setTextFormat(Qt::PlainText);

  m_error = new QLabel(this);
  m_error->setObjectName(QStringLiteral("jobsErrorLabel"));
  m_error->setWordWrap(true);
  m_error->setTextFormat(Qt::PlainText);
  m_error->setStyleSheet(QStringLiteral("color: #c62828;"));
  m_error->hide();

  m_startupBox = new QFrame(this);
  m_startupBox->setObjectName(QStringLiteral("startupReportFrame"));
  m_startupBox->setFrameShape(QFrame::StyledPanel);
  m_startupLabel = new QLabel(m_startupBox);
  m_startupLabel->setObjectName(QStringLiteral("startupReportLabel"));
  m_startupLabel->setWordWrap(true);
  m_startupLabel->setTextFormat(Qt::PlainText);
  m_terminateOrphans = new QPushButton(tr("Terminate orphans…"), m_startupBox);
  m_terminateOrphans->setObjectName(QStringLiteral("terminateOrphansButton"));
  m_terminateOrphans->hide();
  connect(m_terminateOrphans, &QPushButton::clicked, this, &JobsPage::terminateOrphans);
  auto* dismiss = new QPushButton(tr("Dismiss"), m_startupBox);
  connect(dismiss, &QPushButton::clicked, m_startupBox, &QWidget::hide);
  auto* startupLayout = new QHBoxLayout(m_startupBox);
  startupLayout->addWidget(m_startupLabel, 1);
  startupLayout->addWidget(m_terminateOrphans);
  startupLayout->addWidget(dismiss);
  m_startupBox->hide();

  // Empty state: what a newcomer does first.
  m_empty = new QWidget(this);
  m_empty->setObjectName(QStringLiteral("jobsEmptyState"));
  // Its rich text is set when the page is first shown (showEvent): laying it out is the costliest
  // thing in this page, and the app starts on the Prices page.
  m_emptyText = new QLabel(m_empty);
  auto* emptyText = m_emptyText;
  emptyText->setWordWrap(true);
  emptyText->setTextFormat(Qt::RichText);
  m_launchExample = new QPushButton(tr("Launch the example on Local"), m_empty);
  m_launchExample->setObjectName(QStringLiteral("launchExampleButton"));
  connect(m_launchExample, &QPushButton::clicked, this, &JobsPage::launchExample);
  auto* emptyLayout = new QVBoxLayout(m_empty);
  emptyLayout->addStretch(1);
  emptyLayout->addWidget(emptyText);
  emptyLayout->addWidget(m_launchExample, 0, Qt::AlignLeft);
  emptyLayout->addStretch(2);

  m_table = new QTableView(this);
  m_table->setObjectName(QStringLiteral("jobsTableView"));
  m_table->setModel(m_model);
  m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_table->setSelectionMode(QAbstractItemView::SingleSelection);
  m_table->setItemDelegateForColumn(JobTableModel::ProgressColumn, new ProgressDelegate(m_table));
  m_table->verticalHeader()->hide();
  m_table->horizontalHeader()->setStretchLastSection(true);
  m_table->horizontalHeader()->setSectionResizeMode(JobTableModel::NameColumn, QHeaderView::Interactive);
  m_table->setColumnWidth(JobTableModel::NameColumn, 170);
  m_table->setColumnWidth(JobTableModel::OfferColumn, 215);
  m_table->setColumnWidth(JobTableModel::StateColumn, 105);
  m_table->setColumnWidth(JobTableModel::ProgressColumn, 150);
  m_table->setColumnWidth(JobTableModel::EtaColumn, 80);
  m_table->setColumnWidth(JobTableModel::SpendColumn, 130);
  connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex& current) {
    const QString id = current.data(JobTableModel::kJobIdRole).toString();
    if (id.isEmpty() || id == m_selectedId) return;
    m_selectedId = id;
    updateDetailHeader();
    if (m_supervisor) QMetaObject::invokeMethod(m_supervisor, "select", Qt::QueuedConnection, Q_ARG(QString, id));
  });

  m_detail = new QWidget(this);
  m_detail->setObjectName(QStringLiteral("jobDetail"));
  buildDetail(m_detail);

  auto* splitter = new QSplitter(Qt::Vertical, this);
  splitter->addWidget(m_table);
  splitter->addWidget(m_detail);
  splitter->setStretchFactor(0, 2);
  splitter->setStretchFactor(1, 3);

  m_stack = new QStackedWidget(this);
  m_stack->addWidget(m_empty);
  m_stack->addWidget(splitter);

  auto* top = new QHBoxLayout;
  top->addWidget(heading(tr("Jobs"), this));
  top->addStretch(1);
  top->addWidget(m_status);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(top);
  layout->addWidget(m_startupBox);
  layout->addWidget(m_error);
  layout->addWidget(m_stack, 1);
}

void JobsPage::showEvent(QShowEvent* event) {
  if (m_emptyText->text().isEmpty()) {
    m_emptyText->setText(
        tr("<p><b>No jobs yet.</b></p>"
           "<p>See the whole loop on this computer first, without a cloud account: the <b>Local</b> provider runs "
           "the example training program (<tt>resources/examples/train.py</tt>) under the same agent a cloud "
           "instance gets, with checkpoints, <b>Preempt now</b> to rehearse a spot interruption, and spend simulated "
           "at a T4's spot price. Nothing is billed.</p>"
           "<p>To run on a cloud GPU, pick an offer on the <b>Prices</b> or <b>Planner</b> page and click "
           "<b>Launch</b>. From a terminal: <tt>spotwise-cli launch job.json</tt>.</p>"));
  }
  QWidget::showEvent(event);
}

JobsPage::~JobsPage() {
  if (m_thread) {
    // The supervisor (and the runtime it owns) is deleted on its own thread once the loop ends; a
    // poll in progress finishes first (provider calls have deadlines).
    m_thread->quit();
    m_thread->wait();
  }
}

void JobsPage::buildDetail(QWidget* detail) {
  m_detailTitle = heading(tr("Select a job"), detail, 1.15);
  m_detailTitle->setObjectName(QStringLiteral("jobDetailTitle"));
  m_detailInfo = new QLabel(detail);
  m_detailInfo->setObjectName(QStringLiteral("jobDetailInfo"));
  m_detailInfo->setWordWrap(true);
  m_detailInfo->setTextFormat(Qt::PlainText);
  m_detailInfo->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_stop = new QPushButton(tr("Stop…"), detail);
  m_stop->setObjectName(QStringLiteral("stopJobButton"));
  m_stop->setToolTip(tr("Terminate the job's instance and wait until the provider confirms it is gone"));
  m_stop->setEnabled(false);
  connect(m_stop, &QPushButton::clicked, this, &JobsPage::stopSelected);
  m_preempt = new QPushButton(tr("Preempt now"), detail);
  m_preempt->setObjectName(QStringLiteral("preemptNowButton"));
  m_preempt->setToolTip(tr("Rehearsal: send the Local instance a spot interruption notice now, as a cloud would"));
  m_preempt->setEnabled(false);
  m_preempt->hide();
  connect(m_preempt, &QPushButton::clicked, this, &JobsPage::preemptSelected);

  m_timeline = new AttemptsTimeline(detail);

  m_spendSeries = new QLineSeries;
  m_spendSeries->setName(tr("Spend"));
  m_budgetSeries = new QLineSeries;
  m_budgetSeries->setName(tr("Budget"));
  QPen budgetPen(QColor(0xc6, 0x28, 0x28));
  budgetPen.setStyle(Qt::DashLine);
  m_budgetSeries->setPen(budgetPen);
  auto* chart = new QChart;
  chart->addSeries(m_spendSeries);
  chart->addSeries(m_budgetSeries);
  chart->setTitle(tr("Cumulative spend"));
  chart->legend()->setAlignment(Qt::AlignBottom);
  chart->setMargins(QMargins(4, 4, 4, 4));
  m_spendX = new QValueAxis;
  m_spendX->setTitleText(tr("minutes since launch"));
  m_spendX->setLabelFormat(QStringLiteral("%.0f"));
  m_spendY = new QValueAxis;
  m_spendY->setLabelFormat(QStringLiteral("$%.2f"));
  chart->addAxis(m_spendX, Qt::AlignBottom);
  chart->addAxis(m_spendY, Qt::AlignLeft);
  for (auto* s : {m_spendSeries, m_budgetSeries}) {
    s->attachAxis(m_spendX);
    s->attachAxis(m_spendY);
  }
  m_spendView = new QChartView(chart, detail);
  m_spendView->setObjectName(QStringLiteral("spendChartView"));
  m_spendView->setRenderHint(QPainter::Antialiasing);
  m_spendView->setMinimumHeight(160);

  m_log = new QPlainTextEdit(detail);
  m_log->setObjectName(QStringLiteral("logTailTextEdit"));
  m_log->setReadOnly(true);
  m_log->setLineWrapMode(QPlainTextEdit::NoWrap);
  m_log->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  m_history = new QPlainTextEdit(detail);
  m_history->setObjectName(QStringLiteral("historyTextEdit"));
  m_history->setReadOnly(true);
  m_history->setLineWrapMode(QPlainTextEdit::NoWrap);
  auto* tabs = new QTabWidget(detail);
  tabs->addTab(m_log, tr("Log"));
  tabs->addTab(m_history, tr("History"));

  auto* header = new QHBoxLayout;
  header->addWidget(m_detailTitle, 1);
  header->addWidget(m_preempt);
  header->addWidget(m_stop);
  auto* left = new QVBoxLayout;
  left->addWidget(new QLabel(tr("Attempts (▼ preemption)"), detail));
  left->addWidget(m_timeline);
  left->addWidget(m_spendView, 1);
  auto* body = new QHBoxLayout;
  body->addLayout(left, 1);
  body->addWidget(tabs, 1);
  auto* layout = new QVBoxLayout(detail);
  layout->setContentsMargins(0, 4, 0, 0);
  layout->addLayout(header);
  layout->addWidget(m_detailInfo);
  layout->addLayout(body, 1);
}

jobs::RuntimeOptions JobsPage::defaultRuntimeOptions() {
  jobs::RuntimeOptions options;
  options.controller.pollIntervalMs = 10'000;
  options.agent.heartbeatSeconds = 10;
  options.providers.rehearsal.noticeSeconds = 120;  // as AWS gives; "Preempt now" rehearses the real thing
  return options;
}

Result<jobs::JobSpec> JobsPage::exampleSpec(const fs::path& codeDir, const fs::path& bucket) {
  std::error_code ec;
  fs::create_directories(codeDir, ec);
  if (!ec) fs::create_directories(bucket, ec);
  if (ec) return makeError(ErrorCode::PermissionDenied, "Example: cannot create " + codeDir.string() + ": " + ec.message());
  QFile source(QStringLiteral(":/examples/train.py"));
  if (!source.open(QIODevice::ReadOnly)) {
    return makeError(ErrorCode::NotFound, "Example: the example program is not embedded in this build");
  }
  const QByteArray program = source.readAll();
  // Written only when it differs, and atomically: a job launched a moment ago may be packing this folder.
  const fs::path target = codeDir / "train.py";
  QFile current(QString::fromStdString(target.string()));
  if (!current.open(QIODevice::ReadOnly) || current.readAll() != program) {
    const fs::path partial = codeDir / ".train.py.partial";
    {
      std::ofstream out(partial, std::ios::binary | std::ios::trunc);
      out.write(program.constData(), program.size());
      if (!out.flush()) return makeError(ErrorCode::PermissionDenied, "Example: cannot write " + partial.string());
    }
    fs::rename(partial, target, ec);
    if (ec) return makeError(ErrorCode::PermissionDenied, "Example: cannot write " + target.string() + ": " + ec.message());
  }

  jobs::JobSpec spec;
  spec.name = "example";
  // A T4 at a typical spot price ($0.16/h, on-demand $0.53/h): the rehearsal's simulated spend.
  spec.offer = {"local", "local", "", "sim-t4", true, 0.16, 0.53, "T4", 1};
  spec.codeDir = codeDir;
  spec.command = "python3 train.py --steps 3000 --step-seconds 0.1 --checkpoint-every 100";
  spec.storage = "local://" + bucket.string();
  spec.budgetUsd = 1.0;
  spec.graceSeconds = 10;
  spec.checkpointSyncSeconds = 15;
  spec.maxRuntimeSeconds = 2 * 3600;
  return spec;
}

void JobsPage::start(jobs::RuntimeOptions options, int refreshMs) {
  if (m_supervisor) return;
  if (options.providers.localRoot.empty()) options.providers.localRoot = jobs::defaultLocalRoot();
  m_options = options;
  m_thread = new QThread(this);
  m_thread->setObjectName(QStringLiteral("JobsSupervisor"));
  m_supervisor = new JobsSupervisor(std::move(options), refreshMs);
  m_supervisor->moveToThread(m_thread);
  connect(m_thread, &QThread::finished, m_supervisor, &QObject::deleteLater);
  connect(m_supervisor, &JobsSupervisor::opened, this, &JobsPage::applyStartup);
  connect(m_supervisor, &JobsSupervisor::snapshotReady, this, &JobsPage::applySnapshot);
  connect(m_supervisor, &JobsSupervisor::detailReady, this, &JobsPage::applyDetail);
  connect(m_supervisor, &JobsSupervisor::notice, this, &JobsPage::applyNotice);
  connect(m_supervisor, &JobsSupervisor::actionFailed, this, &JobsPage::showInlineError);
  connect(m_supervisor, &JobsSupervisor::ticked, this, [this](qint64 ms, const QStringList& errors) {
    if (!errors.isEmpty()) {
      m_status->setText(tr("Last poll met %n problem(s); retrying", nullptr, static_cast<int>(errors.size())));
      m_status->setToolTip(errors.join(QLatin1Char('\n')));
    } else {
      m_status->setToolTip({});
    }
    Q_EMIT ticked(ms);
  });
  connect(m_supervisor, &JobsSupervisor::orphansTerminated, this, [this](int count) {
    m_orphans.clear();
    m_terminateOrphans->hide();
    m_startupLabel->setText(tr("Terminated %n orphan instance(s).", nullptr, count));
  });
  connect(m_supervisor, &JobsSupervisor::submitted, this, [this](quint64 request, const QString& id, const QString& error) {
    if (request == m_pendingLaunch) m_pendingLaunch = 0;
    m_launchExample->setEnabled(true);
    if (!error.isEmpty()) {
      showInlineError(tr("Launch failed: %1").arg(error));
      Q_EMIT launchFailed(error);
      return;
    }
    m_error->hide();
    m_selectedId = id;
    updateDetailHeader();
    Q_EMIT jobLaunched(id);
  });
  m_thread->start();
  m_status->setText(tr("Reconciling with the providers…"));
  QMetaObject::invokeMethod(m_supervisor, "open", Qt::QueuedConnection);
}

void JobsPage::launch(const jobs::JobSpec& spec) {
  if (!m_supervisor) {
    const QString message = tr("Jobs are not supervised in this window.");
    showInlineError(tr("Launch failed: %1").arg(message));
    Q_EMIT launchFailed(message);
    return;
  }
  m_pendingLaunch = m_nextRequest++;
  QMetaObject::invokeMethod(m_supervisor, "submit", Qt::QueuedConnection, Q_ARG(quint64, m_pendingLaunch),
                            Q_ARG(spotwise::jobs::JobSpec, spec));
}

void JobsPage::launchExample() {
  const fs::path root = m_options.providers.localRoot.empty() ? jobs::defaultLocalRoot() : m_options.providers.localRoot;
  auto spec = exampleSpec(root / "examples", root / "bucket");
  if (!spec) {
    showInlineError(tr("Launch failed: %1").arg(qs(spec.error().message)));
    Q_EMIT launchFailed(qs(spec.error().message));
    return;
  }
  m_launchExample->setEnabled(false);
  launch(*spec);
}

int JobsPage::activeJobCount() const { return m_model->activeCount(); }

void JobsPage::selectJob(const QString& jobId) {
  const int row = m_model->rowOf(jobId);
  m_selectedId = jobId;
  if (row >= 0) m_table->selectRow(row);
  updateDetailHeader();
  if (m_supervisor) QMetaObject::invokeMethod(m_supervisor, "select", Qt::QueuedConnection, Q_ARG(QString, jobId));
}

void JobsPage::stopSelected() {
  const int row = m_model->rowOf(m_selectedId);
  const JobRow* job = m_model->job(row);
  if (!job || job->terminal || !m_supervisor) return;
  const QString what = job->rehearsal ? tr("its Local instance (a rehearsal: nothing is billed)")
                                      : tr("its %1 instance in %2; billing ends when %1 confirms it is gone")
                                            .arg(qs(job->provider), qs(job->region));
  QMessageBox box(QMessageBox::Warning, tr("Stop %1?").arg(qs(job->name)),
                  tr("Stop “%1”? Spotwise terminates %2. The job cannot be resumed afterwards.").arg(qs(job->name), what),
                  QMessageBox::Cancel, this);
  box.setObjectName(QStringLiteral("stopConfirmation"));
  auto* stop = box.addButton(tr("Stop job"), QMessageBox::DestructiveRole);
  box.setDefaultButton(QMessageBox::Cancel);
  box.exec();
  if (box.clickedButton() != stop) return;
  QMetaObject::invokeMethod(m_supervisor, "requestStop", Qt::QueuedConnection, Q_ARG(QString, m_selectedId));
  m_stop->setEnabled(false);
}

void JobsPage::preemptSelected() {
  if (!m_supervisor || m_selectedId.isEmpty()) return;
  QMetaObject::invokeMethod(m_supervisor, "preemptNow", Qt::QueuedConnection, Q_ARG(QString, m_selectedId));
  m_preempt->setEnabled(false);  // until the next snapshot shows the instance still live
}

void JobsPage::terminateOrphans() {
  if (m_orphans.empty() || !m_supervisor) return;
  QStringList lines;
  double cost = 0;
  for (const auto& o : m_orphans) {
    lines << QStringLiteral("%1 %2 (%3), %4 so far").arg(qs(o.provider), qs(o.instance.id), qs(o.reason), formatUsd(o.costSoFarUsd));
    cost += o.costSoFarUsd;
  }
  QMessageBox box(QMessageBox::Warning, tr("Terminate orphan instances?"),
                  tr("Terminate %n instance(s) tagged by Spotwise that no live job owns? They have cost %1 so far.",
                     nullptr, static_cast<int>(m_orphans.size()))
                      .arg(formatUsd(cost)),
                  QMessageBox::Cancel, this);
  box.setObjectName(QStringLiteral("terminateOrphansConfirmation"));
  box.setDetailedText(lines.join(QLatin1Char('\n')));
  auto* terminate = box.addButton(tr("Terminate"), QMessageBox::DestructiveRole);
  box.exec();
  if (box.clickedButton() != terminate) return;
  QMetaObject::invokeMethod(m_supervisor, "terminateOrphans", Qt::QueuedConnection);
  m_terminateOrphans->setEnabled(false);
}

void JobsPage::applyStartup(const StartupReport& report) {
  QStringList lines;
  if (!report.error.empty()) lines << qs(report.error);
  if (!report.reattached.empty()) {
    QStringList names;
    for (const auto& n : report.reattached) names << qs(n);
    lines << tr("Re-attached %n live job(s): %1.", nullptr, static_cast<int>(names.size())).arg(names.join(QStringLiteral(", ")));
  }
  if (!report.cleaned.empty()) lines << tr("Terminated %n leftover instance(s) of ended attempts.", nullptr, static_cast<int>(report.cleaned.size()));
  m_orphans = report.orphans;
  if (!m_orphans.empty()) {
    double cost = 0;
    QStringList items;
    for (const auto& o : m_orphans) {
      cost += o.costSoFarUsd;
      items << QStringLiteral("%1 %2 (%3, %4 so far)").arg(qs(o.provider), qs(o.instance.id), qs(o.reason), formatUsd(o.costSoFarUsd));
    }
    lines << tr("%n orphan instance(s) tagged by Spotwise belong to no live job and may still bill (%1 so far): %2", nullptr,
                static_cast<int>(m_orphans.size()))
                 .arg(formatUsd(cost), items.join(QStringLiteral("; ")));
    m_terminateOrphans->setText(tr("Terminate %n orphan(s)…", nullptr, static_cast<int>(m_orphans.size())));
    m_terminateOrphans->show();
    m_terminateOrphans->setEnabled(true);
  }
  m_startupLabel->setText(lines.join(QLatin1Char('\n')));
  m_startupBox->setVisible(!lines.isEmpty());
  if (!report.error.empty()) m_status->setText(tr("Not supervising"));
  else m_status->setText(tr("Supervising · polls every %1 s").arg(m_options.controller.pollIntervalMs / 1000.0));
  m_launchExample->setEnabled(report.error.empty());
  Q_EMIT startupFinished();
}

void JobsPage::applySnapshot(const JobsSnapshot& snapshot) {
  m_model->setJobs(snapshot.jobs);
  m_stack->setCurrentIndex(snapshot.jobs.empty() ? 0 : 1);
  if (!m_selectedId.isEmpty()) {
    const int row = m_model->rowOf(m_selectedId);
    if (row >= 0 && m_table->selectionModel()->currentIndex().row() != row) m_table->selectRow(row);
  } else if (!snapshot.jobs.empty()) {
    m_table->selectRow(0);
  }
  updateDetailHeader();
  Q_EMIT snapshotApplied();
}

void JobsPage::updateDetailHeader() {
  const JobRow* job = m_model->job(m_model->rowOf(m_selectedId));
  if (!job) {
    m_detailTitle->setText(m_selectedId.isEmpty() ? tr("Select a job") : m_selectedId);
    m_detailInfo->clear();
    m_stop->setEnabled(false);
    m_preempt->hide();
    return;
  }
  m_detailTitle->setText(job->rehearsal ? tr("%1 — rehearsal on this computer").arg(qs(job->name)) : qs(job->name));
  QString info = tr("%1 · %2 / %3 / %4 %5 · %6").arg(qs(job->id), qs(job->provider), qs(job->region), qs(job->instanceType),
                                                   job->spot ? tr("spot") : tr("on-demand"), qs(job->state));
  if (!job->message.empty()) info += QStringLiteral(": ") + qs(job->message);
  info += tr("\nSpend %1 of %2 budget").arg(formatUsd(job->spendUsd), formatUsd(job->budgetUsd));
  if (job->burnUsdPerHour > 0) info += tr(", burning %1/h").arg(formatUsd(job->burnUsdPerHour));
  if (job->rehearsal) info += tr(" (simulated at the offer's price; nothing is billed)");
  m_detailInfo->setText(info);
  m_stop->setEnabled(!job->terminal && !job->stopping);
  m_preempt->setVisible(job->rehearsal);
  m_preempt->setEnabled(job->rehearsal && !job->liveInstanceId.empty() && job->state == "Running" && !job->stopping);
}

void JobsPage::applyDetail(const JobDetail& detail) {
  const QString id = qs(detail.jobId);
  if (id != m_selectedId) return;
  const bool newJob = id != m_lastDetailJob;
  m_lastDetailJob = id;
  m_timeline->setAttempts(detail.attempts, detail.attemptUsd, detail.atMs);

  // Cumulative spend: redrawn only when a new sample arrived.
  const std::int64_t lastAt = detail.spend.empty() ? 0 : detail.spend.back().atMs;
  if (newJob || lastAt != m_lastSpendAtMs) {
    m_lastSpendAtMs = lastAt;
    QList<QPointF> points;
    std::int64_t origin = detail.attempts.empty() ? lastAt : detail.attempts.front().requestedMs;
    if (!detail.spend.empty()) origin = std::min(origin > 0 ? origin : detail.spend.front().atMs, detail.spend.front().atMs);
    double maxUsd = 0;
    if (!detail.spend.empty()) points << QPointF(0, 0);
    for (const auto& s : detail.spend) {
      points << QPointF(static_cast<double>(s.atMs - origin) / 60000.0, s.spendUsd);
      maxUsd = std::max(maxUsd, s.spendUsd);
    }
    m_spendSeries->replace(points);
    const double maxX = points.isEmpty() ? 1.0 : std::max(1.0, points.back().x());
    const JobRow* job = m_model->job(m_model->rowOf(id));
    const double budget = job ? job->budgetUsd : 0.0;
    m_budgetSeries->replace(budget > 0 ? QList<QPointF>{{0, budget}, {maxX, budget}} : QList<QPointF>{});
    m_spendX->setRange(0, maxX);
    m_spendX->setLabelFormat(maxX < 5 ? QStringLiteral("%.1f") : QStringLiteral("%.0f"));
    // The budget line shows when spend is within reach of it; otherwise the spend curve uses the height.
    const double top = budget > 0 && maxUsd > 0.25 * budget ? budget * 1.05 : std::max(maxUsd * 1.2, 0.01);
    m_spendY->setRange(0, top);
    m_spendY->setLabelFormat(top < 0.05 ? QStringLiteral("$%.4f") : top < 5 ? QStringLiteral("$%.2f") : QStringLiteral("$%.0f"));
  }

  const QString log = detail.logTail.empty() ? qs(detail.logError) : qs(detail.logTail);
  if (newJob || m_log->toPlainText() != log) {
    m_log->setPlainText(log);
    m_log->verticalScrollBar()->setValue(m_log->verticalScrollBar()->maximum());
  }
  if (newJob || detail.events.size() != m_lastEventCount) {
    m_lastEventCount = detail.events.size();
    QStringList lines;
    for (const auto& e : detail.events) {
      QString line = QDateTime::fromMSecsSinceEpoch(e.atMs).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
      line += QStringLiteral("  #%1 ").arg(e.attempt);
      if (!e.fromState.empty() || !e.toState.empty()) line += qs(e.fromState) + QStringLiteral(" → ") + qs(e.toState) + QStringLiteral("  ");
      line += qs(e.message.empty() ? e.kind : e.message);
      lines << line;
    }
    m_history->setPlainText(lines.join(QLatin1Char('\n')));
    m_history->verticalScrollBar()->setValue(m_history->verticalScrollBar()->maximum());
  }
}

void JobsPage::applyNotice(const JobNotice& notice) {
  QString title;
  switch (notice.kind) {
    case JobNotice::Kind::Preempted: title = tr("Job preempted"); break;
    case JobNotice::Kind::Resumed: title = tr("Job resumed"); break;
    case JobNotice::Kind::Succeeded: title = tr("Job finished"); break;
    case JobNotice::Kind::Failed: title = tr("Job failed"); break;
    case JobNotice::Kind::BudgetExceeded: title = tr("Job hit its budget"); break;
  }
  Q_EMIT notification(title, qs(notice.text));
}

void JobsPage::showInlineError(const QString& message) {
  m_error->setText(message);
  m_error->show();
}

}  // namespace spotwise::ui
