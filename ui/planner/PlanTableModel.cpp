#include "ui/planner/PlanTableModel.h"

#include <QLocale>

#include <algorithm>
#include <cmath>

#include "ui/models/QtConvert.h"

namespace spotwise::ui {

PlanTableModel::PlanTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void PlanTableModel::clear() {
  beginResetModel();
  m_plans.clear();
  endResetModel();
}

void PlanTableModel::addPlan(planner::OfferPlan plan) {
  const auto at = std::upper_bound(m_plans.begin(), m_plans.end(), plan, planner::rankedBefore);
  const int row = static_cast<int>(at - m_plans.begin());
  beginInsertRows({}, row, row);
  m_plans.insert(at, std::move(plan));
  endInsertRows();
}

const planner::OfferPlan* PlanTableModel::planAt(int row) const {
  if (row < 0 || row >= rowCount()) return nullptr;
  return &m_plans[static_cast<std::size_t>(row)];
}

int PlanTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(m_plans.size());
}

int PlanTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QString PlanTableModel::formatInterval(double hours) {
  const long long minutes = std::llround(hours * 60.0);
  if (minutes < 60) return tr("%1 min").arg(minutes);
  const long long h = minutes / 60;
  const long long m = minutes % 60;
  return m == 0 ? tr("%1 h").arg(h) : tr("%1 h %2 min").arg(h).arg(m);
}

QVariant PlanTableModel::data(const QModelIndex& index, int role) const {
  const planner::OfferPlan* p = index.isValid() ? planAt(index.row()) : nullptr;
  if (!p) return {};
  const auto& sim = p->simulation;
  const QLocale locale;
  const auto money = [&locale](double v) { return QStringLiteral("$") + locale.toString(v, 'f', 2); };
  const auto hours = [&locale](double v) { return locale.toString(v, 'f', 1) + QStringLiteral(" h"); };
  const int column = index.column();

  if (role == kValueRole) {
    switch (column) {
      case SpotColumn: return p->offer.spot->usdPerHour;
      case RateColumn: return p->hazard.ratePerHour;
      case ExpectedCostColumn: return p->expectedCostUsd();
      case P90CostColumn: return sim.costUsd.p90;
      case ExpectedHoursColumn: return p->expectedHours();
      case P90HoursColumn: return sim.hours.p90;
      case SavingsColumn: return p->savingsPercent ? QVariant(*p->savingsPercent) : QVariant();
      case TargetColumn: return sim.targetProbability ? QVariant(*sim.targetProbability) : QVariant();
      case IntervalColumn: return p->shape.intervalHours;
      default: return data(index, Qt::DisplayRole);
    }
  }
  if (role == Qt::EditRole && column == RateColumn) {
    return p->hazard.source == planner::HazardSource::UserOverride ? locale.toString(p->hazard.ratePerHour, 'g', 6) : QString();
  }
  if (role == Qt::DisplayRole) {
    switch (column) {
      case ProviderColumn: return toQString(pricing::providerDisplayName(p->offer.provider));
      case RegionColumn:
        return p->offer.zone.empty() ? toQString(p->offer.region)
                                     : tr("%1 (%2)").arg(toQString(p->offer.region), toQString(p->offer.zone));
      case InstanceTypeColumn: return toQString(p->offer.instanceType);
      case SpotColumn: return QStringLiteral("$") + locale.toString(p->offer.spot->usdPerHour, 'f', 4);
      case RateColumn: {
        QString text = locale.toString(p->hazard.ratePerHour, 'g', 3) + QStringLiteral("/h");
        if (p->hazard.assumption) text += tr(" (assumed)");
        if (p->hazard.source == planner::HazardSource::Observed) text += tr(" (%n observed)", nullptr, p->hazard.observations);
        if (p->hazard.maxUptimeHours) text += tr(" · 24 h cap");
        return text;
      }
      case ExpectedCostColumn: return money(p->expectedCostUsd());
      case P90CostColumn: return money(sim.costUsd.p90);
      case ExpectedHoursColumn: return hours(p->expectedHours());
      case P90HoursColumn: return hours(sim.hours.p90);
      case SavingsColumn:
        return p->savingsPercent ? locale.toString(*p->savingsPercent, 'f', 1) + QStringLiteral(" %") : QStringLiteral("–");
      case TargetColumn:
        return sim.targetProbability ? locale.toString(*sim.targetProbability * 100.0, 'f', 0) + QStringLiteral(" %")
                                     : QStringLiteral("–");
      case IntervalColumn: return formatInterval(p->shape.intervalHours);
      default: return {};
    }
  }
  if (role == Qt::ToolTipRole) {
    switch (column) {
      case RateColumn:
        return toQString(p->hazard.basis) + QLatin1Char('\n') +
               tr("Double-click to set your own rate for this offer (preemptions per hour; empty to undo).");
      case ExpectedCostColumn:
      case ExpectedHoursColumn:
        return tr("Mean of %L1 simulated runs (P50 %2, %3). Daly's formula, without the 24 h cap or fallback: %4.")
            .arg(sim.runs)
            .arg(money(sim.costUsd.p50), hours(sim.hours.p50),
                 p->analyticHours ? hours(*p->analyticHours) : tr("unbounded"));
      case SavingsColumn:
        return p->onDemandCostUsd ? tr("Against %1 on-demand for the same machine (the work alone, no checkpoints).")
                                        .arg(money(*p->onDemandCostUsd))
                                  : tr("No on-demand price for this machine.");
      case TargetColumn:
        return tr("Share of simulated runs that finish within the deadline and the budget you set.");
      case IntervalColumn:
        return p->intervalRecommended
                   ? tr("Recommended: the exact optimum %1 split into equal segments (Young's first order: %2).")
                         .arg(p->advice.exact ? formatInterval(*p->advice.exact) : tr("none (no preemptions)"),
                              p->advice.young ? formatInterval(*p->advice.young) : tr("none"))
                   : tr("The interval you set.");
      default: return {};
    }
  }
  if (role == Qt::TextAlignmentRole && column >= SpotColumn) return QVariant(Qt::AlignRight | Qt::AlignVCenter);
  return {};
}

