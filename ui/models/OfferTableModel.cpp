#include "ui/models/OfferTableModel.h"

#include <QBrush>
#include <QColor>
#include <QLocale>

#include <algorithm>
#include <limits>

#include "ui/models/QtConvert.h"

namespace spotwise::ui {

namespace {

constexpr double kMissing = std::numeric_limits<double>::infinity();

QString money(const std::optional<pricing::Price>& price) {
  return price ? QStringLiteral("$%1").arg(price->usdPerHour, 0, 'f', 4) : QStringLiteral("—");
}

QString gpuText(const pricing::Offer& o) {
  QString text = QStringLiteral("%1 × %2").arg(o.gpuCount).arg(toQString(o.gpuModel));
  if (o.gpuMemoryGiB > 0) text += QStringLiteral(" (%1 GiB)").arg(o.gpuMemoryGiB, 0, 'f', 0);
  return text;
}

QString regionText(const pricing::Offer& o) {
  return o.zone.empty() ? toQString(o.region) : QStringLiteral("%1 (%2)").arg(toQString(o.region), toQString(o.zone));
}

QString ageText(std::int64_t seconds) {
  if (seconds < 3600) return QObject::tr("%1 min").arg(std::max<std::int64_t>(0, seconds / 60));
  if (seconds < 2 * 86400) return QObject::tr("%1 h").arg(seconds / 3600);
  return QObject::tr("%1 d").arg(seconds / 86400);
}

}  // namespace

std::optional<std::int64_t> OfferTableModel::priceAgeSeconds(const pricing::Offer& o) const {
  std::optional<std::int64_t> oldest;
  for (const auto* p : {&o.onDemand, &o.spot}) {
    if (*p && (!oldest || (*p)->asOfUnix < *oldest)) oldest = (*p)->asOfUnix;
  }
  if (!oldest) return std::nullopt;
  const std::int64_t now = m_now != 0 ? m_now : QDateTime::currentSecsSinceEpoch();
  return now - *oldest;
}

OfferTableModel::OfferTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void OfferTableModel::setOffers(std::vector<pricing::Offer> offers) {
  beginResetModel();
  m_offers = std::move(offers);
  endResetModel();
  if (m_sortColumn >= 0) sort(m_sortColumn, m_sortOrder);
}

void OfferTableModel::sort(int column, Qt::SortOrder order) {
  if (column < 0 || column >= ColumnCount) return;
  m_sortColumn = column;
  m_sortOrder = order;
  auto key = [&](const pricing::Offer& o) -> double {
    switch (column) {
      case OnDemandColumn: return o.onDemand ? o.onDemand->usdPerHour : kMissing;
      case SpotColumn: return o.spot ? o.spot->usdPerHour : kMissing;
      case SavingsColumn: return o.savingsPercent().value_or(-kMissing);
      case VcpuColumn: return o.vcpus;
      case RamColumn: return o.ramGiB;
      case InterruptionColumn: return o.interruption ? o.interruption->index : kMissing;
      case AgeColumn: return priceAgeSeconds(o).value_or(static_cast<std::int64_t>(1) << 62);
      default: return 0;
    }
  };
  auto text = [&](const pricing::Offer& o) {
    switch (column) {
      case RegionColumn: return std::tie(o.region, o.zone, o.zone);
      case InstanceTypeColumn: return std::tie(o.instanceType, o.region, o.zone);
      default: return std::tie(o.gpuModel, o.region, o.zone);
    }
  };
  const bool numeric = column >= VcpuColumn || column == GpuColumn;
  std::vector<std::pair<double, std::size_t>> numericKeys;
  beginResetModel();
  if (numeric) {
    // Precomputed keys: one pass, then a sort of (key, index) pairs.
    numericKeys.reserve(m_offers.size());
    for (std::size_t i = 0; i < m_offers.size(); ++i) {
      const auto& o = m_offers[i];
      numericKeys.emplace_back(column == GpuColumn ? 0.0 : key(o), i);
    }
    if (column == GpuColumn) {
      std::ranges::stable_sort(numericKeys, [&](const auto& a, const auto& b) {
        const auto& x = m_offers[a.second];
        const auto& y = m_offers[b.second];
        return order == Qt::AscendingOrder ? std::tie(x.gpuModel, x.gpuCount) < std::tie(y.gpuModel, y.gpuCount)
                                           : std::tie(y.gpuModel, y.gpuCount) < std::tie(x.gpuModel, x.gpuCount);
      });
    } else {
      std::ranges::stable_sort(numericKeys, [&](const auto& a, const auto& b) {
        return order == Qt::AscendingOrder ? a.first < b.first : b.first < a.first;
      });
    }
    std::vector<pricing::Offer> sorted;
    sorted.reserve(m_offers.size());
    for (const auto& [k, i] : numericKeys) sorted.push_back(std::move(m_offers[i]));
    m_offers = std::move(sorted);
  } else {
    std::ranges::stable_sort(m_offers, [&](const pricing::Offer& a, const pricing::Offer& b) {
      if (column == ProviderColumn) {
        const auto pa = pricing::providerDisplayName(a.provider), pb = pricing::providerDisplayName(b.provider);
        return order == Qt::AscendingOrder ? pa < pb : pb < pa;
      }
      return order == Qt::AscendingOrder ? text(a) < text(b) : text(b) < text(a);
    });
  }
  endResetModel();
}

int OfferTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(m_offers.size());
}

int OfferTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant OfferTableModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
  const pricing::Offer& o = m_offers[static_cast<std::size_t>(index.row())];
  const auto savings = o.savingsPercent();
  if (role == Qt::DisplayRole) {
    switch (index.column()) {
      case ProviderColumn: return toQString(pricing::providerDisplayName(o.provider));
      case RegionColumn: return regionText(o);
      case InstanceTypeColumn: return toQString(o.instanceType);
      case GpuColumn: return gpuText(o);
      case VcpuColumn: return QString::number(o.vcpus, 'f', 0);
      case RamColumn: return QString::number(o.ramGiB, 'f', 0);
      case OnDemandColumn: return money(o.onDemand);
      case SpotColumn: return money(o.spot);
      case SavingsColumn: return savings ? QStringLiteral("%1 %").arg(*savings, 0, 'f', 1) : QStringLiteral("—");
      case InterruptionColumn: return o.interruption ? toQString(o.interruption->label) : QStringLiteral("—");
      case AgeColumn: {
        const auto age = priceAgeSeconds(o);
        return age ? ageText(*age) : QStringLiteral("—");
      }
      default: return {};
    }
  }
  if (role == kSortRole) {
    switch (index.column()) {
      case ProviderColumn: return toQString(pricing::providerDisplayName(o.provider));
      case RegionColumn: return regionText(o);
      case InstanceTypeColumn: return toQString(o.instanceType);
      // GPU: by model, then count.
      case GpuColumn: return QStringLiteral("%1/%2").arg(toQString(o.gpuModel)).arg(o.gpuCount, 3, 10, QLatin1Char('0'));
      case VcpuColumn: return o.vcpus;
      case RamColumn: return o.ramGiB;
      case OnDemandColumn: return o.onDemand ? o.onDemand->usdPerHour : kMissing;
      case SpotColumn: return o.spot ? o.spot->usdPerHour : kMissing;
      case SavingsColumn: return savings ? *savings : -kMissing;
      case InterruptionColumn: return o.interruption ? static_cast<double>(o.interruption->index) : kMissing;
      case AgeColumn: {
        const auto age = priceAgeSeconds(o);
        return age ? static_cast<double>(*age) : kMissing;
      }
      default: return {};
    }
  }
  if (role == Qt::TextAlignmentRole && index.column() >= VcpuColumn) {
    return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
  }
  if (role == Qt::ToolTipRole) {
    if (index.column() == RegionColumn) return regionText(o);
    if (index.column() == SpotColumn && o.spotAboveOnDemand()) {
      return tr("The spot price is above the on-demand price in this source; check before relying on it.");
    }
    if ((index.column() == OnDemandColumn && o.onDemand) || (index.column() == SpotColumn && o.spot)) {
      const auto& p = index.column() == OnDemandColumn ? *o.onDemand : *o.spot;
      return tr("Source: %1, as of %2").arg(toQString(p.sourceId), toDateTime(p.asOfUnix).toString(Qt::ISODate));
    }
    if (index.column() == OnDemandColumn || index.column() == SpotColumn) return tr("No price published by the source");
    if (index.column() == InterruptionColumn) {
      return o.interruption ? tr("Spot interruption frequency %1 per month (%2)").arg(toQString(o.interruption->label), toQString(o.interruption->sourceId))
                            : tr("The provider publishes no interruption band for this offer");
    }
  }
  if (role == Qt::ForegroundRole && index.column() == SpotColumn && o.spotAboveOnDemand()) {
    return QBrush(QColor(0xb0, 0x3a, 0x2e));
  }
  return {};
}

QVariant OfferTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, orientation, role);
  switch (section) {
    case ProviderColumn: return tr("Provider");
    case RegionColumn: return tr("Region");
    case InstanceTypeColumn: return tr("Instance type");
    case GpuColumn: return tr("GPUs");
    case VcpuColumn: return tr("vCPU");
    case RamColumn: return tr("RAM GiB");
    case OnDemandColumn: return tr("On-demand $/h");
    case SpotColumn: return tr("Spot $/h");
    case SavingsColumn: return tr("Savings");
    case InterruptionColumn: return tr("Interruptions");
    case AgeColumn: return tr("Price age");
    default: return {};
  }
}

}  // namespace spotwise::ui
