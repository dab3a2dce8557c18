#include "ui/prices/PricesPage.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QSaveFile>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardPaths>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <set>
#include <stop_token>

#include "core/http/CurlHttpClient.h"
#include "core/pricing/PriceRefresh.h"
#include "ui/models/OfferTableModel.h"
#include "ui/models/QtConvert.h"
#include "ui/prices/PriceCharts.h"
#include "ui/prices/RefreshController.h"
#include "ui/prices/RefreshCredentials.h"
#include "ui/platform/SecretStore.h"

namespace spotwise::ui {

namespace {

constexpr std::int64_t kStaleAfterSeconds = 86400;

QString csvField(QString s) {
  if (!s.contains(QLatin1Char(',')) && !s.contains(QLatin1Char('"')) && !s.contains(QLatin1Char('\n'))) return s;
  s.replace(QStringLiteral("\""), QStringLiteral("\"\""));
  return QLatin1Char('"') + s + QLatin1Char('"');
}

QString sourceTitle(const QString& id) {
  if (id == QLatin1String("aws-offer")) return QObject::tr("AWS on-demand");
  if (id == QLatin1String("aws-spot-history")) return QObject::tr("AWS spot per zone");
  if (id == QLatin1String("aws-spot-feed")) return QObject::tr("AWS spot");
  if (id == QLatin1String("aws-spot-advisor")) return QObject::tr("AWS interruptions");
  if (id == QLatin1String("azure-retail")) return QObject::tr("Azure");
  return QObject::tr("GCP");
}

/** What a fetch of AWS's spot price record came back with (on the worker thread). */
struct AwsRecordResult {
  std::vector<pricing::HistoryPoint> changes;
  std::int64_t sinceUnix = 0;  ///< where the record shown starts
  QString error;               ///< empty on success
};

/** The price in effect at `unix` among `changes` (oldest first): the last change at or before it, else the first. */
double priceAt(const std::vector<pricing::HistoryPoint>& changes, std::int64_t unix) {
  double price = changes.empty() ? 0 : changes.front().usdPerHour;
  for (const auto& p : changes) {
    if (p.asOfUnix > unix) break;
    price = p.usdPerHour;
  }
  return price;
}
}  // namespace

struct PricesPage::AwsRecord {
  pricing::Offer offer;  ///< the offer asked about (the selection may have moved on since)
  std::stop_source stop;
  QFutureWatcher<AwsRecordResult> watcher;
};

PricesPage::PricesPage(QWidget* parent)
    : QWidget(parent),
      m_model(new OfferTableModel(this)),
      m_proxy(new OfferFilterProxy(m_model, this)),
      m_table(new QTableView(this)),
      m_search(new QLineEdit(this)),
      m_gpu(new QComboBox(this)),
      m_minGpus(new QSpinBox(this)),
      m_provider(new QComboBox(this)),
      m_region(new QComboBox(this)),
      m_maxPrice(new QDoubleSpinBox(this)),
      m_spotOnly(new QCheckBox(tr("Spot only"), this)),
      m_refreshButton(new QPushButton(tr("Refresh prices"), this)),
      m_cancelButton(new QPushButton(tr("Cancel"), this)),
      m_launchButton(new QPushButton(tr("Launch…"), this)),
      m_banner(new QLabel(this)),
      m_asOf(new QLabel(this)),
      m_count(new QLabel(this)),
      m_status(new QLabel(this)),
      m_splitter(new QSplitter(Qt::Vertical, this)),
      m_refresh(new RefreshController(this)),
      m_chartTimer(new QTimer(this)) {
  setObjectName(QStringLiteral("pricesPage"));

  auto* title = new QLabel(tr("GPU prices"), this);
  QFont titleFont = title->font();
  titleFont.setPointSizeF(titleFont.pointSizeF() * 1.4);
  titleFont.setBold(true);
  title->setFont(titleFont);

  m_search->setObjectName(QStringLiteral("searchLineEdit"));
  m_search->setPlaceholderText(tr("Filter: GPU, region, instance type…"));
  // The clear button shows only over text; enabling it loads the style's icon, so that waits for the first text.
  connect(m_search, &QLineEdit::textChanged, this, [this](const QString& text) {
    if (!text.isEmpty() && !m_search->isClearButtonEnabled()) m_search->setClearButtonEnabled(true);
  });
  m_search->setMaximumWidth(320);

  m_gpu->setObjectName(QStringLiteral("gpuComboBox"));
  m_minGpus->setObjectName(QStringLiteral("minGpusSpinBox"));
  m_minGpus->setRange(0, 16);
  m_minGpus->setPrefix(tr("≥ "));
  m_minGpus->setSuffix(tr(" GPUs"));
  m_provider->setObjectName(QStringLiteral("providerComboBox"));
  m_provider->addItem(tr("All providers"));
  for (auto p : {pricing::CloudProvider::Aws, pricing::CloudProvider::Gcp, pricing::CloudProvider::Azure}) {
    m_provider->addItem(toQString(pricing::providerDisplayName(p)), static_cast<int>(p));
  }
  m_region->setObjectName(QStringLiteral("regionComboBox"));
  m_maxPrice->setObjectName(QStringLiteral("maxPriceSpinBox"));
  m_maxPrice->setRange(0, 1000);
  m_maxPrice->setDecimals(2);
  m_maxPrice->setPrefix(tr("≤ $"));
  m_maxPrice->setSuffix(tr("/h"));
  m_maxPrice->setSpecialValueText(tr("Any $/h"));
  m_spotOnly->setObjectName(QStringLiteral("spotOnlyCheckBox"));

  auto* copy = new QPushButton(tr("Copy"), this);
  copy->setObjectName(QStringLiteral("copyButton"));
  copy->setToolTip(tr("Copy the selected rows (or every shown row) as CSV"));
  auto* exportButton = new QPushButton(tr("Export CSV…"), this);
  exportButton->setObjectName(QStringLiteral("exportButton"));
  m_refreshButton->setObjectName(QStringLiteral("refreshButton"));
  m_cancelButton->setObjectName(QStringLiteral("cancelRefreshButton"));
  m_cancelButton->setEnabled(false);
  m_launchButton->setObjectName(QStringLiteral("launchButton"));
  m_launchButton->setToolTip(tr("Open the launch form for the selected offer (or double-click a row). "
                                "You can rehearse any offer on this computer, without a cloud account."));
  m_launchButton->setEnabled(false);

  m_banner->setObjectName(QStringLiteral("staleBanner"));
  m_banner->setWordWrap(true);
  m_banner->setStyleSheet(QStringLiteral("QLabel { background: #fff4ce; color: #5c4400; border: 1px solid #e0c36a; padding: 6px; }"));
  m_banner->hide();
  m_asOf->setObjectName(QStringLiteral("asOfLabel"));
  m_asOf->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_asOf->setWordWrap(true);
  m_count->setObjectName(QStringLiteral("countLabel"));
  m_status->setObjectName(QStringLiteral("statusLabel"));

  m_table->setObjectName(QStringLiteral("offersTableView"));
  m_table->setModel(m_proxy);
  m_table->setSortingEnabled(true);
  m_table->sortByColumn(OfferTableModel::SpotColumn, Qt::AscendingOrder);
  m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_table->setAlternatingRowColors(true);
  m_table->verticalHeader()->hide();
  m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  const int charWidth = fontMetrics().horizontalAdvance(QLatin1Char('x'));
  const std::pair<int, int> widths[] = {
      {OfferTableModel::ProviderColumn, 8},  {OfferTableModel::RegionColumn, 22},  {OfferTableModel::InstanceTypeColumn, 26},
      {OfferTableModel::GpuColumn, 24},      {OfferTableModel::VcpuColumn, 6},     {OfferTableModel::RamColumn, 9},
      {OfferTableModel::OnDemandColumn, 14}, {OfferTableModel::SpotColumn, 11},    {OfferTableModel::SavingsColumn, 9},
      {OfferTableModel::InterruptionColumn, 13}};
  for (const auto& [column, chars] : widths) m_table->horizontalHeader()->resizeSection(column, charWidth * chars);
  m_table->horizontalHeader()->setStretchLastSection(true);
  m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
  m_table->setWordWrap(false);
  m_table->setContextMenuPolicy(Qt::CustomContextMenu);

  // Per-source refresh status: name, progress, state.
  auto* sourcesBox = new QWidget(this);
  sourcesBox->setObjectName(QStringLiteral("sourceStatusBox"));
  auto* grid = new QGridLayout(sourcesBox);
  grid->setContentsMargins(0, 0, 0, 0);
  int column = 0;
  for (const auto& id : pricing::liveSourceIds()) {
    const QString qid = toQString(id);
    auto* label = new QLabel(sourceTitle(qid) + tr(": not refreshed"), sourcesBox);
    label->setWordWrap(true);
    label->setMinimumWidth(1);
    label->setObjectName(QStringLiteral("sourceLabel_") + qid);
    auto* bar = new QProgressBar(sourcesBox);
    bar->setObjectName(QStringLiteral("sourceProgress_") + qid);
    bar->setMaximumHeight(10);
    bar->setTextVisible(false);
    bar->setRange(0, 1);
    bar->setValue(0);
    grid->addWidget(label, 0, column);
    grid->addWidget(bar, 1, column);
    m_sourceRows[qid] = {label, bar};
    ++column;
  }

  for (auto* combo : {m_gpu, m_provider, m_region}) {
    combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    combo->setMinimumContentsLength(5);
  }
  auto* top = new QHBoxLayout;
  top->addWidget(title);
  top->addStretch(1);
  top->addWidget(m_search);
  top->addWidget(m_refreshButton);
  top->addWidget(m_cancelButton);
  auto* filters = new QHBoxLayout;
  filters->addWidget(m_gpu);
  filters->addWidget(m_minGpus);
  filters->addWidget(m_provider);
  filters->addWidget(m_region);
  filters->addWidget(m_maxPrice);
  filters->addWidget(m_spotOnly);
  filters->addStretch(1);
  filters->addWidget(copy);
  filters->addWidget(exportButton);
  m_splitter->addWidget(m_table);
  m_splitter->addWidget(new QWidget(m_splitter));  // the charts' place, until buildCharts()
  m_splitter->setStretchFactor(0, 3);
  m_splitter->setStretchFactor(1, 2);
  auto* bottom = new QHBoxLayout;
  bottom->addWidget(m_count);
  bottom->addStretch(1);
  bottom->addWidget(m_status);
  bottom->addWidget(m_launchButton);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(top);
  layout->addLayout(filters);
  layout->addWidget(m_banner);
  layout->addWidget(m_asOf);
  layout->addWidget(sourcesBox);
  layout->addWidget(m_splitter, 1);
  layout->addLayout(bottom);

  // Filters apply at once (cheap); the charts follow after a short pause in typing.
  m_chartTimer->setSingleShot(true);
  m_chartTimer->setInterval(150);
  connect(m_chartTimer, &QTimer::timeout, this, &PricesPage::updateCharts);
  connect(m_search, &QLineEdit::textChanged, this, &PricesPage::applyFilter);
  connect(m_gpu, &QComboBox::currentIndexChanged, this, &PricesPage::applyFilter);
  connect(m_minGpus, &QSpinBox::valueChanged, this, &PricesPage::applyFilter);
  connect(m_provider, &QComboBox::currentIndexChanged, this, &PricesPage::applyFilter);
  connect(m_region, &QComboBox::currentIndexChanged, this, &PricesPage::applyFilter);
  connect(m_maxPrice, &QDoubleSpinBox::valueChanged, this, &PricesPage::applyFilter);
  connect(m_spotOnly, &QCheckBox::toggled, this, &PricesPage::applyFilter);
  connect(copy, &QPushButton::clicked, this, &PricesPage::copySelection);
  connect(exportButton, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export prices"), QStringLiteral("gpu-prices.csv"), tr("CSV files (*.csv)"));
    if (!path.isEmpty()) exportCsv(path);
  });
  connect(m_refreshButton, &QPushButton::clicked, this, &PricesPage::refresh);
  connect(m_cancelButton, &QPushButton::clicked, this, &PricesPage::cancelRefresh);
  connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this] {
    m_chartTimer->start();
    updateHistoryChart();
    m_launchButton->setEnabled(currentOffer() != nullptr);
  });
  connect(m_proxy, &QAbstractItemModel::modelReset, this, [this] { m_launchButton->setEnabled(currentOffer() != nullptr); });
  connect(m_launchButton, &QPushButton::clicked, this, &PricesPage::launchCurrentOffer);
  connect(m_table, &QAbstractItemView::doubleClicked, this, &PricesPage::launchCurrentOffer);
  connect(m_table, &QWidget::customContextMenuRequested, this, [this](const QPoint& pos) {
    const QModelIndex index = m_table->indexAt(pos);
    if (!index.isValid()) return;
    m_table->setCurrentIndex(index);
    auto* menu = new QMenu(m_table);
    menu->setObjectName(QStringLiteral("offerContextMenu"));
    menu->setAttribute(Qt::WA_DeleteOnClose);
    QAction* launch = menu->addAction(tr("Launch…"), this, &PricesPage::launchCurrentOffer);
    launch->setObjectName(QStringLiteral("launchAction"));
    menu->addAction(tr("Copy"), this, &PricesPage::copySelection);
    menu->popup(m_table->viewport()->mapToGlobal(pos));
  });
  connect(m_refresh, &RefreshController::sourceProgress, this, [this](const QString& id, qint64 done, qint64 total, const QString& unit) {
    const auto it = m_sourceRows.find(id);
    if (it == m_sourceRows.end()) return;
    auto* bar = it->second.second;
    if (total > 0) {
      bar->setRange(0, 1000);
      bar->setValue(static_cast<int>(done * 1000 / total));
    } else {
      bar->setRange(0, 0);  // busy: pages or bytes of unknown total
    }
    it->second.first->setText(sourceTitle(id) + QStringLiteral(": ") +
                              (unit == QLatin1String("pages") ? tr("page %1").arg(done) : tr("%1 MB").arg(double(done) / 1e6, 0, 'f', 1)));
  });
  connect(m_refresh, &RefreshController::finished, this, &PricesPage::onRefreshFinished);

  const QString dataDir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
  m_baseConfig.cacheDir = (QStandardPaths::writableLocation(QStandardPaths::CacheLocation) + QStringLiteral("/offers")).toStdString();
  m_refresh->setConfig(m_baseConfig, dataDir.isEmpty() ? QString() : dataDir + QStringLiteral("/prices.sqlite"));
}