Qt::ItemFlags PlanTableModel::flags(const QModelIndex& index) const {
  Qt::ItemFlags f = QAbstractTableModel::flags(index);
  if (index.isValid() && index.column() == RateColumn) f |= Qt::ItemIsEditable;
  return f;
}

bool PlanTableModel::setData(const QModelIndex& index, const QVariant& value, int role) {
  const planner::OfferPlan* p = index.isValid() ? planAt(index.row()) : nullptr;
  if (!p || role != Qt::EditRole || index.column() != RateColumn) return false;
  const QString key = toQString(planner::offerKey(p->offer));
  const QString text = value.toString().trimmed();
  if (text.isEmpty()) {
    if (p->hazard.source == planner::HazardSource::UserOverride) Q_EMIT rateOverrideCleared(key);
    return true;
  }
  bool ok = false;
  double rate = QLocale().toDouble(text, &ok);
  if (!ok) rate = QLocale::c().toDouble(text, &ok);
  if (!ok || !std::isfinite(rate) || rate < 0.0) {
    Q_EMIT rateOverrideRejected(tr("The preemption rate for %1 must be a number in [0, ∞) per hour, not “%2”.").arg(key, text));
    return false;
  }
  Q_EMIT rateOverrideSet(key, rate);
  return true;
}

QVariant PlanTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  switch (section) {
    case ProviderColumn: return tr("Provider");
    case RegionColumn: return tr("Region");
    case InstanceTypeColumn: return tr("Instance type");
    case SpotColumn: return tr("Spot $/h");
    case RateColumn: return tr("Preemptions");
    case ExpectedCostColumn: return tr("Expected cost");
    case P90CostColumn: return tr("P90 cost");
    case ExpectedHoursColumn: return tr("Expected time");
    case P90HoursColumn: return tr("P90 time");
    case SavingsColumn: return tr("Savings vs on-demand");
    case TargetColumn: return tr("In deadline & budget");
    case IntervalColumn: return tr("Checkpoint every");
    default: return {};
  }
}

}  // namespace spotwise::ui
