#pragma once

class QWidget;

namespace spotwise::ui {

/** Shows `window` (restoring it when minimised or hidden), raises it and asks for focus. */
void bringToFront(QWidget* window);

}  // namespace spotwise::ui