PricesPage::~PricesPage() {
  for (auto& record : m_awsRecords) record->stop.request_stop();
  for (auto& record : m_awsRecords) record->watcher.waitForFinished();
}

const pricing::Offer* PricesPage::currentOffer() const {
  const QModelIndex current = m_table->currentIndex();
  return current.isValid() ? m_proxy->offerAt(current.row()) : nullptr;
}

void PricesPage::launchCurrentOffer() {
  if (const pricing::Offer* offer = currentOffer()) Q_EMIT launchRequested(*offer);
}

std::int64_t PricesPage::now() const { return m_now != 0 ? m_now : QDateTime::currentSecsSinceEpoch(); }

void PricesPage::setNow(std::int64_t unixSeconds) {
  m_now = unixSeconds;
  m_model->setNow(unixSeconds);
  updateBanner();
}

void PricesPage::setRefreshConfig(const pricing::RefreshConfig& config, const QString& databasePath) {
  m_baseConfig = config;
  m_refresh->setConfig(config, databasePath);
}

void PricesPage::setAccounts(SecretStore* store, QSettings* settings) {
  m_store = store;
  m_settings = settings;
}

void PricesPage::setSnapshot(const pricing::Snapshot& snapshot) {
  m_embedded = snapshot;
  showOffers(snapshot.offers, snapshot.sources, snapshot.notes, false);
  m_refresh->loadStored(m_embedded);  // stored live data, no network; replaces the table when there is some
}

