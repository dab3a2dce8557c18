#pragma once

// Shared helpers for Qt Test executables: readable std::string comparisons, test data paths.

// <QTest>, not the <QtTest> module header: that one pulls in all of QtCore and costs every test
// file about 1.3 s of compile time. qfloat16 must be complete because QCOMPARE's overload set
// includes qfloat16, and nlohmann::json claims convertibility to anything.
#include <QTest>
#include <QtCore/qfloat16.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace QTest {
template <>
inline char* toString(const std::string& s) {
  return QTest::toString(QString::fromStdString(s));
}
}  // namespace QTest

namespace spotwise::test {

/** The repository root (ctest sets SPOTWISE_SOURCE_DIR). */
inline std::filesystem::path sourceDir() {
  const char* dir = std::getenv("SPOTWISE_SOURCE_DIR");
  return dir ? std::filesystem::path(dir) : std::filesystem::current_path();
}

inline std::string readText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) qFatal("test data missing: %s", path.string().c_str());
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

/** Writes `text` to `path` (its folder made first), executable by its owner when asked; fails the test when it cannot. */
inline void writeFile(const QString& path, std::string_view text, bool executable = false) {
  const std::filesystem::path file = path.toStdString();
  std::error_code error;
  std::filesystem::create_directories(file.parent_path(), error);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  QVERIFY2(out, qPrintable(QStringLiteral("cannot write ") + path));
  if (executable) std::filesystem::permissions(file, std::filesystem::perms::owner_exec, std::filesystem::perm_options::add);
}

}  // namespace spotwise::test
