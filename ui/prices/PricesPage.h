#pragma once

#include <QWidget>

#include "core/pricing/Snapshot.h"

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;

namespace spotwise::ui {

class OfferTableModel;

/** The Prices page: every GPU offer with on-demand and spot prices, sortable, with its sources. */
class PricesPage : public QWidget {
  Q_OBJECT

 public:
  explicit PricesPage(QWidget* parent = nullptr);

  /** Shows the offers of `snapshot` and its sources' as-of dates. */
  void setSnapshot(const pricing::Snapshot& snapshot);
  /** Shows why prices could not be loaded (the table stays as it was). */
  void showLoadError(const QString& message);

  [[nodiscard]] OfferTableModel* model() const { return m_model; }
  [[nodiscard]] QSortFilterProxyModel* proxy() const { return m_proxy; }

 private:
  void updateCount();

  OfferTableModel* m_model;
  QSortFilterProxyModel* m_proxy;
  QTableView* m_table;
  QLineEdit* m_search;
  QLabel* m_asOf;
  QLabel* m_count;
};

}  // namespace spotwise::ui
