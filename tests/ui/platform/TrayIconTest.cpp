// The tray icon's menu: Show brings the window back (also from minimised), Quit ends the app.
// Offscreen there is no system tray, so nothing is shown there, as on such desktops.
#include <QAction>
#include <QApplication>
#include <QMenu>
#include <QSystemTrayIcon>
#include <QTimer>
#include <QWidget>

#include "TestSupport.h"
#include "ui/platform/TrayIcon.h"

using spotwise::ui::TrayIcon;

class TrayIconTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void showsOnlyWhereTheDesktopHasATray() {
    QWidget window;
    const TrayIcon tray(&window);
    QCOMPARE(tray.isShown(), QSystemTrayIcon::isSystemTrayAvailable());
    QCOMPARE(tray.menu()->actions().count(), 3);  // Show, separator, Quit
  }

  void showBringsTheWindowBack() {
    QWidget window;
    const TrayIcon tray(&window);
    QVERIFY(!window.isVisible());
    tray.showAction()->trigger();
    QVERIFY(window.isVisible());
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    window.showMinimized();
    QTRY_VERIFY(window.isMinimized());
    tray.showAction()->trigger();
    QTRY_VERIFY(!window.isMinimized());
    QVERIFY(window.isVisible());
  }

  void quitEndsTheApplication() {
    QWidget window;
    const TrayIcon tray(&window);
    window.show();
    QTimer::singleShot(0, tray.quitAction(), &QAction::trigger);
    QTimer::singleShot(5000, qApp, [] { QCoreApplication::exit(2); });  // guard: Quit did nothing
    QCOMPARE(QApplication::exec(), 0);
  }
};

QTEST_MAIN(TrayIconTest)
#include "TrayIconTest.moc"