void PricesPage::showOffers(std::vector<pricing::Offer> offers, const std::vector<pricing::PriceSource>& sources,
                            const std::vector<std::string>& notes, bool live) {
  m_model->setOffers(std::move(offers));
  QStringList ids;
  QStringList details;
  m_oldestAsOf = 0;
  for (const auto& s : sources) {
    ids << toQString(s.id);
    details << tr("%1: %2, as of %3%4")
                   .arg(toQString(s.id), toQString(s.description), toDateTime(s.asOfUnix).toString(Qt::ISODate),
                        s.revision.empty() ? QString() : tr(", revision %1").arg(toQString(s.revision).left(12)));
    if (!s.interruptionsOnly && (m_oldestAsOf == 0 || s.asOfUnix < m_oldestAsOf)) m_oldestAsOf = s.asOfUnix;
  }
  for (const auto& n : notes) details << toQString(n);
  m_asOf->setText(tr("%1 · prices as of %2 · sources: %3")
                      .arg(live ? tr("Live prices") : tr("Offline snapshot"), toDateTime(m_oldestAsOf).date().toString(Qt::ISODate),
                           ids.join(QStringLiteral(", "))));
  m_asOf->setToolTip(details.join(QLatin1Char('\n')));
  fillFilterChoices();
  applyFilter();
  updateBanner();
}

