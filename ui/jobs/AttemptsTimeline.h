#pragma once

#include <QWidget>

#include <vector>

#include "core/ledger/Ledger.h"

namespace spotwise::ui {

/**
 * The attempts of one job on a time axis: one bar per attempt from launch to its end (or now),
 * coloured by how it ended, with a marker where a preemption ended it. Tooltips give the details.
 */
class AttemptsTimeline : public QWidget {
  Q_OBJECT

 public:
  explicit AttemptsTimeline(QWidget* parent = nullptr);

  void setAttempts(std::vector<ledger::AttemptRecord> attempts, std::vector<double> attemptUsd, std::int64_t nowMs);
  [[nodiscard]] const std::vector<ledger::AttemptRecord>& attempts() const { return m_attempts; }
  /** Preemption markers drawn (one per attempt that ended preempted). */
  [[nodiscard]] int preemptionMarkers() const;
  QSize sizeHint() const override;
  QSize minimumSizeHint() const override;

 protected:
  void paintEvent(QPaintEvent* event) override;
  bool event(QEvent* event) override;

 private:
  QRectF barRect(std::size_t i) const;
  std::vector<ledger::AttemptRecord> m_attempts;
  std::vector<double> m_attemptUsd;
  std::int64_t m_nowMs = 0;
  std::int64_t m_fromMs = 0;
  std::int64_t m_toMs = 0;
};

}  // namespace spotwise::ui
