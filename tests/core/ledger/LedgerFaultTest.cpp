// The ledger when its disk fills up or its file/folder is read-only: each write fails with a
// message that names the ledger and what to do, the rows already there stay intact, and the next
// write after the fault is gone succeeds. Real faults only: a file-size limit (RLIMIT_FSIZE, the
// writer sees a short write / EFBIG exactly as on a full disk) and real permissions (as root, the
// read-only check runs in a child process that has dropped to the unprivileged user `nobody`).
#include <QTemporaryDir>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <iterator>

#include "TestSupport.h"
#include "core/ledger/Ledger.h"

using namespace spotwise;
using namespace spotwise::ledger;
namespace fs = std::filesystem;

namespace {

JobRecord makeJob(const std::string& id, std::size_t specBytes = 2) {
  JobRecord j;
  j.id = id;
  j.name = "n-" + id;
  j.provider = "local";
  j.specJson = specBytes <= 2 ? std::string("{}") : "{\"pad\":\"" + std::string(specBytes, 'p') + "\"}";
  j.state = "Running";
  j.createdMs = j.updatedMs = 1000;
  return j;
}

std::unique_ptr<Ledger> openOrDie(const fs::path& file) {
  auto l = Ledger::open(file);
  if (!l) qFatal("%s", l.error().message.c_str());
  return std::move(*l);
}

std::string bytesOf(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uintmax_t sizeOr0(const fs::path& file) {
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  return ec ? 0 : size;
}

/** Lowers the file-size limit of this process for its lifetime (SIGXFSZ ignored: write() fails instead). */
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &m_old);
    m_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = m_old;
    small.rlim_cur = bytes;
    m_ok = setrlimit(RLIMIT_FSIZE, &small) == 0;
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &m_old);
    std::signal(SIGXFSZ, m_handler);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;
  [[nodiscard]] bool ok() const { return m_ok; }

 private:
  rlimit m_old{};
  void (*m_handler)(int) = SIG_DFL;
  bool m_ok = false;
};

/**
 * Runs `body` in a child process as a user the permissions apply to (`nobody` when this process
 * is root) and returns what it wrote to the pipe; `status` gets its exit code.
 */
template <typename Body>
std::string runUnprivileged(Body body, int* status) {
  int fds[2];
  if (::pipe(fds) != 0) qFatal("pipe failed");
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(90);
    const std::string out = body();
    const auto written = ::write(fds[1], out.data(), out.size());
    ::_exit(written == static_cast<ssize_t>(out.size()) ? 0 : 91);
  }
  ::close(fds[1]);
  std::string out;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  *status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
  return out;
}

}  // namespace

class LedgerFaultTest : public QObject {
  Q_OBJECT
  QTemporaryDir m_dir;

  [[nodiscard]] fs::path dir() const { return m_dir.path().toStdString(); }

 private Q_SLOTS:
  void aFullDiskFailsClearlyAndLosesNothing() {
    const fs::path file = dir() / "full" / "ledger.sqlite";
    auto ledger = openOrDie(file);
    QVERIFY(ledger->insertJob(makeJob("kept")).ok());
    QVERIFY(ledger->addEvent({0, "kept", 0, 1000, "note", "", "", "written before the disk filled"}).ok());

    Result<void> failed;
    {
      // No file may grow past what the ledger's files hold now plus a little: the 256 KiB job
      // needs ~64 more WAL pages, and the page that crosses the limit gets a short write.
      const auto limit = std::max(sizeOr0(file), sizeOr0(file.string() + "-wal")) + 1000;
      const FileSizeLimit full(limit);
      QVERIFY(full.ok());
      failed = ledger->insertJob(makeJob("lost", 256 * 1024));
    }
    QVERIFY(!failed.ok());
    const std::string& message = failed.error().message;
    QVERIFY2(failed.error().code == ErrorCode::ResourceExhausted, message.c_str());
    QVERIFY2(message.starts_with("Ledger.insertJob: "), message.c_str());
    QVERIFY2(message.find("disk") != std::string::npos && message.find(file.string()) != std::string::npos,
             message.c_str());

    // Nothing lost, nothing half-written, and the next write once there is room succeeds.
    auto kept = ledger->job("kept");
    QVERIFY(kept.ok() && kept->has_value());
    QCOMPARE((*kept)->name, std::string("n-kept"));
    QVERIFY(!ledger->job("lost")->has_value());
    QVERIFY2(ledger->insertJob(makeJob("after", 256 * 1024)).ok(), "the write after the disk has room again failed");
    ledger.reset();
    auto reopened = openOrDie(file);
    const auto problems = reopened->checkConsistency();
    QVERIFY(problems.ok());
    QVERIFY2(problems->empty(), problems->empty() ? "" : problems->front().c_str());
    QCOMPARE(reopened->jobs()->size(), std::size_t{2});
    QCOMPARE(reopened->events("kept")->size(), std::size_t{1});
  }

