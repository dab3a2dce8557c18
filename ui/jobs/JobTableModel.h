#pragma once

#include <QAbstractTableModel>

#include <vector>

#include "ui/jobs/JobsSupervisor.h"

namespace spotwise::ui {

/**
 * The Jobs table: one row per job, newest first. setJobs() applies a snapshot in place: rows that
 * did not change are left alone, changed rows get one dataChanged, and the model is only reset when
 * jobs appear or disappear — so a live table repaints only what moved.
 */
class JobTableModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column { NameColumn, OfferColumn, StateColumn, ProgressColumn, EtaColumn, SpendColumn, AttemptsColumn, ColumnCount };
  /** ProgressColumn: the fraction done in [0, 1], or -1 when unknown. */
  static constexpr int kFractionRole = Qt::UserRole + 1;
  static constexpr int kJobIdRole = Qt::UserRole + 2;

  explicit JobTableModel(QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

  void setJobs(const std::vector<JobRow>& jobs);
  [[nodiscard]] const std::vector<JobRow>& jobs() const { return m_jobs; }
  /** The row of `jobId`, or -1. */
  [[nodiscard]] int rowOf(const QString& jobId) const;
  [[nodiscard]] const JobRow* job(int row) const;
  /** Jobs that are not in a terminal state. */
  [[nodiscard]] int activeCount() const;

 private:
  std::vector<JobRow> m_jobs;
};

/** "2 h 05 min", "4 min 10 s", "12 s". */
QString formatDuration(std::int64_t seconds);
/** "$1.23" (cents) or "$0.0042" below a dollar. */
QString formatUsd(double usd);

}  // namespace spotwise::ui
