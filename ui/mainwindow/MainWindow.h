#pragma once

#include <QMainWindow>
#include <QPointer>

#include "core/jobs/JobSpec.h"

class QListWidget;
class QStackedWidget;

namespace spotwise::ui {

class LaunchDialog;
class PlannerPage;
class PricesPage;
struct LaunchPrefill;

/** The main window: a sidebar of pages (Prices, Planner, Jobs, Accounts) and the About box. */
class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  enum Page { PricesPageIndex, PlannerPageIndex, JobsPageIndex, AccountsPageIndex };

  explicit MainWindow(QWidget* parent = nullptr);

  void showPage(Page page);
  [[nodiscard]] Page currentPage() const;
  [[nodiscard]] PricesPage* pricesPage() const { return m_prices; }
  [[nodiscard]] PlannerPage* plannerPage() const { return m_planner; }
  /** The launch form while it is open (it deletes itself when closed). */
  [[nodiscard]] LaunchDialog* launchDialog() const;
  /** Opens the launch form (window-modal, without a nested event loop), replacing one already open. */
  void openLaunchDialog(const LaunchPrefill& prefill);

 public Q_SLOTS:
  void showAbout();

 Q_SIGNALS:
  /** The launch form was confirmed with `spec` (valid): the Jobs page takes it from here. */
  void launchRequested(const spotwise::jobs::JobSpec& spec);

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void loadEmbeddedPrices();
  void restoreWindowState();

  QListWidget* m_sidebar;
  QStackedWidget* m_pages;
  PricesPage* m_prices;
  PlannerPage* m_planner;
  QPointer<LaunchDialog> m_launchDialog;
};

}  // namespace spotwise::ui
