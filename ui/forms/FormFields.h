#pragma once

// Pieces of the input forms that the planner page and the launch dialog build alike.

#include <QString>

class QLabel;
class QLineEdit;
class QWidget;

namespace spotwise::ui {

/** What a number field holds. */
enum class Parsed { Empty, Number, Bad };

/**
 * The number in `edit` as the user typed it: in their locale ("2,5" in German) or with a dot.
 * `value` is set when the result is Number; a non-finite number is Bad.
 */
Parsed parseNumber(const QLineEdit* edit, double& value);

/** A hidden label named `objectName` for a field's error: red, plain text, word-wrapped. */
QLabel* makeErrorLabel(const QString& objectName, QWidget* parent);

}  // namespace spotwise::ui
