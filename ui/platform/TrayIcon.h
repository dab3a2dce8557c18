#pragma once

#include <QObject>
#include <QString>

class QAction;
class QMenu;
class QSystemTrayIcon;
class QWidget;

namespace spotwise::ui {

/**
 * The notification-area icon with a Show / Quit menu, where the desktop has a system tray
 * (QSystemTrayIcon::isSystemTrayAvailable); elsewhere the menu exists but nothing is shown.
 * Clicking the icon brings `window` to the front. Job notifications go through it (showMessage).
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

  /**
   * A desktop notification (the tray's balloon / the desktop's notification service). Where there is
   * no tray nothing is shown, but messageShown() is still emitted and lastMessage() kept.
   */
  void showMessage(const QString& title, const QString& message);
  /** Title and text of the last showMessage(), "\n"-joined ("" before the first). */
  [[nodiscard]] QString lastMessage() const { return m_lastMessage; }

 Q_SIGNALS:
  void messageShown(const QString& title, const QString& message);

 private:
  QWidget* m_window;
  QMenu* m_menu;
  QAction* m_show;
  QAction* m_quit;
  QSystemTrayIcon* m_tray = nullptr;
  QString m_lastMessage;
};

}  // namespace spotwise::ui
