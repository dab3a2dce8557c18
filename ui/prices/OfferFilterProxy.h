#pragma once

#include <QAbstractTableModel>

#include <optional>
#include <string>
#include <vector>

#include "core/pricing/Offer.h"

namespace spotwise::ui {

class OfferTableModel;

/** What the Prices page filters on. Empty/unset fields match everything. */
struct OfferFilter {
  QString gpuModel;                               ///< exact normalised model
  int minGpuCount = 0;
  std::optional<pricing::CloudProvider> provider;
  QString region;                                 ///< exact region code
  std::optional<double> maxUsdPerHour;            ///< on the spot price when spotOnly, else the cheaper of the two
  bool spotOnly = false;
  QString search;                                 ///< case-insensitive substring of provider/region/zone/type/GPU
};

/**
 * The rows of an OfferTableModel that pass an OfferFilter, fast enough to refilter on every
 * keystroke over 100,000 offers: one linear pass over the offers themselves (no QVariant per cell,
 * search in a lower-case text built once per offer), then a model reset. Sorting is delegated to
 * the model (sort() reorders the offers once), so a filter change never re-sorts. (A
 * QSortFilterProxyModel diffs old and new rows range by range, which costs ~80 ms here.)
 */
class OfferFilterProxy : public QAbstractTableModel {
  Q_OBJECT

 public:
  explicit OfferFilterProxy(OfferTableModel* model, QObject* parent = nullptr);

  void setFilter(const OfferFilter& filter);
  [[nodiscard]] const OfferFilter& filter() const { return m_filter; }
  /** Call after the model's offers change (rebuilds the search text). */
  void offersChanged();
  /** Sorts the source model (the proxy itself keeps its order). */
  void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;
  /** The offer behind a proxy row. */
  [[nodiscard]] const pricing::Offer* offerAt(int proxyRow) const;
  /** The source row behind a proxy row (-1 if out of range). */
  [[nodiscard]] int sourceRow(int proxyRow) const;

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

 private:
  [[nodiscard]] bool accepts(std::size_t sourceRow) const;
  void refilter();

  OfferTableModel* m_model;
  OfferFilter m_filter;
  std::string m_searchLower;
  std::string m_gpu, m_region;
  std::vector<std::string> m_haystack;  // per offer, lower case
  std::vector<int> m_rows;              // source rows shown, in the model's order
};

}  // namespace spotwise::ui
