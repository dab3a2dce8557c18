#include "ui/platform/TrayIcon.h"

#include <QApplication>
#include <QMenu>
#include <QSystemTrayIcon>

#include "ui/platform/WindowActivation.h"

namespace spotwise::ui {

TrayIcon::TrayIcon(QWidget* window, QObject* parent)
    : QObject(parent), m_window(window), m_menu(new QMenu) {
  m_menu->setObjectName(QStringLiteral("trayMenu"));
  m_show = m_menu->addAction(tr("&Show Spotwise"), this, [this] { bringToFront(m_window); });
  m_show->setObjectName(QStringLiteral("trayShowAction"));
  m_menu->addSeparator();
  m_quit = m_menu->addAction(tr("&Quit"), qApp, &QApplication::quit, Qt::QueuedConnection);
  m_quit->setObjectName(QStringLiteral("trayQuitAction"));

  if (!QSystemTrayIcon::isSystemTrayAvailable()) return;
  m_tray = new QSystemTrayIcon(QApplication::windowIcon(), this);
  m_tray->setToolTip(QStringLiteral("Spotwise"));
  m_tray->setContextMenu(m_menu);
  connect(m_tray, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason reason) {
    if (reason == QSystemTrayIcon::Trigger || reason == QSystemTrayIcon::DoubleClick) bringToFront(m_window);
  });
  m_tray->show();
}

TrayIcon::~TrayIcon() {
  delete m_tray;  // before its context menu
  delete m_menu;  // a QMenu cannot be the QObject child of a non-widget
}

bool TrayIcon::isShown() const { return m_tray && m_tray->isVisible(); }

void TrayIcon::showMessage(const QString& title, const QString& message) {
  m_lastMessage = title + QLatin1Char('\n') + message;
  if (m_tray && m_tray->isVisible() && QSystemTrayIcon::supportsMessages()) {
    m_tray->showMessage(title, message, QApplication::windowIcon(), 10'000);
  }
  Q_EMIT messageShown(title, message);
}

}  // namespace spotwise::ui