  void aFullDiskWhileCreatingTheLedgerIsNamed() {
    const fs::path file = dir() / "full-new" / "ledger.sqlite";
    fs::create_directories(file.parent_path());
    Result<std::unique_ptr<Ledger>> opened = makeError(ErrorCode::Internal, "not run");
    {
      const FileSizeLimit full(0);  // not a byte fits: the new file cannot even get its header
      QVERIFY(full.ok());
      opened = Ledger::open(file);
    }
    QVERIFY(!opened.ok());
    QVERIFY2(opened.error().message.starts_with("Ledger.open: "), opened.error().message.c_str());
    QVERIFY2(opened.error().message.find(file.string()) != std::string::npos, opened.error().message.c_str());
    auto ledger = Ledger::open(file);  // room again: the half-created file is usable
    QVERIFY2(ledger.ok(), ledger.ok() ? "" : ledger.error().message.c_str());
    QVERIFY((*ledger)->insertJob(makeJob("first")).ok());
  }

  void aReadOnlyLedgerFailsClearlyAndLosesNothing_data() {
    QTest::addColumn<bool>("folderReadOnly");
    QTest::addColumn<bool>("fileReadOnly");
    QTest::newRow("file read-only") << false << true;
    QTest::newRow("folder read-only") << true << false;
    QTest::newRow("both") << true << true;
  }

  void aReadOnlyLedgerFailsClearlyAndLosesNothing() {
    QFETCH(bool, folderReadOnly);
    QFETCH(bool, fileReadOnly);
    const fs::path folder = dir() / ("ro-" + std::to_string(folderReadOnly) + std::to_string(fileReadOnly));
    const fs::path file = folder / "ledger.sqlite";
    {
      auto ledger = openOrDie(file);
      QVERIFY(ledger->insertJob(makeJob("kept")).ok());
    }  // closed: the WAL is checkpointed into the file and removed
    const std::string before = bytesOf(file);
    // The unprivileged child must reach the folder; then the fault itself.
    QCOMPARE(::chmod(dir().c_str(), 0755), 0);
    QCOMPARE(::chmod(folder.c_str(), folderReadOnly ? 0555 : 0777), 0);
    for (const auto& entry : fs::directory_iterator(folder))
      QCOMPARE(::chmod(entry.path().c_str(), fileReadOnly ? 0444 : 0666), 0);

    int status = -1;
    const std::string message = runUnprivileged(
        [&file]() -> std::string {
          auto ledger = Ledger::open(file);
          if (ledger) {
            const auto wrote = (*ledger)->insertJob(makeJob("new"));
            return wrote ? std::string("WROTE") : wrote.error().message;
          }
          return ledger.error().message;
        },
        &status);
    ::chmod(folder.c_str(), 0700);
    for (const auto& entry : fs::directory_iterator(folder)) ::chmod(entry.path().c_str(), 0600);
    ::chmod(dir().c_str(), 0700);

    QCOMPARE(status, 0);
    QVERIFY2(message.starts_with("Ledger."), message.c_str());
    QVERIFY2(message.find(file.string()) != std::string::npos, message.c_str());
    QVERIFY2(message.find("read-only") != std::string::npos, message.c_str());
    QCOMPARE(bytesOf(file), before);  // not a byte changed

    // Writable again: the old rows are there and the next write succeeds.
    auto ledger = openOrDie(file);
    auto kept = ledger->job("kept");
    QVERIFY(kept.ok() && kept->has_value());
    QVERIFY(ledger->insertJob(makeJob("after")).ok());
    QCOMPARE(ledger->jobs()->size(), std::size_t{2});
  }
};

QTEST_APPLESS_MAIN(LedgerFaultTest)
#include "LedgerFaultTest.moc"
