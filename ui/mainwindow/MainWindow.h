#pragma once

#include <QMainWindow>

class QListWidget;
class QStackedWidget;

namespace spotwise::ui {

class PlannerPage;
class PricesPage;

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

 public Q_SLOTS:
  void showAbout();

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void loadEmbeddedPrices();
  void restoreWindowState();

  QListWidget* m_sidebar;
  QStackedWidget* m_pages;
  PricesPage* m_prices;
  PlannerPage* m_planner;
};

}  // namespace spotwise::ui