void PricesPage::fillFilterChoices() {
  const QString gpu = m_gpu->currentData().toString();
  const QString region = m_region->currentData().toString();
  std::set<std::string> gpus, regions;
  for (const auto& o : m_model->offers()) {
    gpus.insert(o.gpuModel);
    regions.insert(o.region);
  }
  const QSignalBlocker blockGpu(m_gpu), blockRegion(m_region);
  m_gpu->clear();
  m_gpu->addItem(tr("All GPUs"), QString());
  for (const auto& g : gpus) m_gpu->addItem(toQString(g), toQString(g));
  m_gpu->setCurrentIndex(std::max(0, m_gpu->findData(gpu)));
  m_region->clear();
  m_region->addItem(tr("All regions"), QString());
  for (const auto& r : regions) m_region->addItem(toQString(r), toQString(r));
  m_region->setCurrentIndex(std::max(0, m_region->findData(region)));
}

void PricesPage::applyFilter() {
  OfferFilter filter;
  filter.gpuModel = m_gpu->currentData().toString();
  filter.minGpuCount = m_minGpus->value();
  if (m_provider->currentIndex() > 0) filter.provider = static_cast<pricing::CloudProvider>(m_provider->currentData().toInt());
  filter.region = m_region->currentData().toString();
  if (m_maxPrice->value() > 0) filter.maxUsdPerHour = m_maxPrice->value();
  filter.spotOnly = m_spotOnly->isChecked();
  filter.search = m_search->text();
  m_proxy->setFilter(filter);
  updateCount();
  m_chartTimer->start();
}

