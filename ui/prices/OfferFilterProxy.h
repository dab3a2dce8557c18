#pragma once

#include <QSortFilterProxyModel>

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
 * Filters and sorts an OfferTableModel fast enough to run on every keystroke over 100,000 offers:
 * rows are tested against the offers themselves (no QVariant per cell), searched in a lower-case
 * text built once per offer, and numeric columns compare doubles directly.
 */
class OfferFilterProxy : public QSortFilterProxyModel {
  Q_OBJECT

 public:
  explicit OfferFilterProxy(OfferTableModel* model, QObject* parent = nullptr);

  void setFilter(const OfferFilter& filter);
  [[nodiscard]] const OfferFilter& filter() const { return m_filter; }
  /** Call after the model's offers change (rebuilds the search text). */
  void offersChanged();
  /** The offer behind a proxy row. */
  [[nodiscard]] const pricing::Offer* offerAt(int proxyRow) const;

 protected:
  bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;
  bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;

 private:
  OfferTableModel* m_model;
  OfferFilter m_filter;
  std::string m_searchLower;
  std::string m_gpu, m_region;
  std::vector<std::string> m_haystack;  // per offer, lower case
};

}  // namespace spotwise::ui
