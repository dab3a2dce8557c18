// writeFileAtomically under faults: a full disk (a real file-size limit, RLIMIT_FSIZE), a missing
// or read-only folder, a folder in the way. The old file must survive each, byte for byte.
#include <QDir>
#include <QTemporaryDir>

#include <csignal>
#include <fstream>
#include <string>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "TestSupport.h"
#include "core/common/AtomicFile.h"

using spotwise::ErrorCode;
using spotwise::writeFileAtomically;
using spotwise::test::readText;

namespace {

int fileCount(const QTemporaryDir& dir) { return static_cast<int>(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size()); }

}  // namespace

class AtomicFileTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void replacesTheFileAndLeavesNothingElse() {
    QTemporaryDir dir;
    const std::filesystem::path path = dir.filePath(QStringLiteral("snapshot.json")).toStdString();
    QVERIFY(writeFileAtomically("Test", path, "old"));
    QVERIFY(writeFileAtomically("Test", path, "new contents"));
    QCOMPARE(readText(path), std::string("new contents"));
    QCOMPARE(fileCount(dir), 1);
  }

  void aFullDiskKeepsTheOldFile() {
    QTemporaryDir dir;
    const std::filesystem::path path = dir.filePath(QStringLiteral("snapshot.json")).toStdString();
    QVERIFY(writeFileAtomically("Test", path, "the last good snapshot"));

    // A real write failure: the process may not write more than 4 KiB into any file (EFBIG,
    // what a full disk's ENOSPC is to the writer); SIGXFSZ ignored so write() returns the error.
    rlimit old{};
    QCOMPARE(getrlimit(RLIMIT_FSIZE, &old), 0);
    const auto previousHandler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = old;
    small.rlim_cur = 4096;
    QCOMPARE(setrlimit(RLIMIT_FSIZE, &small), 0);
    const auto result = writeFileAtomically("WriteSnapshot", path, std::string(64 * 1024, 'x'));
    QCOMPARE(setrlimit(RLIMIT_FSIZE, &old), 0);
    std::signal(SIGXFSZ, previousHandler);

    QVERIFY(!result);
    QCOMPARE(result.error().code, ErrorCode::ResourceExhausted);
    QVERIFY2(result.error().message.starts_with("WriteSnapshot: writing " + path.string()), result.error().message.c_str());
    QVERIFY2(result.error().message.find("disk full") != std::string::npos, result.error().message.c_str());
    QCOMPARE(readText(path), std::string("the last good snapshot"));
    QCOMPARE(fileCount(dir), 1);  // the partial temporary file is gone
  }

  void aMissingFolderIsNamed() {
    QTemporaryDir dir;
    const std::filesystem::path path = dir.filePath(QStringLiteral("no/such/folder/out.json")).toStdString();
    const auto result = writeFileAtomically("WriteSnapshot", path, "x");
    QVERIFY(!result);
    QCOMPARE(result.error().code, ErrorCode::NotFound);
    QVERIFY(result.error().message.find(path.string()) != std::string::npos);
  }

  void aReadOnlyFolderKeepsTheOldFile() {
    if (::geteuid() == 0) QSKIP("running as root: folder permissions do not apply");
    QTemporaryDir dir;
    const std::filesystem::path path = dir.filePath(QStringLiteral("snapshot.json")).toStdString();
    QVERIFY(writeFileAtomically("Test", path, "kept"));
    QCOMPARE(::chmod(dir.path().toLocal8Bit().constData(), 0555), 0);
    const auto result = writeFileAtomically("WriteSnapshot", path, "lost?");
    ::chmod(dir.path().toLocal8Bit().constData(), 0755);
    QVERIFY(!result);
    QCOMPARE(result.error().code, ErrorCode::PermissionDenied);
    QCOMPARE(readText(path), std::string("kept"));
  }

  void aFolderInTheWayIsAnError() {
    QTemporaryDir dir;
    const auto result = writeFileAtomically("WriteSnapshot", dir.path().toStdString(), "x");
    QVERIFY(!result);
    QCOMPARE(result.error().code, ErrorCode::InvalidArgument);
  }

  void aSymlinkKeepsPointingAtTheNewContent() {
    QTemporaryDir dir;
    const std::filesystem::path target = dir.filePath(QStringLiteral("real.json")).toStdString();
    const std::filesystem::path link = dir.filePath(QStringLiteral("link.json")).toStdString();
    QVERIFY(writeFileAtomically("Test", target, "old"));
    std::filesystem::create_symlink(target, link);
    QVERIFY(writeFileAtomically("Test", link, "new"));
    QVERIFY(std::filesystem::is_symlink(link));
    QCOMPARE(readText(target), std::string("new"));
  }

  void aDeviceIsWrittenInPlace() {
    QVERIFY(writeFileAtomically("Test", "/dev/null", "discarded"));
    QVERIFY(std::filesystem::is_character_file("/dev/null"));  // not replaced by a regular file
    const auto full = writeFileAtomically("WriteSnapshot", "/dev/full", "x");
    QVERIFY(!full);
    QCOMPARE(full.error().code, ErrorCode::ResourceExhausted);
    QVERIFY(std::filesystem::is_character_file("/dev/full"));
  }
};

QTEST_APPLESS_MAIN(AtomicFileTest)
#include "AtomicFileTest.moc"
