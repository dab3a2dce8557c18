#pragma once

// The one place where core's plain C++ types become Qt types.

#include <QDateTime>
#include <QTimeZone>
#include <QString>

#include <cstdint>
#include <string>
#include <string_view>

namespace spotwise::ui {

inline QString toQString(std::string_view s) { return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size())); }
inline std::string toStdString(const QString& s) { return s.toStdString(); }
inline QDateTime toDateTime(std::int64_t unixSeconds) { return QDateTime::fromSecsSinceEpoch(unixSeconds, Qt::UTC); }

}  // namespace spotwise::ui
