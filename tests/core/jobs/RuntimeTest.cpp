// Where the ledger and the Local provider live, and the runtime wiring the CLI and the app share.
#include <QTemporaryDir>
#include <QtTest>

#include <cstdlib>

#include "TestSupport.h"
#include "core/jobs/Runtime.h"

using namespace spotwise;
using namespace spotwise::jobs;
namespace fs = std::filesystem;

namespace {

/** Sets an environment variable for one scope and restores it afterwards. */
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : m_name(name) {
    if (const char* old = std::getenv(name)) m_old = old;
    if (value) ::setenv(name, value, 1);
    else ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (m_old) ::setenv(m_name, m_old->c_str(), 1);
    else ::unsetenv(m_name);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* m_name;
  std::optional<std::string> m_old;
};

}  // namespace

class RuntimeTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void pathsFollowXdgThenHome() {
    const ScopedEnv ledger("SPOTWISE_LEDGER", nullptr);
    const ScopedEnv local("SPOTWISE_LOCAL_ROOT", nullptr);
    {
      const ScopedEnv xdg("XDG_DATA_HOME", "/data/xdg");
      QCOMPARE(defaultDataHome(), fs::path("/data/xdg/spotwise"));
      QCOMPARE(defaultLedgerPath(), fs::path("/data/xdg/spotwise/ledger.sqlite"));
      QCOMPARE(defaultLocalRoot(), fs::path("/data/xdg/spotwise/local"));
    }
    const ScopedEnv xdg("XDG_DATA_HOME", "");
    const ScopedEnv home("HOME", "/home/ada");
    QCOMPARE(defaultDataHome(), fs::path("/home/ada/.local/share/spotwise"));
  }

  void environmentOverridesWin() {
    const ScopedEnv xdg("XDG_DATA_HOME", "/data/xdg");
    const ScopedEnv ledger("SPOTWISE_LEDGER", "/tmp/other.sqlite");
    const ScopedEnv local("SPOTWISE_LOCAL_ROOT", "/tmp/local-root");
    QCOMPARE(defaultLedgerPath(), fs::path("/tmp/other.sqlite"));
    QCOMPARE(defaultLocalRoot(), fs::path("/tmp/local-root"));
  }

  void opensARealLedgerAndTheLocalProvider() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path root = dir.path().toStdString();
    RuntimeOptions options;
    options.ledgerPath = root / "ledger.sqlite";
    options.providers.localRoot = root / "local";
    auto runtime = openRuntime(options);
    QVERIFY2(runtime.ok(), runtime ? "" : runtime.error().message.c_str());
    QVERIFY(fs::exists(root / "ledger.sqlite"));
    QCOMPARE((*runtime)->providers->allProviders().size(), std::size_t{1});

    JobSpec spec;
    spec.offer.provider = "local";
    spec.storage = "local://" + (root / "bucket-a").string();
    auto a = (*runtime)->providers->providerFor(spec);
    QVERIFY2(a.ok(), a ? "" : a.error().message.c_str());
    QCOMPARE(*(*runtime)->providers->providerFor(spec), *a);  // built once, then reused
    QVERIFY(fs::is_directory(root / "local"));

    spec.offer.provider = "aws";
    auto aws = (*runtime)->providers->providerFor(spec);
    QVERIFY(!aws.ok());
    QVERIFY(aws.error().message.find("aws") != std::string::npos);
  }

  void unwritableLocalRootIsNamed() {
    if (::geteuid() == 0) QSKIP("root can write anywhere");
    ProviderRegistryOptions options;
    options.localRoot = "/proc/spotwise-cannot-exist/local";
    ProviderRegistry registry(options);
    auto local = registry.local();
    QVERIFY(!local.ok());
    QVERIFY(local.error().message.find("/proc/spotwise-cannot-exist/local") != std::string::npos);
  }
};

QTEST_APPLESS_MAIN(RuntimeTest)
#include "RuntimeTest.moc"