PriceCharts* PricesPage::charts() {
  buildCharts();
  return m_charts;
}

void PricesPage::buildCharts() {
  if (m_charts) return;
  // Made without a parent: QSplitter::replaceWidget() leaves its own children where they are.
  m_charts = new PriceCharts;
  delete m_splitter->replaceWidget(1, m_charts);
  connect(m_charts, &PriceCharts::awsSpotRecordRequested, this, &PricesPage::loadAwsSpotRecord);
  updateCharts();
  updateHistoryChart();
}

void PricesPage::updateCharts() {
  if (!m_charts) return;  // buildCharts() fills them
  // The configuration compared: the selected row's, else the GPU filter with at least its count.
  QString gpu = m_gpu->currentData().toString();
  int count = std::max(1, m_minGpus->value());
  const QModelIndex current = m_table->currentIndex();
  if (current.isValid()) {
    if (const auto* o = m_proxy->offerAt(current.row())) {
      gpu = toQString(o->gpuModel);
      count = o->gpuCount;
    }
  }
  // Providers are compared over all offers (a provider filter must not hide the others);
  // the savings ranking is over the shown offers.
  m_charts->setComparison(m_model->offers(), gpu, count);
  std::vector<const pricing::Offer*> shown;
  shown.reserve(static_cast<std::size_t>(m_proxy->rowCount()));
  for (int r = 0; r < m_proxy->rowCount(); ++r) shown.push_back(m_proxy->offerAt(r));
  m_charts->setSavings(shown);
}

