#include "ui/jobs/JobTableModel.h"

#include <QBrush>
#include <QColor>
#include <QFont>

#include <algorithm>
#include <cmath>

namespace spotwise::ui {

namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

QColor stateColor(const JobRow& row) {
  if (row.state == "Succeeded") return QColor(0x1e, 0x7d, 0x32);
  if (row.state == "Failed" || row.state == "BudgetExceeded") return QColor(0xc6, 0x28, 0x28);
  if (row.state == "Preempted" || row.state == "Relaunching") return QColor(0xe6, 0x51, 0x00);
  if (row.state == "Stopped") return QColor(0x61, 0x61, 0x61);
  return {};
}

}  // namespace

QString formatDuration(std::int64_t seconds) {
  if (seconds < 0) return QStringLiteral("—");
  if (seconds < 60) return QStringLiteral("%1 s").arg(seconds);
  if (seconds < 3600) return QStringLiteral("%1 min %2 s").arg(seconds / 60).arg(seconds % 60, 2, 10, QLatin1Char('0'));
  return QStringLiteral("%1 h %2 min").arg(seconds / 3600).arg((seconds % 3600) / 60, 2, 10, QLatin1Char('0'));
}

QString formatUsd(double usd) {
  const bool wholeCents = std::abs(usd * 100.0 - std::round(usd * 100.0)) < 1e-9;
  return usd >= 1.0 || wholeCents ? QStringLiteral("$%1").arg(usd, 0, 'f', 2) : QStringLiteral("$%1").arg(usd, 0, 'f', 4);
}

JobTableModel::JobTableModel(QObject* parent) : QAbstractTableModel(parent) {}

int JobTableModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : static_cast<int>(m_jobs.size()); }

int JobTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant JobTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  switch (section) {
    case NameColumn: return tr("Job");
    case OfferColumn: return tr("Provider / region / type");
    case StateColumn: return tr("State");
    case ProgressColumn: return tr("Progress");
    case EtaColumn: return tr("ETA");
    case SpendColumn: return tr("Spend / budget");
    case AttemptsColumn: return tr("Attempts / preemptions");
    default: return {};
  }
}

QVariant JobTableModel::data(const QModelIndex& index, int role) const {
  const JobRow* row = job(index.row());
  if (!row) return {};
  if (role == kJobIdRole) return qs(row->id);
  switch (index.column()) {
    case NameColumn:
      if (role == Qt::DisplayRole) return qs(row->name);
      if (role == Qt::ToolTipRole) return qs(row->id);
      break;
    case OfferColumn:
      if (role == Qt::DisplayRole) {
        QString text = QStringLiteral("%1 / %2 / %3").arg(qs(row->provider), qs(row->region), qs(row->instanceType));
        if (!row->spot) text += tr(" (on-demand)");
        if (row->rehearsal) text += tr(" · rehearsal");
        return text;
      }
      if (role == Qt::ToolTipRole && row->rehearsal) {
        return tr("Rehearsal on this computer (Local provider): nothing is billed; spend is simulated at the offer's price.");
      }
      if (role == Qt::ForegroundRole && row->rehearsal) return QBrush(QColor(0x6a, 0x1b, 0x9a));
      break;
    case StateColumn:
      if (role == Qt::DisplayRole) return row->stopping && !row->terminal ? tr("%1 (stopping)").arg(qs(row->state)) : qs(row->state);
      if (role == Qt::ToolTipRole) return qs(row->message);
      if (role == Qt::ForegroundRole) {
        const QColor c = stateColor(*row);
        return c.isValid() ? QVariant(QBrush(c)) : QVariant();
      }
      break;
    case ProgressColumn:
      if (role == Qt::DisplayRole) {
        if (row->step < 0) return QStringLiteral("—");
        return row->total > 0 ? QStringLiteral("%1 / %2").arg(row->step).arg(row->total) : QString::number(row->step);
      }
      if (role == kFractionRole) {
        return row->step >= 0 && row->total > 0 ? std::clamp(static_cast<double>(row->step) / static_cast<double>(row->total), 0.0, 1.0)
                                                : -1.0;
      }
      break;
    case EtaColumn:
      if (role == Qt::DisplayRole) return row->terminal ? QString() : formatDuration(row->etaSeconds);
      if (role == Qt::TextAlignmentRole) return int(Qt::AlignRight | Qt::AlignVCenter);
      break;
    case SpendColumn:
      if (role == Qt::DisplayRole) {
        return row->budgetUsd > 0 ? QStringLiteral("%1 / %2").arg(formatUsd(row->spendUsd), formatUsd(row->budgetUsd))
                                  : formatUsd(row->spendUsd);
      }
      if (role == Qt::ToolTipRole) {
        QString tip = row->burnUsdPerHour > 0 ? tr("Burning %1 per hour").arg(formatUsd(row->burnUsdPerHour)) : tr("Not billing now");
        if (row->rehearsal) tip += tr(" (simulated: rehearsal)");
        return tip;
      }
      if (role == Qt::ForegroundRole && row->budgetUsd > 0 && row->spendUsd >= 0.9 * row->budgetUsd) return QBrush(QColor(0xc6, 0x28, 0x28));
      if (role == Qt::TextAlignmentRole) return int(Qt::AlignRight | Qt::AlignVCenter);
      break;
    case AttemptsColumn:
      if (role == Qt::DisplayRole) return QStringLiteral("%1 / %2").arg(row->attempts).arg(row->preemptions);
      if (role == Qt::TextAlignmentRole) return int(Qt::AlignCenter);
      break;
    default:
      break;
  }
  return {};
}

void JobTableModel::setJobs(const std::vector<JobRow>& jobs) {
  const bool sameIds = jobs.size() == m_jobs.size() &&
                       std::equal(jobs.begin(), jobs.end(), m_jobs.begin(), [](const JobRow& a, const JobRow& b) { return a.id == b.id; });
  if (!sameIds) {
    beginResetModel();
    m_jobs = jobs;
    endResetModel();
    return;
  }
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (jobs[i] == m_jobs[i]) continue;
    m_jobs[i] = jobs[i];
    Q_EMIT dataChanged(index(static_cast<int>(i), 0), index(static_cast<int>(i), ColumnCount - 1));
  }
}

int JobTableModel::rowOf(const QString& jobId) const {
  const std::string id = jobId.toStdString();
  for (std::size_t i = 0; i < m_jobs.size(); ++i) {
    if (m_jobs[i].id == id) return static_cast<int>(i);
  }
  return -1;
}

const JobRow* JobTableModel::job(int row) const {
  return row >= 0 && row < static_cast<int>(m_jobs.size()) ? &m_jobs[static_cast<std::size_t>(row)] : nullptr;
}

int JobTableModel::activeCount() const {
  return static_cast<int>(std::ranges::count_if(m_jobs, [](const JobRow& r) { return !r.terminal; }));
}

}  // namespace spotwise::ui
