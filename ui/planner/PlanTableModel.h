#pragma once

#include <QAbstractTableModel>

#include <vector>

#include "core/planner/Planner.h"

namespace spotwise::ui {

/**
 * Planned offers as a table, always ranked by expected cost (cheapest first): results added while the
 * planner runs are inserted at their rank. Qt::DisplayRole gives formatted text, kValueRole the number
 * behind it (for tests and charts), Qt::ToolTipRole how a figure was obtained.
 */
class PlanTableModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column {
    ProviderColumn,
    RegionColumn,
    InstanceTypeColumn,
    SpotColumn,
    RateColumn,
    ExpectedCostColumn,
    P90CostColumn,
    ExpectedHoursColumn,
    P90HoursColumn,
    SavingsColumn,
    TargetColumn,
    IntervalColumn,
    ColumnCount
  };
  static constexpr int kValueRole = Qt::UserRole + 1;

  explicit PlanTableModel(QObject* parent = nullptr);

  void clear();
  /** Inserts one planned offer at its rank. */
  void addPlan(planner::OfferPlan plan);
  [[nodiscard]] const std::vector<planner::OfferPlan>& plans() const { return m_plans; }
  [[nodiscard]] const planner::OfferPlan* planAt(int row) const;

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
  /** The preemption rate of a row can be edited: the user's own rate for that offer. */
  Qt::ItemFlags flags(const QModelIndex& index) const override;
  /** Editing the rate emits rateOverrideSet/Cleared (the page replans); a bad value emits rateOverrideRejected. */
  bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;

  /** "45 min", "3 h 30 min": how a checkpoint interval reads. */
  static QString formatInterval(double hours);

 Q_SIGNALS:
  void rateOverrideSet(const QString& offerKey, double ratePerHour);
  void rateOverrideCleared(const QString& offerKey);
  void rateOverrideRejected(const QString& message);

 private:
  std::vector<planner::OfferPlan> m_plans;
};

}  // namespace spotwise::ui
