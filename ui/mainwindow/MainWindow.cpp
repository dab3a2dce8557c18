#include "ui/mainwindow/MainWindow.h"

#include <QAction>
#include <QActionGroup>
#include <QCheckBox>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QStackedWidget>
#include <QTimer>
#include <QVBoxLayout>

#include "core/common/Version.h"
#include "core/pricing/Snapshot.h"
#include "ui/accounts/AccountsPage.h"
#include "ui/jobs/JobsPage.h"
#include "ui/launch/LaunchDialog.h"
#include "ui/mainwindow/SnapshotPrefetch.h"
#include "ui/models/QtConvert.h"
#include "ui/planner/PlannerPage.h"
#include "ui/platform/CommandLine.h"
#include "ui/platform/TrayIcon.h"
#include "ui/platform/WindowActivation.h"
#include "ui/prices/PricesPage.h"

namespace spotwise::ui {

namespace {

/**
 * The page stack, sized by the shown page only. A plain QStackedWidget asks every page for its size
 * hints and height-for-width each time the window is laid out, and hidden pages with word-wrapped
 * rich text (the Jobs page's first-run text) then cost more text layout than the shown page itself.
 */
class PageStack : public QStackedWidget {
 public:
  explicit PageStack(QWidget* parent) : QStackedWidget(parent) {
    connect(this, &QStackedWidget::currentChanged, this, [this] { updateGeometry(); });
  }
  [[nodiscard]] QSize sizeHint() const override { return currentWidget() ? currentWidget()->sizeHint() : QStackedWidget::sizeHint(); }
  [[nodiscard]] QSize minimumSizeHint() const override {
    return currentWidget() ? currentWidget()->minimumSizeHint() : QStackedWidget::minimumSizeHint();
  }
  [[nodiscard]] bool hasHeightForWidth() const override { return currentWidget() && currentWidget()->hasHeightForWidth(); }
  [[nodiscard]] int heightForWidth(int width) const override {
    return currentWidget() ? currentWidget()->heightForWidth(width) : -1;
  }
};

}  // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent), m_sidebar(new QListWidget(this)), m_pages(new PageStack(this)), m_prices(new PricesPage(this)) {
  setObjectName(QStringLiteral("mainWindow"));
  setWindowTitle(QStringLiteral("Spotwise"));

  m_sidebar->setObjectName(QStringLiteral("pageListWidget"));
  m_sidebar->addItems({tr("Prices"), tr("Planner"), tr("Jobs"), tr("Accounts")});
  m_sidebar->setFixedWidth(150);
  m_sidebar->setStyleSheet(QStringLiteral("QListWidget::item { padding: 6px 8px; }"));

  m_pages->setObjectName(QStringLiteral("pageStackedWidget"));
  m_pages->addWidget(m_prices);
  m_pages->addWidget(new QWidget(m_pages));  // the Planner, built on first show
  m_pages->addWidget(new QWidget(m_pages));  // Jobs, built when supervision starts or on first show
  m_pages->addWidget(new QWidget(m_pages));  // Accounts, built on first show
  connect(m_sidebar, &QListWidget::currentRowChanged, this, [this](int row) {
    ensurePage(row);
    m_pages->setCurrentIndex(row);
  });
  connect(m_prices, &PricesPage::launchRequested, this,
          [this](const pricing::Offer& offer) { openLaunchDialog(prefillFromOffer(offer)); });

  auto* central = new QWidget(this);
  auto* layout = new QHBoxLayout(central);
  layout->addWidget(m_sidebar);
  layout->addWidget(m_pages, 1);
  setCentralWidget(central);

  auto* fileMenu = menuBar()->addMenu(tr("&File"));
  auto* closeMenu = fileMenu->addMenu(tr("When Closed With Jobs Running"));
  closeMenu->setObjectName(QStringLiteral("closeActionMenu"));
  m_closeActions = new QActionGroup(this);
  const QString current = QSettings().value(QLatin1String(kCloseActionKey), QStringLiteral("ask")).toString();
  for (const auto& [value, text] : {std::pair{QStringLiteral("ask"), tr("Ask")},
                                    std::pair{QStringLiteral("tray"), tr("Keep Watching From the Tray")},
                                    std::pair{QStringLiteral("quit"), tr("Quit")}}) {
    auto* action = closeMenu->addAction(text);
    action->setObjectName(QStringLiteral("closeAction_") + value);
    action->setCheckable(true);
    action->setData(value);
    action->setChecked(value == current);
    m_closeActions->addAction(action);
  }
  connect(m_closeActions, &QActionGroup::triggered, this,
          [](QAction* action) { QSettings().setValue(QLatin1String(kCloseActionKey), action->data().toString()); });
  fileMenu->addSeparator();
  auto* quit = fileMenu->addAction(tr("&Quit"), this, &MainWindow::quit);
  quit->setShortcut(QKeySequence::Quit);
  auto* helpMenu = menuBar()->addMenu(tr("&Help"));
  auto* about = helpMenu->addAction(tr("&About Spotwise"), this, &MainWindow::showAbout);
  about->setObjectName(QStringLiteral("aboutAction"));

