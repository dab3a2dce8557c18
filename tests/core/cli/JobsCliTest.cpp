// spotwise-cli job commands driven in-process: bad input gets a clear message per field; the read
// commands on a ledger written by the controller.
#include <QTemporaryDir>

#include <nlohmann/json.hpp>
#include <cstdlib>

#include "CliRun.h"
#include "TestSupport.h"

using spotwise::test::runCli;

class JobsCliTest : public QObject {
  Q_OBJECT
  QTemporaryDir m_dir;
  std::string path(const char* name) const { return (std::filesystem::path(m_dir.path().toStdString()) / name).string(); }

 private Q_SLOTS:
  void launchExplainsEveryInvalidField() {
    const nlohmann::json bad{{"name", ""},
                             {"offer", {{"provider", "local"}, {"region", "local"}, {"instanceType", "sim"}, {"pricePerHour", 2.0}}},
                             {"codeDir", "/nonexistent/code"},
                             {"command", ""},
                             {"storage", "local:///tmp"},
                             {"budgetUsd", 1.0}};
    std::ofstream(path("bad.json")) << bad.dump();
    const auto r = runCli({"launch", path("bad.json"), "--ledger", path("l.sqlite"), "--local-root", path("local")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.find("name: is empty") != std::string::npos, r.err.c_str());
    QVERIFY2(r.err.find("codeDir: folder /nonexistent/code does not exist") != std::string::npos, r.err.c_str());
    QVERIFY2(r.err.find("command: is empty") != std::string::npos, r.err.c_str());
    QVERIFY2(r.err.find("budgetUsd: $1.00 is below one hour of this offer ($2.00/h)") != std::string::npos, r.err.c_str());
    QVERIFY(!std::filesystem::exists(path("local")));  // nothing started
  }

  void launchOfAMissingFileOrBadJson() {
    auto r = runCli({"launch", path("none.json"), "--ledger", path("l.sqlite")});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.find("cannot open") != std::string::npos);
    std::ofstream(path("broken.json")) << "{";
    r = runCli({"launch", path("broken.json"), "--ledger", path("l.sqlite")});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.find("not valid JSON") != std::string::npos);
  }

  void aCloudWithoutCredentialsIsRefusedBeforeAnythingIsRecorded() {
    // This machine's own AWS configuration is out of the picture.
    // qputenv/qunsetenv, not setenv: QtTest's watchdog thread reads the environment under Qt's lock.
    for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"}) qunsetenv(name);
    qputenv("AWS_SHARED_CREDENTIALS_FILE", QByteArray::fromStdString(path("no-credentials")));
    qputenv("AWS_CONFIG_FILE", QByteArray::fromStdString(path("no-config")));
    std::filesystem::create_directories(path("code"));
    const nlohmann::json aws{
        {"name", "x"},
        {"offer", {{"provider", "aws"}, {"region", "us-east-1"}, {"instanceType", "g4dn.xlarge"}, {"pricePerHour", 0.2}}},
        {"codeDir", path("code")},
        {"command", "python3 t.py"},
        {"storage", "s3://b/p"},
        {"budgetUsd", 5}};
    std::ofstream(path("aws.json")) << aws.dump();
    auto r = runCli({"launch", path("aws.json"), "--ledger", path("l2.sqlite"), "--poll", "0.01"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.find("AWS: no credentials: set AWS_PROFILE") != std::string::npos, r.err.c_str());
    QVERIFY2(r.err.find("or add an account in Accounts") != std::string::npos, r.err.c_str());
    r = runCli({"jobs", "--json", "--ledger", path("l2.sqlite")});
    QCOMPARE(nlohmann::json::parse(r.out)["jobs"].size(), std::size_t(0));  // nothing recorded
  }

  void readCommandsOnAnEmptyOrUnknownLedger() {
    auto r = runCli({"jobs", "--json", "--ledger", path("empty.sqlite")});
    QCOMPARE(r.code, 0);
    QCOMPARE(nlohmann::json::parse(r.out)["jobs"].size(), std::size_t(0));
    r = runCli({"job", "show", "job-nope", "--ledger", path("empty.sqlite")});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.find("no job with id job-nope") != std::string::npos);
    r = runCli({"stop", "job-nope", "--ledger", path("empty.sqlite")});
    QCOMPARE(r.code, 1);
    r = runCli({"logs", "job-nope", "--ledger", path("empty.sqlite")});
    QCOMPARE(r.code, 1);
    r = runCli({"job"});
    QCOMPARE(r.code, 2);  // usage
  }
};

QTEST_APPLESS_MAIN(JobsCliTest)
#include "JobsCliTest.moc"