void PricesPage::updateHistoryChart() {
  if (!m_charts) return;
  const QModelIndex current = m_table->currentIndex();
  const auto* o = current.isValid() ? m_proxy->offerAt(current.row()) : nullptr;
  if (!o) return;
  pricing::OfferHistory onDemand, spot;
  if (!m_refresh->databasePath().isEmpty() && QFileInfo::exists(m_refresh->databasePath())) {
    if (auto history = pricing::PriceHistory::open(m_refresh->databasePath().toStdString())) {
      if (auto points = history->history(*o, pricing::sources::PriceKind::OnDemand)) onDemand = std::move(*points);
      if (auto points = history->history(*o, pricing::sources::PriceKind::Spot)) spot = std::move(*points);
    }
  }
  const QString title = o->zone.empty() ? QStringLiteral("%1 %2").arg(toQString(o->instanceType), toQString(o->region))
                                        : QStringLiteral("%1 %2 (%3)").arg(toQString(o->instanceType), toQString(o->region), toQString(o->zone));
  m_charts->setHistory(title, onDemand, spot, o->provider == pricing::CloudProvider::Aws);
}

void PricesPage::ensureAccounts() {
  if (m_store) return;
  m_ownedStore = makeDefaultSecretStore();
  m_ownedSettings = std::make_unique<QSettings>();
  m_store = m_ownedStore.get();
  m_settings = m_ownedSettings.get();
}

void PricesPage::loadAwsSpotRecord() {
  const pricing::Offer* o = currentOffer();
  if (!o || o->provider != pricing::CloudProvider::Aws || !m_charts) return;
  for (auto& earlier : m_awsRecords) earlier->stop.request_stop();  // superseded: end them early
  m_awsRecords.push_back(std::make_unique<AwsRecord>());
  AwsRecord* pending = m_awsRecords.back().get();
  pending->offer = *o;
  m_charts->setAwsSpotRecordStatus(tr("Asking EC2 for the spot price record of %1 in %2…")
                                       .arg(toQString(o->instanceType), toQString(o->zone.empty() ? o->region : o->zone)),
                                   false);
  connect(&pending->watcher, &QFutureWatcherBase::finished, this, [this, pending] {
    const bool latest = m_awsRecords.back().get() == pending;
    const AwsRecordResult result = pending->watcher.result();
    const pricing::Offer asked = pending->offer;
    std::erase_if(m_awsRecords, [pending](const auto& r) { return r.get() == pending; });
    if (!latest) return;
    const pricing::Offer* shown = currentOffer();
    const bool stillShown = shown && shown->instanceType == asked.instanceType && shown->region == asked.region &&
                            shown->zone == asked.zone && shown->provider == asked.provider;
    if (!stillShown) return;  // the chart shows another offer now
    if (!result.error.isEmpty()) {
      m_charts->setAwsSpotRecordStatus(tr("AWS's record could not be loaded: %1").arg(result.error), true);
      return;
    }
    m_charts->setAwsSpotRecord(result.changes, result.sinceUnix, now());
    const int changes = static_cast<int>(std::ranges::count_if(result.changes, [&](const auto& p) { return p.asOfUnix > result.sinceUnix; }));
    m_charts->setAwsSpotRecordStatus(
        result.changes.empty() ? tr("AWS has no Linux spot price for this offer in the last 90 days.")
                               : tr("AWS's record since %1 (UTC): %2 $/h then, %n change(s) since.", nullptr, changes)
                                     .arg(toDateTime(result.sinceUnix).toString(QStringLiteral("yyyy-MM-dd")))
                                     .arg(priceAt(result.changes, result.sinceUnix), 0, 'f', 4),
        true);
  });
  ensureAccounts();
  const std::int64_t since = now() - std::int64_t{90} * 24 * 3600;
  loadRefreshCredentials(*m_store, *m_settings, m_baseConfig, this, [pending, since](pricing::RefreshConfig config) {
    const std::stop_token stop = pending->stop.get_token();
    pending->watcher.setFuture(QtConcurrent::run([config = std::move(config), offer = pending->offer, stop, since]() mutable {
      http::CurlHttpClient client;
      config.settings.stop = stop;
      auto access = pricing::awsAccessFor(config, client, stop);
      if (!access) return AwsRecordResult{{}, since, toQString(access.error().message)};
      if (!*access) {
        return AwsRecordResult{{}, since, QObject::tr("no AWS credentials (add them on the Accounts page, or in the environment or ~/.aws)")};
      }
      auto changes = pricing::sources::fetchAwsSpotPriceChanges(client, **access, offer.region, offer.instanceType, offer.zone, since,
                                                                config.settings);
      if (!changes) return AwsRecordResult{{}, since, toQString(changes.error().message)};
      return AwsRecordResult{std::move(*changes), since, {}};
    }));
  });
}

