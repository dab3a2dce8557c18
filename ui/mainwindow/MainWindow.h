#pragma once

#include <QMainWindow>

class QListWidget;
class QStackedWidget;

namespace spotwise::ui {

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
};

}  // namespace spotwise::ui
