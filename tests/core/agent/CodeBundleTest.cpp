// Packing a code folder: gitignore semantics (checked against git itself where it is installed),
// the archive read back with libarchive and with Python's tarfile, size limits and bad input.

#include <QTemporaryDir>
#include <QTest>

#include <archive.h>
#include <archive_entry.h>

#include <set>

#include "core/agent/AgentTestFixtures.h"
#include "core/agent/CodeBundle.h"
#include "core/agent/IgnoreRules.h"
#include "core/cloud/local/LocalProvider.h"

using namespace spotwise;
using namespace spotwise::agent;
using namespace spotwise::test;

namespace {

std::map<std::string, std::string> readTarGz(const fs::path& file) {
  std::map<std::string, std::string> out;
  archive* a = archive_read_new();
  archive_read_support_filter_gzip(a);
  archive_read_support_format_tar(a);
  if (archive_read_open_filename(a, file.c_str(), 1 << 16) != ARCHIVE_OK) {
    archive_read_free(a);
    return out;
  }
  archive_entry* entry = nullptr;
  while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
    std::string data;
    if (archive_entry_filetype(entry) == AE_IFLNK) {
      data = std::string("-> ") + archive_entry_symlink(entry);
    } else {
      char buffer[4096];
      for (la_ssize_t n; (n = archive_read_data(a, buffer, sizeof buffer)) > 0;) data.append(buffer, static_cast<std::size_t>(n));
    }
    out[archive_entry_pathname(entry)] = data;
  }
  archive_read_free(a);
  return out;
}

}  // namespace

