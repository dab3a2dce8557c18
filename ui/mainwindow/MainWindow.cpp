#include "ui/mainwindow/MainWindow.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QScreen>
#include <QSettings>
#include <QStackedWidget>
#include <QVBoxLayout>

#include "core/common/Version.h"
#include "core/pricing/Snapshot.h"
#include "ui/accounts/AccountsPage.h"
#include "ui/launch/LaunchDialog.h"
#include "ui/models/QtConvert.h"
#include "ui/planner/PlannerPage.h"
#include "ui/prices/PricesPage.h"

namespace spotwise::ui {

namespace {

// A page whose feature is still to come: says what it will do.
QWidget* makeComingPage(const QString& objectName, const QString& title, const QString& text, QWidget* parent) {
  auto* page = new QWidget(parent);
  page->setObjectName(objectName);
  auto* heading = new QLabel(title, page);
  QFont font = heading->font();
  font.setPointSizeF(font.pointSizeF() * 1.4);
  font.setBold(true);
  heading->setFont(font);
  auto* body = new QLabel(text, page);
  body->setWordWrap(true);
  body->setTextFormat(Qt::PlainText);
  auto* layout = new QVBoxLayout(page);
  layout->addWidget(heading);
  layout->addWidget(body);
  layout->addStretch(1);
  return page;
}

}  // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent), m_sidebar(new QListWidget(this)), m_pages(new QStackedWidget(this)), m_prices(new PricesPage(this)),
      m_planner(new PlannerPage(this)) {
  setObjectName(QStringLiteral("mainWindow"));
  setWindowTitle(QStringLiteral("Spotwise"));
  setWindowIcon(QIcon(QStringLiteral(":/icons/spotwise.svg")));

  m_sidebar->setObjectName(QStringLiteral("pageListWidget"));
  m_sidebar->addItems({tr("Prices"), tr("Planner"), tr("Jobs"), tr("Accounts")});
  m_sidebar->setFixedWidth(150);
  m_sidebar->setStyleSheet(QStringLiteral("QListWidget::item { padding: 6px 8px; }"));

  m_pages->setObjectName(QStringLiteral("pageStackedWidget"));
  m_pages->addWidget(m_prices);
  m_pages->addWidget(m_planner);
  m_pages->addWidget(makeComingPage(
      QStringLiteral("jobsPage"), tr("Jobs"),
      tr("Launch a training run on a spot GPU with one click, or rehearse it on this computer with the Local "
         "provider. Watch progress, attempts, preemptions and spend against the budget; preempted jobs resume "
         "from their latest checkpoint by themselves. Stop ends everything, so nothing is left billing."),
      this));
  m_pages->addWidget(new AccountsPage(this));
  connect(m_sidebar, &QListWidget::currentRowChanged, m_pages, &QStackedWidget::setCurrentIndex);
  connect(m_prices, &PricesPage::launchRequested, this,
          [this](const pricing::Offer& offer) { openLaunchDialog(prefillFromOffer(offer)); });
  connect(m_planner, &PlannerPage::launchRequested, this,
          [this](const planner::OfferPlan& plan, const planner::PlanRequest& request) {
            openLaunchDialog(prefillFromPlan(plan, request));
          });

  auto* central = new QWidget(this);
  auto* layout = new QHBoxLayout(central);
  layout->addWidget(m_sidebar);
  layout->addWidget(m_pages, 1);
  setCentralWidget(central);

  auto* fileMenu = menuBar()->addMenu(tr("&File"));
  auto* quit = fileMenu->addAction(tr("&Quit"), this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);
  auto* helpMenu = menuBar()->addMenu(tr("&Help"));
  auto* about = helpMenu->addAction(tr("&About Spotwise"), this, &MainWindow::showAbout);
  about->setObjectName(QStringLiteral("aboutAction"));

  m_sidebar->setCurrentRow(PricesPageIndex);
  loadEmbeddedPrices();
  restoreWindowState();
}

LaunchDialog* MainWindow::launchDialog() const { return m_launchDialog; }

void MainWindow::openLaunchDialog(const LaunchPrefill& prefill) {
  if (m_launchDialog) m_launchDialog->close();
  m_launchDialog = new LaunchDialog(prefill, this);
  m_launchDialog->setAttribute(Qt::WA_DeleteOnClose);
  connect(m_launchDialog, &LaunchDialog::launchRequested, this, [this](const jobs::JobSpec& spec) {
    showPage(JobsPageIndex);
    Q_EMIT launchRequested(spec);
  });
  m_launchDialog->open();
}

void MainWindow::showPage(Page page) { m_sidebar->setCurrentRow(page); }

MainWindow::Page MainWindow::currentPage() const { return static_cast<Page>(m_pages->currentIndex()); }

void MainWindow::showAbout() {
  QMessageBox::about(this, tr("About Spotwise"),
                     tr("<h3>Spotwise %1</h3><p>Compare on-demand and spot GPU prices on AWS, GCP and Azure, "
                        "plan what a training run really costs with preemptions, and run it on spot capacity "
                        "with checkpoints and automatic resume.</p><p>Built with Qt %2.</p>")
                         .arg(QString::fromLatin1(kVersion), QString::fromLatin1(qVersion())));
}

void MainWindow::closeEvent(QCloseEvent* event) {
  QSettings settings;
  settings.setValue(QStringLiteral("mainWindow/geometry"), saveGeometry());
  settings.setValue(QStringLiteral("mainWindow/state"), saveState());
  settings.setValue(QStringLiteral("mainWindow/page"), m_pages->currentIndex());
  event->accept();
}

void MainWindow::loadEmbeddedPrices() {
  auto snapshot = pricing::embeddedSnapshot();
  if (!snapshot) {
    m_prices->showLoadError(toQString(snapshot.error().message));
    return;
  }
  m_prices->setSnapshot(*snapshot);
  m_planner->setOffers(snapshot->offers);
}

void MainWindow::restoreWindowState() {
  QSettings settings;
  if (!restoreGeometry(settings.value(QStringLiteral("mainWindow/geometry")).toByteArray())) {
    resize(1200, 720);
  }
  restoreState(settings.value(QStringLiteral("mainWindow/state")).toByteArray());
  const int page = settings.value(QStringLiteral("mainWindow/page"), PricesPageIndex).toInt();
  if (page >= 0 && page < m_pages->count()) m_sidebar->setCurrentRow(page);
}

}  // namespace spotwise::ui
