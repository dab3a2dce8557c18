#pragma once

#include <QMainWindow>

#include "core/jobs/Runtime.h"

class QActionGroup;
class QListWidget;
class QStackedWidget;

namespace spotwise::ui {

class JobsPage;
class PlannerPage;
class PricesPage;
class TrayIcon;

/**
 * The main window: a sidebar of pages (Prices, Planner, Jobs, Accounts) and the About box. Closing it
 * while jobs run asks whether to keep watching them from the tray (the answer can be remembered, and
 * changed in File ▸ When Closed With Jobs Running).
 */
class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  enum Page { PricesPageIndex, PlannerPageIndex, JobsPageIndex, AccountsPageIndex };

  explicit MainWindow(QWidget* parent = nullptr);

  void showPage(Page page);
  [[nodiscard]] Page currentPage() const;
  [[nodiscard]] PricesPage* pricesPage() const { return m_prices; }
  [[nodiscard]] PlannerPage* plannerPage() const { return m_planner; }
  [[nodiscard]] JobsPage* jobsPage() const { return m_jobs; }

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

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void loadEmbeddedPrices();
  void restoreWindowState();
  enum class CloseChoice { Tray, Quit, Cancel };
  /** Asks (or reads the remembered answer) what closing with jobs running does. */
  CloseChoice askCloseChoice();

  QListWidget* m_sidebar;
  QStackedWidget* m_pages;
  PricesPage* m_prices;
  PlannerPage* m_planner;
  JobsPage* m_jobs;
  TrayIcon* m_tray = nullptr;
  QActionGroup* m_closeActions = nullptr;
  bool m_quitting = false;
  bool m_leftInTray = false;
};

}  // namespace spotwise::ui
