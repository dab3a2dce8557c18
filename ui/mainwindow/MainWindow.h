#pragma once

#include <QMainWindow>
#include <QPointer>

#include <vector>

#include "core/jobs/JobSpec.h"
#include "core/jobs/Runtime.h"
#include "core/pricing/Offer.h"

class QActionGroup;
class QListWidget;
class QStackedWidget;

namespace spotwise::ui {

class AccountsPage;
class JobsPage;
class LaunchDialog;
class PlannerPage;
class PricesPage;
class TrayIcon;
struct LaunchPrefill;

/**
 * The main window: a sidebar of pages (Prices, Planner, Jobs, Accounts) and the About box. Closing it
 * while jobs run asks whether to keep watching them from the tray (the answer can be remembered, and
 * changed in File ▸ When Closed With Jobs Running).
 *
 * Prices (the first screen) and Jobs (it supervises running jobs from the start) are built with the
 * window; Planner and Accounts are built the first time they are shown (or asked for), which keeps
 * them off the start-up path.
 */
class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  enum Page { PricesPageIndex, PlannerPageIndex, JobsPageIndex, AccountsPageIndex };

  explicit MainWindow(QWidget* parent = nullptr);

  void showPage(Page page);
  [[nodiscard]] Page currentPage() const;
  [[nodiscard]] PricesPage* pricesPage() const { return m_prices; }
  /** The Planner page, built now if it has not been shown yet. */
  [[nodiscard]] PlannerPage* plannerPage();
  [[nodiscard]] JobsPage* jobsPage() const { return m_jobs; }
  /** The launch form while it is open (it deletes itself when closed). */
  [[nodiscard]] LaunchDialog* launchDialog() const;
  /**
   * Opens the launch form (window-modal, without a nested event loop), replacing one already open. On
   * confirmation the Jobs page is shown and launches the spec; launchRequested() says so.
   */
  void openLaunchDialog(const LaunchPrefill& prefill);

  /** Job notifications go to `tray`, and closing the window can leave the app there. */
  void setTrayIcon(TrayIcon* tray);
  /** Starts supervising jobs (reconciliation, then polling) with `options`. */
  void startSupervising(jobs::RuntimeOptions options);

  /** QSettings key and values of what closing the window with jobs running does. */
  static constexpr const char* kCloseActionKey = "jobs/closeAction";  // "ask" (default), "tray", "quit"

 public Q_SLOTS:
  void showAbout();
  /** Quits the app (File ▸ Quit, the tray's Quit): no question; jobs keep running and re-attach at next start. */
  void quit();

 Q_SIGNALS:
  /** The launch form was confirmed with `spec` (valid): the Jobs page takes it from here. */
  void launchRequested(const spotwise::jobs::JobSpec& spec);

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void loadEmbeddedPrices();
  /** Builds the page at `index` of the stack in place of its placeholder, if not built yet. */
  void ensurePage(int index);
  void restoreWindowState();
  enum class CloseChoice { Tray, Quit, Cancel };
  /** Asks (or reads the remembered answer) what closing with jobs running does. */
  CloseChoice askCloseChoice();

  QListWidget* m_sidebar;
  QStackedWidget* m_pages;
  PricesPage* m_prices;
  PlannerPage* m_planner = nullptr;  ///< built on first show (ensurePage)
  AccountsPage* m_accounts = nullptr;  ///< built on first show (ensurePage)
  JobsPage* m_jobs;
  std::vector<pricing::Offer> m_plannerOffers;  ///< the catalog the Planner gets when it is built
  QPointer<LaunchDialog> m_launchDialog;
  TrayIcon* m_tray = nullptr;
  QActionGroup* m_closeActions = nullptr;
  bool m_quitting = false;
  bool m_leftInTray = false;
};

}  // namespace spotwise::ui