void PricesPage::updateCount() {
  m_count->setText(tr("%n offer(s) shown", nullptr, m_proxy->rowCount()) +
                   (m_proxy->rowCount() != m_model->rowCount() ? tr(" of %1").arg(m_model->rowCount()) : QString()));
}

void PricesPage::updateBanner() {
  const bool stale = m_oldestAsOf != 0 && now() - m_oldestAsOf > kStaleAfterSeconds;
  m_banner->setText(stale ? tr("The prices shown are more than a day old (oldest from %1). Refresh to fetch current prices.")
                                .arg(toDateTime(m_oldestAsOf).toString(QStringLiteral("yyyy-MM-dd HH:mm 'UTC'")))
                          : QString());
  m_banner->setVisible(stale);
}

void PricesPage::showLoadError(const QString& message) { m_asOf->setText(tr("Prices could not be loaded: %1").arg(message)); }

QString PricesPage::shownRowsCsv(bool selectedOnly) const {
  QStringList lines;
  QStringList header;
  for (int c = 0; c < OfferTableModel::ColumnCount; ++c) header << csvField(m_model->headerData(c, Qt::Horizontal).toString());
  lines << header.join(QLatin1Char(','));
  QSet<int> selected;
  if (selectedOnly) {
    for (const auto& index : m_table->selectionModel()->selectedRows()) selected.insert(index.row());
  }
  for (int r = 0; r < m_proxy->rowCount(); ++r) {
    if (selectedOnly && !selected.contains(r)) continue;
    const auto* o = m_proxy->offerAt(r);
    QStringList cells;
    for (int c = 0; c < OfferTableModel::ColumnCount; ++c) {
      QString text = m_proxy->index(r, c).data().toString();
      // Plain numbers in the file: no "$", no "%", no "—" for a missing value.
      if (c == OfferTableModel::OnDemandColumn) text = o->onDemand ? QString::number(o->onDemand->usdPerHour, 'f', 6) : QString();
      if (c == OfferTableModel::SpotColumn) text = o->spot ? QString::number(o->spot->usdPerHour, 'f', 6) : QString();
      if (c == OfferTableModel::SavingsColumn) text = o->savingsPercent() ? QString::number(*o->savingsPercent(), 'f', 2) : QString();
      if (text == QStringLiteral("—")) text.clear();
      cells << csvField(text);
    }
    lines << cells.join(QLatin1Char(','));
  }
  return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

bool PricesPage::exportCsv(const QString& path) {
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) {
    m_status->setText(tr("Export failed: %1").arg(file.errorString()));
    return false;
  }
  file.write(shownRowsCsv(false).toUtf8());
  if (!file.commit()) {
    m_status->setText(tr("Export failed: %1").arg(file.errorString()));
    return false;
  }
  m_status->setText(tr("Exported %n offer(s) to %1", nullptr, m_proxy->rowCount()).arg(path));
  return true;
}

void PricesPage::copySelection() {
  const bool hasSelection = !m_table->selectionModel()->selectedRows().isEmpty();
  QApplication::clipboard()->setText(shownRowsCsv(hasSelection));
  m_status->setText(hasSelection ? tr("Copied the selected rows") : tr("Copied every shown row"));
}

void PricesPage::refresh() {
  if (m_refresh->isRunning() || m_loadingCredentials) return;
  m_refreshButton->setEnabled(false);
  m_cancelButton->setEnabled(true);
  m_status->setText(tr("Refreshing prices…"));
  for (auto& [id, row] : m_sourceRows) {
    row.first->setText(sourceTitle(id) + tr(": starting"));
    row.second->setRange(0, 0);
  }
  ensureAccounts();
  m_loadingCredentials = true;
  loadRefreshCredentials(*m_store, *m_settings, m_baseConfig, this, [this](pricing::RefreshConfig config) {
    m_loadingCredentials = false;
    m_refresh->setConfig(std::move(config), m_refresh->databasePath());
    m_refresh->start(m_embedded);
  });
}

void PricesPage::cancelRefresh() {
  m_refresh->cancel();
  m_status->setText(tr("Cancelling…"));
}

