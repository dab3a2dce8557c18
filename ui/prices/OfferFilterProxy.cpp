#include "ui/prices/OfferFilterProxy.h"

#include <string.h>  // memmem (POSIX)

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

void appendLower(std::string& into, std::string_view s) {
  for (const unsigned char c : s) into.push_back(static_cast<char>(std::tolower(c)));
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
  m_text.clear();
  m_starts.clear();
  m_starts.reserve(offers.size() + 1);
  for (const auto& o : offers) {
    m_starts.push_back(m_text.size());
    // "aws us-east-1 use1-az1 p4d.24xlarge 8 x a100-40gb": what the search matches, '\n' between offers
    // (a one-line search field cannot type it, so no match spans two offers).
    for (std::string_view part : {std::string_view(pricing::providerDisplayName(o.provider)), std::string_view(o.region),
                                  std::string_view(o.zone), std::string_view(o.instanceType)}) {
      appendLower(m_text, part);
      m_text.push_back(' ');
    }
    m_text += std::to_string(o.gpuCount);
    m_text += " x ";
    appendLower(m_text, o.gpuModel);
    m_text.push_back('\n');
  }
  m_starts.push_back(m_text.size());
  refilter();
}

bool OfferFilterProxy::matchesSearch(std::size_t sourceRow) const {
  if (m_searchLower.empty()) return true;
  const std::string_view text(m_text.data() + m_starts[sourceRow], m_starts[sourceRow + 1] - m_starts[sourceRow]);
  return text.find(m_searchLower) != std::string_view::npos;
}

void OfferFilterProxy::refilter(bool narrowFromShown) {
  beginResetModel();
  if (narrowFromShown) {
    std::erase_if(m_rows, [this](int row) { return !matchesSearch(static_cast<std::size_t>(row)); });
  } else if (m_searchLower.find('\n') != std::string::npos) {
    m_rows.clear();  // no offer's text holds a line break
  } else if (m_searchLower.empty()) {
    m_rows.clear();
    const std::size_t n = m_model->offers().size();
    if (!m_fieldsActive) {
      m_rows.resize(n);  // nothing filters: every offer, without reading one
      for (std::size_t i = 0; i < n; ++i) m_rows[i] = static_cast<int>(i);
    } else {
      for (std::size_t i = 0; i < n; ++i) {
        if (acceptsFields(i)) m_rows.push_back(static_cast<int>(i));
      }
    }
  } else {
    // One scan of the whole text: each hit names its offer (the search cannot span two), which is then
    // checked against the other filters, and the scan goes on from the next offer.
    m_rows.clear();
    const char* const begin = m_text.data();
    const char* const end = begin + m_text.size();
    const char* from = begin;
    std::size_t row = 0;
    while (from < end) {
      const void* hit = memmem(from, static_cast<std::size_t>(end - from), m_searchLower.data(), m_searchLower.size());
      if (!hit) break;
      const auto at = static_cast<std::size_t>(static_cast<const char*>(hit) - begin);
      row = static_cast<std::size_t>(std::upper_bound(m_starts.begin() + static_cast<std::ptrdiff_t>(row), m_starts.end(), at) -
                                     m_starts.begin()) - 1;
      if (!m_fieldsActive || acceptsFields(row)) m_rows.push_back(static_cast<int>(row));
      from = begin + m_starts[++row];
    }
  }
  endResetModel();
}

void OfferFilterProxy::setFilter(const OfferFilter& filter) {
  const std::string search = lower(filter.search.trimmed().toStdString());
  // Typing on (the new search contains the old one, nothing else changed): only shown rows can match.
  const bool narrow = !m_searchLower.empty() && search.size() > m_searchLower.size() &&
                      search.find(m_searchLower) != std::string::npos && filter.gpuModel == m_filter.gpuModel &&
                      filter.minGpuCount == m_filter.minGpuCount && filter.provider == m_filter.provider &&
                      filter.region == m_filter.region && filter.maxUsdPerHour == m_filter.maxUsdPerHour &&
                      filter.spotOnly == m_filter.spotOnly;
  m_filter = filter;
  m_searchLower = search;
  m_gpu = filter.gpuModel.toStdString();
  m_region = filter.region.toStdString();
  m_fieldsActive = !m_gpu.empty() || filter.minGpuCount > 0 || filter.provider || !m_region.empty() || filter.spotOnly ||
                   filter.maxUsdPerHour;
  refilter(narrow);
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

bool OfferFilterProxy::acceptsFields(std::size_t sourceRow) const {
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
  return true;
}

void OfferFilterProxy::sort(int column, Qt::SortOrder order) { m_model->sort(column, order); }

}  // namespace spotwise::ui
