#include "ui/platform/WindowActivation.h"

#include <QWidget>

namespace spotwise::ui {

void bringToFront(QWidget* window) {
  if (!window) return;
  if (window->isMinimized()) {
    window->setWindowState((window->windowState() & ~Qt::WindowMinimized) | Qt::WindowActive);
  }
  window->show();
  window->raise();
  // Window managers may refuse focus stealing; on X11/Wayland the desktop then flags the window.
  window->activateWindow();
}

}  // namespace spotwise::ui
