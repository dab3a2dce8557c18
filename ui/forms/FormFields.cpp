#include "ui/forms/FormFields.h"

#include <QLabel>
#include <QLineEdit>
#include <QLocale>

#include <cmath>

namespace spotwise::ui {

Parsed parseNumber(const QLineEdit* edit, double& value) {
  const QString text = edit->text().trimmed();
  if (text.isEmpty()) return Parsed::Empty;
  bool ok = false;
  value = QLocale().toDouble(text, &ok);
  if (!ok) value = QLocale::c().toDouble(text, &ok);
  return ok && std::isfinite(value) ? Parsed::Number : Parsed::Bad;
}

QLabel* makeErrorLabel(const QString& objectName, QWidget* parent) {
  auto* label = new QLabel(parent);
  label->setObjectName(objectName);
  label->setWordWrap(true);
  label->setTextFormat(Qt::PlainText);
  label->setStyleSheet(QStringLiteral("color: #c62828;"));
  label->hide();
  return label;
}

}  // namespace spotwise::ui
