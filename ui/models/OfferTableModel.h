#pragma once

#include <QAbstractTableModel>

#include <cstdint>
#include <optional>
#include <vector>

#include "core/pricing/Offer.h"

namespace spotwise::ui {

/**
 * GPU offers as a table. Qt::DisplayRole gives formatted text; kSortRole gives a value that sorts
 * correctly (numbers as numbers, missing prices after every present one).
 */
class OfferTableModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column {
    ProviderColumn,
    RegionColumn,
    InstanceTypeColumn,
    GpuColumn,
    VcpuColumn,
    RamColumn,
    OnDemandColumn,
    SpotColumn,
    SavingsColumn,
    InterruptionColumn,
    AgeColumn,
    ColumnCount
  };
  static constexpr int kSortRole = Qt::UserRole + 1;

  explicit OfferTableModel(QObject* parent = nullptr);

  void setOffers(std::vector<pricing::Offer> offers);
  /** The time price ages are measured from (Unix seconds); the wall clock when 0. */
  void setNow(std::int64_t unixSeconds) { m_now = unixSeconds; }
  /** Seconds since the oldest price of an offer was published/fetched; nullopt without prices. */
  [[nodiscard]] std::optional<std::int64_t> priceAgeSeconds(const pricing::Offer& offer) const;
  [[nodiscard]] const std::vector<pricing::Offer>& offers() const { return m_offers; }

  /**
   * Sorts the offers themselves (stable, missing prices last in ascending order) and remembers the
   * order for later setOffers(). A filter proxy on top then only filters, in this order, which keeps
   * a keystroke cheap over 100,000 offers.
   */
  void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

 private:
  std::vector<pricing::Offer> m_offers;
  std::int64_t m_now = 0;
  int m_sortColumn = -1;
  Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
};

}  // namespace spotwise::ui