  m_sidebar->setCurrentRow(PricesPageIndex);
  loadEmbeddedPrices();
  restoreWindowState();
}

bool MainWindow::event(QEvent* event) {
  // The window's first paint, whichever page it shows (the window is painted before its children, all
  // in the same pass).
  if (event->type() == QEvent::Paint && !m_firstFrameShown) {
    m_firstFrameShown = true;
    // Queued: the rest of this frame is painted and flushed before anything else is built. The charts
    // come on the next pass of the event loop.
    QMetaObject::invokeMethod(
        this,
        [this] {
          QTimer::singleShot(0, m_prices, &PricesPage::buildCharts);
          Q_EMIT firstFrameShown();
        },
        Qt::QueuedConnection);
  }
  return QMainWindow::event(event);
}

LaunchDialog* MainWindow::launchDialog() const { return m_launchDialog; }

PlannerPage* MainWindow::plannerPage() {
  ensurePage(PlannerPageIndex);
  return m_planner;
}

JobsPage* MainWindow::jobsPage() {
  ensurePage(JobsPageIndex);
  return m_jobs;
}

void MainWindow::ensurePage(int index) {
  QWidget* page = nullptr;
  if (index == PlannerPageIndex && !m_planner) {
    m_planner = new PlannerPage(m_pages);
    m_planner->setOffers(std::move(m_plannerOffers));
    m_plannerOffers = {};
    connect(m_planner, &PlannerPage::launchRequested, this,
            [this](const planner::OfferPlan& plan, const planner::PlanRequest& request) {
              openLaunchDialog(prefillFromPlan(plan, request));
            });
    page = m_planner;
  } else if (index == JobsPageIndex && !m_jobs) {
    m_jobs = new JobsPage(m_pages);
    if (m_tray) connect(m_jobs, &JobsPage::notification, m_tray, &TrayIcon::showMessage);
    page = m_jobs;
  } else if (index == AccountsPageIndex && !m_accounts) {
    m_accounts = new AccountsPage(m_pages);
    page = m_accounts;
  }
  if (!page) return;
  QWidget* placeholder = m_pages->widget(index);
  const bool wasCurrent = m_pages->currentIndex() == index;
  m_pages->insertWidget(index, page);
  m_pages->removeWidget(placeholder);
  delete placeholder;
  if (wasCurrent) m_pages->setCurrentIndex(index);
}

void MainWindow::openLaunchDialog(const LaunchPrefill& prefill) {
  if (m_launchDialog) m_launchDialog->close();
  m_launchDialog = new LaunchDialog(prefill, this);
  m_launchDialog->setAttribute(Qt::WA_DeleteOnClose);
  connect(m_launchDialog, &LaunchDialog::launchRequested, this, [this](const jobs::JobSpec& spec) {
    showPage(JobsPageIndex);
    jobsPage()->launch(spec);
    Q_EMIT launchRequested(spec);
  });
  m_launchDialog->open();
}

void MainWindow::activateForLaunch(const QStringList& arguments) {
  bringToFront(this);
  AppCommandLine commandLine;
  if (!commandLine.parse(arguments)) return;  // a newer version's options: still came to the front
  for (const QString& file : commandLine.jobFiles()) openJobFile(file);
}

bool MainWindow::openJobFile(const QString& path) {
  auto loaded = jobs::loadJobSpec(toStdString(path));
  if (!loaded) {
    if (m_jobFileError) m_jobFileError->close();
    QWidget* parent = m_launchDialog ? static_cast<QWidget*>(m_launchDialog.data()) : this;
    m_jobFileError = new QMessageBox(QMessageBox::Warning, tr("Cannot Open Job File"),
                                     tr("Spotwise cannot open %1 as a job.").arg(QDir::toNativeSeparators(path)),
                                     QMessageBox::Ok, parent);
    m_jobFileError->setObjectName(QStringLiteral("jobFileErrorBox"));
    m_jobFileError->setInformativeText(toQString(loaded.error().message));
    m_jobFileError->setAttribute(Qt::WA_DeleteOnClose);
    m_jobFileError->setWindowModality(Qt::WindowModal);
    m_jobFileError->open();
    return false;
  }
  openLaunchDialog(prefillFromJobSpec(*loaded));
  m_launchDialog->setSpec(*loaded);
  return true;
}

QMessageBox* MainWindow::jobFileErrorBox() const { return m_jobFileError; }

void MainWindow::showPage(Page page) { m_sidebar->setCurrentRow(page); }

MainWindow::Page MainWindow::currentPage() const { return static_cast<Page>(m_pages->currentIndex()); }