class CodeBundleTest : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir m_tmp;
  fs::path root() { return fs::path(m_tmp.path().toStdString()); }

  fs::path makeProject() {
    const fs::path p = root() / "project";
    fs::remove_all(p);
    writeText(p / "train.py", "print('hi')\n");
    writeText(p / "README.md", "readme\n");
    writeText(p / ".gitignore", "# outputs\n*.pt\n/data/\nlogs/\n!keep.pt\nbuild\n");
    writeText(p / ".spotwiseignore", "README.md\n");
    writeText(p / "model.pt", "weights");
    writeText(p / "keep.pt", "kept");
    writeText(p / "data" / "big.bin", std::string(1000, 'x'));
    writeText(p / "src" / "data" / "loader.py", "# not the top-level data/\n");
    writeText(p / "src" / "logs" / "x.txt", "ignored: logs/ matches at any depth\n");
    writeText(p / "src" / ".gitignore", "*.tmp\n!important.tmp\n");
    writeText(p / "src" / "scratch.tmp", "t");
    writeText(p / "src" / "important.tmp", "i");
    writeText(p / "build", "a file named build is ignored too\n");
    writeText(p / ".git" / "HEAD", "ref: refs/heads/main\n");
    fs::create_symlink("train.py", p / "link.py");
    return p;
  }

 private Q_SLOTS:
  void initTestCase() { QVERIFY(m_tmp.isValid()); }

  void globPatterns_data() {
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QString>("path");
    QTest::addColumn<bool>("match");
    QTest::newRow("star") << "*.py" << "a.py" << true;
    QTest::newRow("star not slash") << "src/*.py" << "src/a/b.py" << false;
    QTest::newRow("double star prefix") << "**/foo" << "a/b/foo" << true;
    QTest::newRow("double star prefix zero dirs") << "**/foo" << "foo" << true;
    QTest::newRow("double star suffix") << "abc/**" << "abc/x/y" << true;
    QTest::newRow("double star middle") << "a/**/b" << "a/x/y/b" << true;
    QTest::newRow("double star middle zero") << "a/**/b" << "a/b" << true;
    QTest::newRow("question") << "file?.txt" << "file1.txt" << true;
    QTest::newRow("class") << "file[0-9].txt" << "file7.txt" << true;
    QTest::newRow("negated class") << "file[!0-9].txt" << "file7.txt" << false;
    QTest::newRow("escaped star") << "a\\*b" << "a*b" << true;
    QTest::newRow("escaped star literal only") << "a\\*b" << "axb" << false;
  }

  void globPatterns() {
    QFETCH(QString, pattern);
    QFETCH(QString, path);
    QFETCH(bool, match);
    QCOMPARE(IgnoreRules::globMatch(pattern.toStdString(), path.toStdString()), match);
  }

  void ignoreRulesFollowGit() {
    IgnoreRules rules;
    rules.add("*.log\n!important.log\n/root-only.txt\ndocs/\n  \n\\#literal\nspaced \\ \n", "");
    rules.add("*.txt\n", "sub");
    QVERIFY(rules.isIgnored("a.log", false));
    QVERIFY(rules.isIgnored("deep/er/a.log", false));
    QVERIFY(!rules.isIgnored("important.log", false));
    QVERIFY(rules.isIgnored("root-only.txt", false));
    QVERIFY(!rules.isIgnored("x/root-only.txt", false));
    QVERIFY(rules.isIgnored("docs", true));
    QVERIFY(!rules.isIgnored("docs", false));  // a file named docs is not a folder
    QVERIFY(rules.isIgnored("#literal", false));
    QVERIFY(rules.isIgnored("spaced  ", false) || rules.isIgnored("spaced ", false));
    QVERIFY(rules.isIgnored("sub/notes.txt", false));
    QVERIFY(!rules.isIgnored("other/notes.txt", false));
  }

  void packHonoursGitignoreAndSpotwiseignore() {
    const fs::path p = makeProject();
    auto scan = scanCodeFolder(p);
    QVERIFY2(scan.ok(), scan.ok() ? "" : scan.error().message.c_str());
    const std::vector<std::string> expected{".gitignore", ".spotwiseignore", "keep.pt", "link.py", "src/.gitignore",
                                            "src/data/loader.py", "src/important.tmp", "train.py"};
    QCOMPARE(scan->files, expected);

    auto bundle = packCodeFolder(p, root() / "code.tar.gz");
    QVERIFY2(bundle.ok(), bundle.ok() ? "" : bundle.error().message.c_str());
    QCOMPARE(bundle->fileCount, expected.size());
    QCOMPARE(bundle->archiveBytes, static_cast<std::uint64_t>(fs::file_size(root() / "code.tar.gz")));
    QCOMPARE(bundle->sha256.size(), std::size_t{64});
    QVERIFY(!fs::exists(root() / "code.tar.gz.partial"));
    const auto entries = readTarGz(root() / "code.tar.gz");
    QCOMPARE(entries.size(), expected.size());
    QCOMPARE(entries.at("train.py"), std::string("print('hi')\n"));
    QCOMPARE(entries.at("link.py"), std::string("-> train.py"));
    QVERIFY(!entries.contains("model.pt") && !entries.contains("data/big.bin") && !entries.contains("README.md"));

    // Packing twice gives the same bytes (no timestamps in gzip, sorted entries).
    auto again = packCodeFolder(p, root() / "code2.tar.gz");
    QVERIFY(again.ok());
    QCOMPARE(again->sha256, bundle->sha256);
  }

  void gitAgreesWithTheIgnoreRules() {
    if (std::system("git --version >/dev/null 2>&1") != 0) {
      if (qEnvironmentVariable("CI") == QStringLiteral("true")) QFAIL("git is missing (CI=true)");
      QSKIP("git is not installed: cannot compare with git check-ignore");
    }
    const fs::path p = makeProject();
    fs::remove_all(p / ".git");
    QCOMPARE(std::system(("cd '" + p.string() + "' && git init -q . && git add -A . 2>/dev/null && git ls-files > ../git-files.txt").c_str()), 0);
    std::set<std::string> gitFiles;
    std::istringstream lines(readIfExists(root() / "git-files.txt"));
    for (std::string line; std::getline(lines, line);) gitFiles.insert(line);
    gitFiles.erase("README.md");  // .spotwiseignore is ours, git does not know it
    fs::remove_all(p / ".git");
    auto scan = scanCodeFolder(p);
    QVERIFY(scan.ok());
    QCOMPARE(std::set<std::string>(scan->files.begin(), scan->files.end()), gitFiles);
  }

  void pythonTarfileExtractsTheBundle() {
    const fs::path p = makeProject();
    QVERIFY(packCodeFolder(p, root() / "py.tar.gz").ok());
    const fs::path out = root() / "extracted";
    const std::string cmd = "python3 -c \"import tarfile;tarfile.open('" + (root() / "py.tar.gz").string() + "','r:gz').extractall('" +
                            out.string() + "')\"";
    QCOMPARE(std::system(cmd.c_str()), 0);
    QCOMPARE(readIfExists(out / "src" / "important.tmp"), std::string("i"));
    QVERIFY(fs::is_symlink(out / "link.py"));
  }

  void badInput() {
    auto missing = packCodeFolder(root() / "nope", root() / "nope.tar.gz");
    QVERIFY(!missing.ok());
    QCOMPARE(missing.error().code, ErrorCode::InvalidArgument);
    QVERIFY(missing.error().message.find("does not exist") != std::string::npos);
    writeText(root() / "afile", "x");
    auto notDir = scanCodeFolder(root() / "afile");
    QVERIFY(!notDir.ok());
    QVERIFY(notDir.error().message.find("is not a folder") != std::string::npos);

    const fs::path p = makeProject();
    CodeBundleOptions small;
    small.maxBytes = 20;
    auto tooBig = packCodeFolder(p, root() / "big.tar.gz", small);
    QVERIFY(!tooBig.ok());
    QCOMPARE(tooBig.error().code, ErrorCode::InvalidArgument);
    QVERIFY2(tooBig.error().message.find("more than 20 B") != std::string::npos, tooBig.error().message.c_str());
    QVERIFY(!fs::exists(root() / "big.tar.gz") && !fs::exists(root() / "big.tar.gz.partial"));

    auto unwritable = packCodeFolder(p, root() / "no-such-dir" / "x.tar.gz");
    QVERIFY(!unwritable.ok());
    QVERIFY(unwritable.error().message.find("cannot write") != std::string::npos);
  }

  void uploadIsIdempotent() {
    const fs::path p = makeProject();
    fs::create_directories(root() / "bucket");
    cloud::local::LocalObjectStore store(root() / "bucket");
    auto first = uploadCodeBundle(p, store, "jobs/j1", root() / "work", {});
    QVERIFY2(first.ok(), first.ok() ? "" : first.error().message.c_str());
    QCOMPARE(*store.get("jobs/j1/code.tar.gz.sha256", {}), first->sha256);
    const auto before = store.head("jobs/j1/code.tar.gz", {})->etag;
    auto again = uploadCodeBundle(p, store, "jobs/j1", root() / "work", {});
    QVERIFY(again.ok());
    QCOMPARE(store.head("jobs/j1/code.tar.gz", {})->etag, before);  // not uploaded twice
    writeText(p / "train.py", "print('changed')\n");
    auto changed = uploadCodeBundle(p, store, "jobs/j1", root() / "work", {});
    QVERIFY(changed.ok());
    QVERIFY(changed->sha256 != first->sha256);
    QCOMPARE(*store.get("jobs/j1/code.tar.gz.sha256", {}), changed->sha256);
    QVERIFY(fs::is_empty(root() / "work"));  // the local archive is gone
    cloud::local::LocalObjectStore missing(root() / "no-bucket");
    auto denied = uploadCodeBundle(p, missing, "jobs/j1", root() / "work", {});
    QVERIFY(!denied.ok());
    QVERIFY(denied.error().message.find("PutObject") != std::string::npos);
  }

  void formatsSizes() {
    QCOMPARE(formatBytes(0), std::string("0 B"));
    QCOMPARE(formatBytes(999), std::string("999 B"));
    QCOMPARE(formatBytes(1500), std::string("1.5 kB"));
    QCOMPARE(formatBytes(2'300'000'000ULL), std::string("2.3 GB"));
  }
};

QTEST_APPLESS_MAIN(CodeBundleTest)
#include "CodeBundleTest.moc"
