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
 * keystroke over 100,000 offers: no QVariant per cell; the search runs over one contiguous
 * lower-case text of every offer (built once per catalog), so a keystroke is one memmem scan that
 * visits only the offers it hits; typing more of the same search narrows the rows already shown
 * instead of scanning again. Then a model reset. Sorting is delegated to the model (sort()
 * reorders the offers once), so a filter change never re-sorts. (A QSortFilterProxyModel diffs
 * old and new rows range by range, which costs ~80 ms here.)
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
  /** Every filter but the search. */
  [[nodiscard]] bool acceptsFields(std::size_t sourceRow) const;
  [[nodiscard]] bool matchesSearch(std::size_t sourceRow) const;
  /** The rows passing the filter; `narrowFromShown`: only the rows shown now can pass (a longer search). */
  void refilter(bool narrowFromShown = false);

  OfferTableModel* m_model;
  OfferFilter m_filter;
  std::string m_searchLower;
  std::string m_gpu, m_region;
  bool m_fieldsActive = false;        // a filter other than the search is set
  std::string m_text;                 // every offer's lower-case search text, each ended by '\n'
  std::vector<std::size_t> m_starts;  // where each offer's text starts in m_text (one more: the end)
  std::vector<int> m_rows;            // source rows shown, in the model's order
};

}  // namespace spotwise::ui
