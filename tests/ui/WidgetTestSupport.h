#pragma once

// Shared by the GUI tests: finding a widget by its object name and typing into it as a user does.

#include <QApplication>
#include <QComboBox>
#include <QLineEdit>
#include <QSpinBox>
#include <QtTest>

namespace spotwise::test {

/** The child of `parent` named `name`; a missing one ends the test run (the form changed). */
template <typename T>
T* child(QWidget& parent, const char* name) {
  T* widget = parent.findChild<T*>(QString::fromLatin1(name));
  if (!widget) qFatal("no widget %s", name);
  return widget;
}

/** Selects all of the editor's text and types `text` in its place (empty: clears it). */
inline void retype(QLineEdit* edit, const QString& text) {
  edit->setFocus();
  QTest::keyClick(edit, Qt::Key_A, Qt::ControlModifier);
  QTest::keyClick(edit, Qt::Key_Backspace);
  if (!text.isEmpty()) QTest::keyClicks(edit, text);
}

/** Selects all of the spin box's text and types `value`, which it must then hold. */
inline void retype(QSpinBox* spin, int value) {
  spin->setFocus();
  QTest::keyClick(spin, Qt::Key_A, Qt::ControlModifier);
  QTest::keyClicks(spin, QString::number(value));
  QCOMPARE(spin->value(), value);
}

/** Picks the item `text` of a combo box by typing it; the box must then show it. */
inline void chooseByKeys(QComboBox* combo, const QString& text) {
  // Typed letters search the list; wait out the previous search so they start a new one.
  QTest::qWait(QApplication::keyboardInputInterval() + 50);
  combo->setFocus();
  QTest::keyClicks(combo, text);
  QCOMPARE(combo->currentText(), text);
}

}  // namespace spotwise::test