void PricesPage::onRefreshFinished(const RefreshOutcome& outcome) {
  m_refreshButton->setEnabled(true);
  m_cancelButton->setEnabled(false);
  for (const auto& h : outcome.health) {
    const auto it = m_sourceRows.find(toQString(h.sourceId));
    if (it == m_sourceRows.end()) continue;
    QString state;
    if (h.lastAttemptOk) {
      state = tr("fresh (%1)").arg(toDateTime(h.lastAttemptUnix).toString(QStringLiteral("yyyy-MM-dd HH:mm")));
    } else if (h.lastSuccessUnix) {
      state = tr("stale since %1").arg(toDateTime(*h.lastSuccessUnix).toString(QStringLiteral("yyyy-MM-dd HH:mm")));
    } else {
      state = tr("failed");
    }
    it->second.first->setText(sourceTitle(toQString(h.sourceId)) + QStringLiteral(": ") + state);
    it->second.first->setStyleSheet(QString());
    it->second.first->setToolTip(h.lastAttemptOk ? QString() : toQString(h.lastError));
  }
  for (const auto& s : outcome.sources) {
    const auto it = m_sourceRows.find(toQString(s.sourceId));
    if (it == m_sourceRows.end()) continue;
    it->second.second->setRange(0, 1);
    it->second.second->setValue(s.state == pricing::SourceOutcome::State::Fresh ? 1 : 0);
    if (s.state != pricing::SourceOutcome::State::Fresh) {
      QString text = it->second.first->text();
      const QString why = toQString(s.error.message);
      if (s.state == pricing::SourceOutcome::State::Skipped) {
        // Why it was skipped is the point (no key, no credentials): say it in the label, not only the tooltip.
        text = sourceTitle(toQString(s.sourceId)) +
               (s.sourceId == "gcp-billing"        ? tr(": skipped, no Cloud Billing API key (Accounts page)")
                : s.sourceId == "aws-spot-history" ? tr(": skipped, no AWS credentials (regional feed used)")
                                                   : tr(": skipped"));
      }
      if (s.state == pricing::SourceOutcome::State::Cancelled) text = sourceTitle(toQString(s.sourceId)) + tr(": cancelled");
      if (s.state == pricing::SourceOutcome::State::Failed && !text.contains(tr("stale"))) {
        text = sourceTitle(toQString(s.sourceId)) + tr(": failed");
      }
      it->second.first->setText(text);
      it->second.first->setToolTip(why);
    }
  }
  // Rows a source did not expect (its format may have changed): said next to the source, all listed in its tooltip.
  QStringList warned;
  for (const auto& s : outcome.sources) {
    if (s.state != pricing::SourceOutcome::State::Fresh || s.result.parsed.warnings.empty()) continue;
    const auto it = m_sourceRows.find(toQString(s.sourceId));
    if (it == m_sourceRows.end()) continue;
    QStringList lines;
    for (const auto& w : s.result.parsed.warnings) lines << toQString(w);
    it->second.first->setText(it->second.first->text() + tr(" · %n warning(s)", nullptr, static_cast<int>(s.result.parsed.warnings.size())));
    it->second.first->setToolTip(lines.join(QLatin1Char('\n')));
    it->second.first->setStyleSheet(QStringLiteral("color: #8a5a00;"));
    warned << sourceTitle(toQString(s.sourceId));
  }
  if (outcome.catalog) showOffers(outcome.catalog->offers, outcome.catalog->sources, outcome.catalog->notes, true);
  m_launchButton->setEnabled(currentOffer() != nullptr);  // follows the selection, whether new offers came or not
  if (!outcome.error.isEmpty()) {
    m_status->setText(tr("Price history: %1").arg(outcome.error));
  } else if (outcome.ranNetwork) {
    int fresh = 0;
    for (const auto& s : outcome.sources) fresh += s.state == pricing::SourceOutcome::State::Fresh ? 1 : 0;
    m_status->setText(tr("Refreshed %1 of %2 sources").arg(fresh).arg(outcome.sources.size()) +
                      (warned.isEmpty() ? QString() : tr(" · unexpected data from %1: hover for details").arg(warned.join(QStringLiteral(", ")))));
  }
}

}  // namespace spotwise::ui
