#pragma once

#include <QWidget>

#include <map>
#include <memory>
#include <vector>

#include "core/pricing/PriceRefresh.h"

#include "core/pricing/Snapshot.h"
#include "ui/prices/OfferFilterProxy.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QSettings;
class QPushButton;
class QSpinBox;
class QSplitter;
class QTableView;
class QTimer;

namespace spotwise::ui {

class OfferTableModel;
class PriceCharts;
class RefreshController;
class SecretStore;
struct RefreshOutcome;

/**
 * The Prices page: every GPU offer with on-demand and spot prices, savings, interruption band and
 * price age; filters (GPU model, minimum GPU count, provider, region, max $/h, spot only) and
 * search-as-you-type; copy/export CSV; a live refresh of every source with progress, cancel and a
 * status per source; a banner when the data shown is older than a day; and the charts.
 */
class PricesPage : public QWidget {
  Q_OBJECT

 public:
  explicit PricesPage(QWidget* parent = nullptr);
  ~PricesPage() override;

  /** Shows the offers of `snapshot` (the embedded catalog) and loads stored live data in the background. */
  void setSnapshot(const pricing::Snapshot& snapshot);
  /** Shows why prices could not be loaded (the table stays as it was). */
  void showLoadError(const QString& message);
  /** Where live refreshes fetch from and where the price history lives (defaults: public endpoints, app data). */
  void setRefreshConfig(const pricing::RefreshConfig& config, const QString& databasePath);
  /**
   * Where a refresh reads the GCP Billing API key and AWS keys (loadRefreshCredentials): `store` and
   * `settings` must outlive the page. Default: the user's store (makeDefaultSecretStore) and QSettings.
   */
  void setAccounts(SecretStore* store, QSettings* settings);
  /** The time "now" for price ages and the stale banner (tests); 0 = the wall clock. */
  void setNow(std::int64_t unixSeconds);

  /** The shown rows (or only the selected ones) as CSV with a header. */
  [[nodiscard]] QString shownRowsCsv(bool selectedOnly) const;
  /** Writes shownRowsCsv(false) to `path`; false (with the status line saying why) on failure. */
  bool exportCsv(const QString& path);

  [[nodiscard]] OfferTableModel* model() const { return m_model; }
  [[nodiscard]] OfferFilterProxy* proxy() const { return m_proxy; }
  /** The charts under the table, built now if buildCharts() has not run yet. */
  [[nodiscard]] PriceCharts* charts();
  /**
   * Builds the charts in their place under the table (the main window does it once its first frame is
   * shown: the table comes first) and fills them. Does nothing the second time.
   */
  void buildCharts();
  [[nodiscard]] QTableView* offersView() const { return m_table; }
  [[nodiscard]] RefreshController* refreshController() const { return m_refresh; }
  /** The offer of the table's current row; nullptr when no row is current. */
  [[nodiscard]] const pricing::Offer* currentOffer() const;

 public Q_SLOTS:
  void refresh();
  void cancelRefresh();
  void copySelection();
  /** Asks to open the launch form for the current row's offer (Launch…, the context menu, a double-click). */
  void launchCurrentOffer();

 Q_SIGNALS:
  /** The user wants to launch a job on `offer`. */
  void launchRequested(const spotwise::pricing::Offer& offer);

 private:
  void showOffers(std::vector<pricing::Offer> offers, const std::vector<pricing::PriceSource>& sources,
                  const std::vector<std::string>& notes, bool live);
  void applyFilter();
  void updateCharts();
  void updateHistoryChart();
  void updateCount();
  void updateBanner();
  void fillFilterChoices();
  void onRefreshFinished(const RefreshOutcome& outcome);
  /** The user's secret store and settings, made on first use (not at start: the app never waits for them). */
  void ensureAccounts();
  /**
   * Asks EC2 for AWS's record of the current offer's spot price (90 days), with the refresh's credentials
   * (Accounts page keys, else the AWS chain, resolved off the GUI thread), and draws it in the History chart.
   */
  void loadAwsSpotRecord();
  [[nodiscard]] std::int64_t now() const;

  OfferTableModel* m_model;
  OfferFilterProxy* m_proxy;
  QTableView* m_table;
  QLineEdit* m_search;
  QComboBox* m_gpu;
  QSpinBox* m_minGpus;
  QComboBox* m_provider;
  QComboBox* m_region;
  QDoubleSpinBox* m_maxPrice;
  QCheckBox* m_spotOnly;
  QPushButton* m_refreshButton;
  QPushButton* m_cancelButton;
  QPushButton* m_launchButton;
  QLabel* m_banner;
  QLabel* m_asOf;
  QLabel* m_count;
  QLabel* m_status;
  std::map<QString, std::pair<QLabel*, QProgressBar*>> m_sourceRows;
  QSplitter* m_splitter;
  PriceCharts* m_charts = nullptr;  ///< built by buildCharts()
  RefreshController* m_refresh;
  QTimer* m_chartTimer;
  pricing::Snapshot m_embedded;
  pricing::RefreshConfig m_baseConfig;  ///< endpoints and limits; credentials are added at each refresh
  std::unique_ptr<SecretStore> m_ownedStore;
  std::unique_ptr<QSettings> m_ownedSettings;
  SecretStore* m_store = nullptr;
  QSettings* m_settings = nullptr;
  bool m_loadingCredentials = false;
  /** Fetches of AWS's spot price record still running; only the latest one's answer is drawn. */
  struct AwsRecord;
  std::vector<std::unique_ptr<AwsRecord>> m_awsRecords;
  std::int64_t m_oldestAsOf = 0;
  std::int64_t m_now = 0;
};

}  // namespace spotwise::ui
