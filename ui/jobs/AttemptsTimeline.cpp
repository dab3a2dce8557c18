#include "ui/jobs/AttemptsTimeline.h"

#include <QDateTime>
#include <QHelpEvent>
#include <QPainter>
#include <QPainterPath>
#include <QToolTip>

#include <algorithm>

#include "ui/jobs/JobTableModel.h"

namespace spotwise::ui {

namespace {

constexpr int kRowHeight = 22;
constexpr int kLabelWidth = 34;
constexpr int kMargin = 6;

std::int64_t beginOf(const ledger::AttemptRecord& a) { return a.startMs > 0 ? a.startMs : a.requestedMs; }

std::int64_t endOf(const ledger::AttemptRecord& a, std::int64_t nowMs) {
  if (a.goneMs > 0) return a.goneMs;
  return a.endMs > 0 ? a.endMs : nowMs;
}

QColor colorOf(const ledger::AttemptRecord& a) {
  if (a.endMs == 0) return QColor(0x19, 0x76, 0xd2);            // running
  if (a.endCause == "succeeded") return QColor(0x2e, 0x7d, 0x32);
  if (a.endCause == "preempted") return QColor(0xef, 0x6c, 0x00);
  if (a.endCause == "stopped") return QColor(0x75, 0x75, 0x75);
  return QColor(0xc6, 0x28, 0x28);                               // failed, budget, boot-timeout, ...
}

}  // namespace

AttemptsTimeline::AttemptsTimeline(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("attemptsTimeline"));
  setMouseTracking(false);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
}

void AttemptsTimeline::setAttempts(std::vector<ledger::AttemptRecord> attempts, std::vector<double> attemptUsd, std::int64_t nowMs) {
  std::erase_if(attempts, [](const auto& a) { return beginOf(a) == 0; });
  const bool sameShape = attempts.size() == m_attempts.size();
  m_attempts = std::move(attempts);
  m_attemptUsd = std::move(attemptUsd);
  m_attemptUsd.resize(m_attempts.size(), 0.0);
  m_nowMs = nowMs;
  m_fromMs = m_attempts.empty() ? 0 : beginOf(m_attempts.front());
  m_toMs = m_fromMs;
  for (const auto& a : m_attempts) {
    m_fromMs = std::min(m_fromMs, beginOf(a));
    m_toMs = std::max(m_toMs, endOf(a, nowMs));
  }
  if (!sameShape) updateGeometry();
  update();
}

int AttemptsTimeline::preemptionMarkers() const {
  return static_cast<int>(std::ranges::count(m_attempts, std::string("preempted"), &ledger::AttemptRecord::endCause));
}

QSize AttemptsTimeline::sizeHint() const {
  return {400, kMargin * 2 + std::max<int>(2, static_cast<int>(m_attempts.size())) * kRowHeight + 16};
}

QSize AttemptsTimeline::minimumSizeHint() const { return {200, kMargin * 2 + 2 * kRowHeight}; }

QRectF AttemptsTimeline::barRect(std::size_t i) const {
  const auto& a = m_attempts[i];
  const double left = kMargin + kLabelWidth;
  const double width = std::max(1.0, static_cast<double>(this->width()) - left - kMargin - 8);
  const double span = static_cast<double>(std::max<std::int64_t>(1, m_toMs - m_fromMs));
  const double x0 = left + width * static_cast<double>(beginOf(a) - m_fromMs) / span;
  const double x1 = left + width * static_cast<double>(endOf(a, m_nowMs) - m_fromMs) / span;
  return {x0, kMargin + static_cast<double>(i) * kRowHeight + 3, std::max(3.0, x1 - x0), kRowHeight - 6.0};
}

void AttemptsTimeline::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.setRenderHint(QPainter::Antialiasing);
  if (m_attempts.empty()) {
    p.setPen(palette().color(QPalette::PlaceholderText));
    p.drawText(rect(), Qt::AlignCenter, tr("No attempt launched yet"));
    return;
  }
  for (std::size_t i = 0; i < m_attempts.size(); ++i) {
    const auto& a = m_attempts[i];
    const QRectF bar = barRect(i);
    p.setPen(palette().color(QPalette::WindowText));
    p.drawText(QRectF(kMargin, bar.top() - 3, kLabelWidth - 4, kRowHeight), Qt::AlignVCenter | Qt::AlignLeft,
               QStringLiteral("#%1").arg(a.number));
    p.setPen(Qt::NoPen);
    p.setBrush(colorOf(a));
    p.drawRoundedRect(bar, 3, 3);
    if (a.endCause == "preempted") {
      // A lightning-like marker at the preemption: a downward triangle over the bar's end.
      const double x = bar.right();
      QPainterPath marker;
      marker.moveTo(x - 6, bar.top() - 3);
      marker.lineTo(x + 6, bar.top() - 3);
      marker.lineTo(x, bar.bottom() + 3);
      marker.closeSubpath();
      p.setBrush(QColor(0xb7, 0x1c, 0x1c));
      p.drawPath(marker);
    }
    QString label = QStringLiteral("%1 %2").arg(QString::fromStdString(a.region), formatUsd(m_attemptUsd[i]));
    if (a.resumedFromStep > 0) label += tr(" · from step %1").arg(a.resumedFromStep);
    p.setPen(Qt::white);
    const QRectF textRect = bar.adjusted(4, 0, -8, 0);
    if (p.fontMetrics().horizontalAdvance(label) < textRect.width()) p.drawText(textRect, Qt::AlignVCenter | Qt::AlignLeft, label);
  }
  p.setPen(palette().color(QPalette::PlaceholderText));
  const QRectF axis(kMargin + kLabelWidth, height() - 16, width() - kLabelWidth - 2 * kMargin, 14);
  const auto fmt = [](std::int64_t ms) { return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("HH:mm:ss")); };
  p.drawText(axis, Qt::AlignLeft | Qt::AlignVCenter, fmt(m_fromMs));
  p.drawText(axis, Qt::AlignRight | Qt::AlignVCenter, fmt(m_toMs));
}

bool AttemptsTimeline::event(QEvent* event) {
  if (event->type() == QEvent::ToolTip) {
    auto* help = static_cast<QHelpEvent*>(event);
    for (std::size_t i = 0; i < m_attempts.size(); ++i) {
      if (!barRect(i).adjusted(-4, -4, 4, 4).contains(help->pos())) continue;
      const auto& a = m_attempts[i];
      QString text = tr("Attempt %1: %2 %3 %4 (%5/h)\nInstance %6\n%7")
                         .arg(a.number)
                         .arg(QString::fromStdString(a.region), QString::fromStdString(a.instanceType),
                              a.spot ? tr("spot") : tr("on-demand"), formatUsd(a.pricePerHour),
                              QString::fromStdString(a.instanceId.empty() ? std::string("-") : a.instanceId),
                              a.endMs == 0 ? tr("running") : tr("ended: %1").arg(QString::fromStdString(a.endCause)));
      text += tr("\nSpend %1").arg(formatUsd(m_attemptUsd[i]));
      if (a.workLostSteps >= 0) text += tr("\nWork lost: %1 steps").arg(a.workLostSteps);
      QToolTip::showText(help->globalPos(), text, this);
      return true;
    }
    QToolTip::hideText();
    event->ignore();
    return true;
  }
  return QWidget::event(event);
}

}  // namespace spotwise::ui
