#include "ui/prices/PricesPage.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

#include "ui/models/OfferTableModel.h"
#include "ui/models/QtConvert.h"

namespace spotwise::ui {

PricesPage::PricesPage(QWidget* parent)
    : QWidget(parent),
      m_model(new OfferTableModel(this)),
      m_proxy(new QSortFilterProxyModel(this)),
      m_table(new QTableView(this)),
      m_search(new QLineEdit(this)),
      m_asOf(new QLabel(this)),
      m_count(new QLabel(this)) {
  setObjectName(QStringLiteral("pricesPage"));
  m_proxy->setSourceModel(m_model);
  m_proxy->setSortRole(OfferTableModel::kSortRole);
  m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
  m_proxy->setFilterKeyColumn(-1);

  auto* title = new QLabel(tr("GPU prices"), this);
  QFont titleFont = title->font();
  titleFont.setPointSizeF(titleFont.pointSizeF() * 1.4);
  titleFont.setBold(true);
  title->setFont(titleFont);

  m_search->setObjectName(QStringLiteral("searchLineEdit"));
  m_search->setPlaceholderText(tr("Filter: GPU, region, instance type…"));
  m_search->setClearButtonEnabled(true);
  m_search->setMaximumWidth(320);
  connect(m_search, &QLineEdit::textChanged, this, [this](const QString& text) {
    m_proxy->setFilterFixedString(text);
    updateCount();
  });

  m_asOf->setObjectName(QStringLiteral("asOfLabel"));
  m_asOf->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_asOf->setWordWrap(true);
  m_count->setObjectName(QStringLiteral("countLabel"));

  m_table->setObjectName(QStringLiteral("offersTableView"));
  m_table->setModel(m_proxy);
  m_table->setSortingEnabled(true);
  m_table->sortByColumn(OfferTableModel::SpotColumn, Qt::AscendingOrder);
  m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_table->setAlternatingRowColors(true);
  m_table->verticalHeader()->hide();
  // Fixed, content-sized widths (in characters) instead of ResizeToContents, which measures every
  // row and grows with the catalog; the user can still drag them. Long zone lists elide, with a tooltip.
  m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  const int charWidth = fontMetrics().horizontalAdvance(QLatin1Char('x'));
  const std::pair<int, int> widths[] = {
      {OfferTableModel::ProviderColumn, 8},  {OfferTableModel::RegionColumn, 22},  {OfferTableModel::InstanceTypeColumn, 26},
      {OfferTableModel::GpuColumn, 24},      {OfferTableModel::VcpuColumn, 6},     {OfferTableModel::RamColumn, 9},
      {OfferTableModel::OnDemandColumn, 14}, {OfferTableModel::SpotColumn, 11}};
  for (const auto& [column, chars] : widths) m_table->horizontalHeader()->resizeSection(column, charWidth * chars);
  m_table->horizontalHeader()->setStretchLastSection(true);
  m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
  m_table->setWordWrap(false);

  auto* top = new QHBoxLayout;
  top->addWidget(title);
  top->addStretch(1);
  top->addWidget(m_search);
  auto* bottom = new QHBoxLayout;
  bottom->addWidget(m_count);
  bottom->addStretch(1);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(top);
  layout->addWidget(m_asOf);
  layout->addWidget(m_table, 1);
  layout->addLayout(bottom);
}

void PricesPage::setSnapshot(const pricing::Snapshot& snapshot) {
  m_model->setOffers(snapshot.offers);
  QStringList ids;
  QStringList details;
  for (const auto& s : snapshot.sources) {
    ids << toQString(s.id);
    details << tr("%1: %2, as of %3, revision %4")
                   .arg(toQString(s.id), toQString(s.description),
                        toDateTime(s.asOfUnix).date().toString(Qt::ISODate), toQString(s.revision).left(12));
  }
  for (const auto& n : snapshot.notes) details << toQString(n);
  m_asOf->setText(tr("Offline snapshot · prices as of %1 · sources: %2")
                      .arg(toDateTime(snapshot.oldestAsOf()).date().toString(Qt::ISODate), ids.join(QStringLiteral(", "))));
  m_asOf->setToolTip(details.join(QLatin1Char('\n')));
  updateCount();
}

void PricesPage::showLoadError(const QString& message) {
  m_asOf->setText(tr("Prices could not be loaded: %1").arg(message));
}

void PricesPage::updateCount() {
  m_count->setText(tr("%n offer(s) shown", nullptr, m_proxy->rowCount()) +
                   (m_proxy->rowCount() != m_model->rowCount() ? tr(" of %1").arg(m_model->rowCount()) : QString()));
}

}  // namespace spotwise::ui
