#pragma once

#include <QObject>

class QAction;
class QMenu;
class QSystemTrayIcon;
class QWidget;

namespace spotwise::ui {

/**
 * The notification-area icon with a Show / Quit menu, where the desktop has a system tray
 * (QSystemTrayIcon::isSystemTrayAvailable); elsewhere the menu exists but nothing is shown.
 * Clicking the icon brings `window` to the front. Later, job notifications go through it.
 */
class TrayIcon : public QObject {
  Q_OBJECT

 public:
  explicit TrayIcon(QWidget* window, QObject* parent = nullptr);
  ~TrayIcon() override;

  /** True when the desktop has a tray and the icon is shown. */
  [[nodiscard]] bool isShown() const;
  [[nodiscard]] QMenu* menu() const { return m_menu; }
  [[nodiscard]] QAction* showAction() const { return m_show; }
  [[nodiscard]] QAction* quitAction() const { return m_quit; }

 private:
  QWidget* m_window;
  QMenu* m_menu;
  QAction* m_show;
  QAction* m_quit;
  QSystemTrayIcon* m_tray = nullptr;
};

}  // namespace spotwise::ui
