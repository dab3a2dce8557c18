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

OfferFilterProxy::OfferFilterProxy(OfferTableModel* model, QObject* parent) : QAbstractTableModel(parent), m_model(model) {
  connect(model, &QAbstractItemModel::modelReset, this, &OfferFilterProxy::offersChanged);
  connect(model, &QAbstractItemModel::dataChanged, this, [this] { refilter(); });
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
  refilter();
}

void OfferFilterProxy::refilter() {
  beginResetModel();
  m_rows.clear();
  const std::size_t n = m_model->offers().size();
  for (std::size_t i = 0; i < n; ++i) {
    if (accepts(i)) m_rows.push_back(static_cast<int>(i));
  }
  endResetModel();
}

void OfferFilterProxy::setFilter(const OfferFilter& filter) {
  m_filter = filter;
  m_searchLower = lower(filter.search.trimmed().toStdString());
  m_gpu = filter.gpuModel.toStdString();
  m_region = filter.region.toStdString();
  refilter();
}

int OfferFilterProxy::sourceRow(int proxyRow) const {
  return proxyRow >= 0 && proxyRow < static_cast<int>(m_rows.size()) ? m_rows[static_cast<std::size_t>(proxyRow)] : -1;
}

const pricing::Offer* OfferFilterProxy::offerAt(int proxyRow) const {
  const int row = sourceRow(proxyRow);
  return row < 0 ? nullptr : &m_model->offers()[static_cast<std::size_t>(row)];
}

int OfferFilterProxy::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : static_cast<int>(m_rows.size()); }

int OfferFilterProxy::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : m_model->columnCount(); }

QVariant OfferFilterProxy::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
  return m_model->data(m_model->index(sourceRow(index.row()), index.column()), role);
}

QVariant OfferFilterProxy::headerData(int section, Qt::Orientation orientation, int role) const {
  return m_model->headerData(section, orientation, role);
}

bool OfferFilterProxy::accepts(std::size_t sourceRow) const {
  const auto& o = m_model->offers()[sourceRow];
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
  if (!m_searchLower.empty() && m_haystack[sourceRow].find(m_searchLower) == std::string::npos) return false;
  return true;
}

void OfferFilterProxy::sort(int column, Qt::SortOrder order) { m_model->sort(column, order); }

}  // namespace spotwise::ui
