#include "ui/prices/OfferFilterProxy.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "ui/models/OfferTableModel.h"

namespace spotwise::ui {

namespace {

std::string lower(std::string s) {
  std::ranges::transform(s, s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

double priceOr(const std::optional<pricing::Price>& p, double missing) { return p ? p->usdPerHour : missing; }

}  // namespace

OfferFilterProxy::OfferFilterProxy(OfferTableModel* model, QObject* parent) : QSortFilterProxyModel(parent), m_model(model) {
  setSourceModel(model);
  setSortRole(OfferTableModel::kSortRole);
  connect(model, &QAbstractItemModel::modelReset, this, &OfferFilterProxy::offersChanged);
  offersChanged();
}

void OfferFilterProxy::offersChanged() {
  const auto& offers = m_model->offers();
  m_haystack.clear();
  m_haystack.reserve(offers.size());
  for (const auto& o : offers) {
    m_haystack.push_back(lower(std::string(pricing::providerDisplayName(o.provider)) + " " + o.region + " " + o.zone + " " +
                               o.instanceType + " " + std::to_string(o.gpuCount) + " x " + o.gpuModel));
  }
  invalidateFilter();
}

void OfferFilterProxy::setFilter(const OfferFilter& filter) {
  m_filter = filter;
  m_searchLower = lower(filter.search.trimmed().toStdString());
  m_gpu = filter.gpuModel.toStdString();
  m_region = filter.region.toStdString();
  invalidateFilter();
}

const pricing::Offer* OfferFilterProxy::offerAt(int proxyRow) const {
  const QModelIndex source = mapToSource(index(proxyRow, 0));
  if (!source.isValid()) return nullptr;
  return &m_model->offers()[static_cast<std::size_t>(source.row())];
}

bool OfferFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex&) const {
  const auto& o = m_model->offers()[static_cast<std::size_t>(sourceRow)];
  if (!m_gpu.empty() && o.gpuModel != m_gpu) return false;
  if (o.gpuCount < m_filter.minGpuCount) return false;
  if (m_filter.provider && o.provider != *m_filter.provider) return false;
  if (!m_region.empty() && o.region != m_region) return false;
  if (m_filter.spotOnly && !o.spot) return false;
  if (m_filter.maxUsdPerHour) {
    constexpr double kInf = std::numeric_limits<double>::infinity();
    const double price = m_filter.spotOnly ? priceOr(o.spot, kInf) : std::min(priceOr(o.spot, kInf), priceOr(o.onDemand, kInf));
    if (price > *m_filter.maxUsdPerHour) return false;
  }
  if (!m_searchLower.empty() && m_haystack[static_cast<std::size_t>(sourceRow)].find(m_searchLower) == std::string::npos) return false;
  return true;
}

bool OfferFilterProxy::lessThan(const QModelIndex& left, const QModelIndex& right) const {
  const auto& offers = m_model->offers();
  const auto& a = offers[static_cast<std::size_t>(left.row())];
  const auto& b = offers[static_cast<std::size_t>(right.row())];
  constexpr double kInf = std::numeric_limits<double>::infinity();
  switch (left.column()) {
    case OfferTableModel::OnDemandColumn: return priceOr(a.onDemand, kInf) < priceOr(b.onDemand, kInf);
    case OfferTableModel::SpotColumn: return priceOr(a.spot, kInf) < priceOr(b.spot, kInf);
    case OfferTableModel::SavingsColumn: return a.savingsPercent().value_or(-kInf) < b.savingsPercent().value_or(-kInf);
    case OfferTableModel::VcpuColumn: return a.vcpus < b.vcpus;
    case OfferTableModel::RamColumn: return a.ramGiB < b.ramGiB;
    case OfferTableModel::InstanceTypeColumn: return a.instanceType < b.instanceType;
    case OfferTableModel::ProviderColumn: return pricing::providerDisplayName(a.provider) < pricing::providerDisplayName(b.provider);
    case OfferTableModel::RegionColumn: return std::tie(a.region, a.zone) < std::tie(b.region, b.zone);
    case OfferTableModel::GpuColumn: return std::tie(a.gpuModel, a.gpuCount) < std::tie(b.gpuModel, b.gpuCount);
    default: return QSortFilterProxyModel::lessThan(left, right);
  }
}

}  // namespace spotwise::ui
