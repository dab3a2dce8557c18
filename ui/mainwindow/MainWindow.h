#pragma once

#include <QMainWindow>
#include <QPointer>

#include <vector>

#include "core/jobs/JobSpec.h"
#include "core/jobs/Runtime.h"
#include "core/pricing/Offer.h"

class QActionGroup;
class QMessageBox;
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
 * Only what the first frame shows is built with the window: the Prices page's filters and table, filled
 * from the embedded snapshot. Once that frame is on screen (firstFrameShown()), the Prices page's charts
 * follow; the Jobs page is built when supervision starts (the app does that right after the first frame),
 * and Planner and Accounts the first time they are shown (or asked for).
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
  /** The Jobs page, built now if it has not been yet. */
  [[nodiscard]] JobsPage* jobsPage();
  /** The launch form while it is open (it deletes itself when closed). */
  [[nodiscard]] LaunchDialog* launchDialog() const;
  /**
   * Opens the launch form (window-modal, without a nested event loop), replacing one already open. On
   * confirmation the Jobs page is shown and launches the spec; launchRequested() says so.
   */
  void openLaunchDialog(const LaunchPrefill& prefill);
  /**
   * Opens the launch form filled from the job file at `path` (`spotwise FILE`, the file manager, or a later
   * launch handing its file over). A file that cannot be read or is not a valid job file is refused in a
   * warning box that names the file and what is wrong with it, and the window is left as it was.
   */
  bool openJobFile(const QString& path);
  /** The box that refused the last job file, while it is open. */
  [[nodiscard]] QMessageBox* jobFileErrorBox() const;

  /** Job notifications go to `tray`, and closing the window can leave the app there. */
  void setTrayIcon(TrayIcon* tray);
  /** Starts supervising jobs (reconciliation, then polling) with `options`; builds the Jobs page. */
  void startSupervising(jobs::RuntimeOptions options);

  /** QSettings key and values of what closing the window with jobs running does. */
  static constexpr const char* kCloseActionKey = "jobs/closeAction";  // "ask" (default), "tray", "quit"

 public Q_SLOTS:
  /**
   * A later launch of the app handed over its command line (SingleInstance): comes to the front and
   * opens the job files it names (absolute paths, AppCommandLine::forwardedArguments()).
   */
  void activateForLaunch(const QStringList& arguments);
  void showAbout();
  /** Quits the app (File ▸ Quit, the tray's Quit): no question; jobs keep running and re-attach at next start. */
  void quit();

 Q_SIGNALS:
  /**
   * The window's first frame (the Prices table filled, when that is the page shown) has been painted:
   * emitted once, queued after that paint. The work the first frame does not need starts from here.
   */
  void firstFrameShown();
  /** The launch form was confirmed with `spec` (valid): the Jobs page takes it from here. */
  void launchRequested(const spotwise::jobs::JobSpec& spec);

 protected:
  void closeEvent(QCloseEvent* event) override;
  bool event(QEvent* event) override;

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
  JobsPage* m_jobs = nullptr;  ///< built by jobsPage(), startSupervising() or on first show
  std::vector<pricing::Offer> m_plannerOffers;  ///< the catalog the Planner gets when it is built
  QPointer<LaunchDialog> m_launchDialog;
  QPointer<QMessageBox> m_jobFileError;
  TrayIcon* m_tray = nullptr;
  QActionGroup* m_closeActions = nullptr;
  bool m_quitting = false;
  bool m_leftInTray = false;
  bool m_firstFrameShown = false;
};

}  // namespace spotwise::ui