void MainWindow::showAbout() {
  QMessageBox::about(this, tr("About Spotwise"),
                     tr("<h3>Spotwise %1</h3><p>Compare on-demand and spot GPU prices on AWS, GCP and Azure, "
                        "plan what a training run really costs with preemptions, and run it on spot capacity "
                        "with checkpoints and automatic resume.</p><p>Built with Qt %2.</p>")
                         .arg(QString::fromLatin1(kVersion), QString::fromLatin1(qVersion())));
}

void MainWindow::setTrayIcon(TrayIcon* tray) {
  m_tray = tray;
  if (m_jobs) connect(m_jobs, &JobsPage::notification, tray, &TrayIcon::showMessage);
  // The tray's Quit quits without asking, like File ▸ Quit.
  disconnect(tray->quitAction(), nullptr, qApp, nullptr);
  connect(tray->quitAction(), &QAction::triggered, this, &MainWindow::quit, Qt::QueuedConnection);
}

void MainWindow::startSupervising(jobs::RuntimeOptions options) { jobsPage()->start(std::move(options)); }

void MainWindow::quit() {
  m_quitting = true;
  close();
  QApplication::quit();
}

MainWindow::CloseChoice MainWindow::askCloseChoice() {
  QSettings settings;
  const QString remembered = settings.value(QLatin1String(kCloseActionKey), QStringLiteral("ask")).toString();
  if (remembered == QStringLiteral("tray")) return CloseChoice::Tray;
  if (remembered == QStringLiteral("quit")) return CloseChoice::Quit;
  const int running = m_jobs ? m_jobs->activeJobCount() : 0;
  QMessageBox box(QMessageBox::Question, tr("Keep watching your jobs?"),
                  tr("%n job(s) still running. Keep watching from the tray? Spotwise then goes on relaunching after "
                     "preemptions, enforcing budgets and notifying you.\n\nIf you quit, the jobs keep running (and "
                     "billing) without supervision until Spotwise starts again.",
                     nullptr, running),
                  QMessageBox::Cancel, this);
  box.setObjectName(QStringLiteral("closeToTrayQuestion"));
  auto* tray = box.addButton(tr("Keep Watching From the Tray"), QMessageBox::AcceptRole);
  tray->setObjectName(QStringLiteral("keepWatchingButton"));
  auto* quit = box.addButton(tr("Quit"), QMessageBox::DestructiveRole);
  quit->setObjectName(QStringLiteral("quitButton"));
  box.setDefaultButton(tray);
  auto* remember = new QCheckBox(tr("Remember my answer (File ▸ When Closed With Jobs Running changes it)"), &box);
  remember->setObjectName(QStringLiteral("rememberCheckBox"));
  box.setCheckBox(remember);
  box.exec();
  if (box.clickedButton() != tray && box.clickedButton() != quit) return CloseChoice::Cancel;
  const CloseChoice choice = box.clickedButton() == tray ? CloseChoice::Tray : CloseChoice::Quit;
  if (remember->isChecked()) {
    const QString value = choice == CloseChoice::Tray ? QStringLiteral("tray") : QStringLiteral("quit");
    settings.setValue(QLatin1String(kCloseActionKey), value);
    for (QAction* action : m_closeActions->actions()) action->setChecked(action->data().toString() == value);
  }
  return choice;
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (!m_quitting && m_jobs && m_jobs->activeJobCount() > 0) {
    switch (askCloseChoice()) {
      case CloseChoice::Cancel:
        event->ignore();
        return;
      case CloseChoice::Tray:
        event->ignore();
        // The app lives on in the tray; where there is none, minimised (hiding would leave no way back).
        QApplication::setQuitOnLastWindowClosed(false);
        m_leftInTray = true;
        if (m_tray && m_tray->isShown()) {
          hide();
        } else {
          showMinimized();
        }
        if (m_tray) {
          m_tray->showMessage(tr("Spotwise keeps watching"),
                              tr("%n job(s) supervised from here. Quit from this icon's menu.", nullptr,
                                 m_jobs->activeJobCount()));
        }
        return;
      case CloseChoice::Quit:
        break;
    }
  }
  QSettings settings;
  settings.setValue(QStringLiteral("mainWindow/geometry"), saveGeometry());
  settings.setValue(QStringLiteral("mainWindow/state"), saveState());
  settings.setValue(QStringLiteral("mainWindow/page"), m_pages->currentIndex());
  event->accept();
  if (m_leftInTray) QApplication::quit();  // closing for good after the window once went to the tray
}

void MainWindow::loadEmbeddedPrices() {
  auto snapshot = takeEmbeddedSnapshot();  // parsed on its own thread since main() began
  if (!snapshot) {
    m_prices->showLoadError(toQString(snapshot.error().message));
    return;
  }
  m_prices->setSnapshot(*snapshot);
  if (m_planner) {
    m_planner->setOffers(snapshot->offers);
  } else {
    m_plannerOffers = std::move(snapshot->offers);
  }
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
