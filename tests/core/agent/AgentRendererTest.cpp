// Rendering the agent into each provider's startup script: validation, size limits, the AWS
// gzip user-data (decompressed back with libarchive and with Python's gzip) and a shell syntax check.

#include <QTemporaryDir>
#include <QTest>

#include <archive.h>
#include <archive_entry.h>

#include <nlohmann/json.hpp>

#include "core/agent/AgentRenderer.h"
#include "core/agent/AgentTestFixtures.h"

using namespace spotwise;
using namespace spotwise::agent;
using namespace spotwise::test;

namespace {

AgentConfig validConfig(const std::string& provider) {
  AgentConfig c;
  c.provider = provider;
  c.jobId = "job-42";
  c.attempt = 2;
  c.command = "python3 train.py --epochs 3";
  c.environment = {{"WANDB_MODE", "offline"}};
  if (provider == "local") {
    c.storage.kind = "local";
    c.storage.path = "/tmp/bucket/jobs/job-42";
  } else if (provider == "azure") {
    c.storage.kind = "azure-blob";
    c.storage.containerUrl = "https://acct.blob.core.windows.net/spotwise";
    c.storage.prefix = "jobs/job-42";
    c.storage.sasToken = "sv=2021-08-06&sr=c&sig=abc";
  } else {
    c.storage.kind = provider == "aws" ? "s3" : "gcs";
    c.storage.bucket = "my-bucket";
    c.storage.prefix = "jobs/job-42";
    c.storage.region = "us-east-1";
  }
  return c;
}

std::string gunzip(const std::string& bytes) {
  archive* a = archive_read_new();
  archive_read_support_filter_gzip(a);
  archive_read_support_format_raw(a);
  std::string out;
  archive_entry* entry = nullptr;
  if (archive_read_open_memory(a, bytes.data(), bytes.size()) == ARCHIVE_OK && archive_read_next_header(a, &entry) == ARCHIVE_OK) {
    char buffer[8192];
    for (la_ssize_t n; (n = archive_read_data(a, buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<std::size_t>(n));
  }
  archive_read_free(a);
  return out;
}

nlohmann::json configFromScript(const std::string& script) {
  const std::string start = "<<'SPOTWISE_CONFIG_EOF'\n";
  const auto a = script.find(start);
  if (a == std::string::npos) return {};
  const auto b = script.find('\n', a + start.size());
  return nlohmann::json::parse(script.substr(a + start.size(), b - a - start.size()), nullptr, false);
}

}  // namespace

class AgentRendererTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void base64Vectors() {  // RFC 4648 section 10
    QCOMPARE(base64Encode(""), std::string(""));
    QCOMPARE(base64Encode("f"), std::string("Zg=="));
    QCOMPARE(base64Encode("fo"), std::string("Zm8="));
    QCOMPARE(base64Encode("foo"), std::string("Zm9v"));
    QCOMPARE(base64Encode("foob"), std::string("Zm9vYg=="));
    QCOMPARE(base64Encode("fooba"), std::string("Zm9vYmE="));
    QCOMPARE(base64Encode("foobar"), std::string("Zm9vYmFy"));
  }

  void gzipRoundTripsAndIsReproducible() {
    const std::string text = std::string(agentPythonSource());
    auto a = gzipBytes(text);
    auto b = gzipBytes(text);
    QVERIFY(a.ok() && b.ok());
    QCOMPARE(*a, *b);
    QCOMPARE(static_cast<unsigned char>((*a)[0]), static_cast<unsigned char>(0x1f));
    QCOMPARE(static_cast<unsigned char>((*a)[1]), static_cast<unsigned char>(0x8b));
    QVERIFY(a->size() < text.size() / 2);
    QCOMPARE(gunzip(*a), text);
  }

  void rejectsBadConfigs_data() {
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("expected");
    QTest::newRow("provider") << "provider" << "provider 'ibm'";
    QTest::newRow("job id") << "jobId" << "jobId";
    QTest::newRow("attempt") << "attempt" << "attempt must be >= 1";
    QTest::newRow("command") << "command" << "command is empty";
    QTest::newRow("reserved env") << "env" << "SPOTWISE_JOB_ID is reserved";
    QTest::newRow("bad env name") << "envname" << "'1BAD' is not valid";
    QTest::newRow("signal") << "signal" << "checkpointSignal 'SIGKILL'";
    QTest::newRow("grace") << "grace" << "graceSeconds";
    QTest::newRow("storage kind") << "storage" << "storage.kind 'ftp'";
    QTest::newRow("azure without sas") << "sas" << "storage.sasToken is required";
    QTest::newRow("local provider, cloud storage") << "localS3" << "the local provider needs storage.kind local";
  }

  void rejectsBadConfigs() {
    QFETCH(QString, field);
    QFETCH(QString, expected);
    AgentConfig c = validConfig(field == QStringLiteral("sas") ? "azure" : "aws");
    if (field == QStringLiteral("provider")) c.provider = "ibm";
    if (field == QStringLiteral("jobId")) c.jobId = "a job/with spaces";
    if (field == QStringLiteral("attempt")) c.attempt = 0;
    if (field == QStringLiteral("command")) c.command = "  \n";
    if (field == QStringLiteral("env")) c.environment["SPOTWISE_JOB_ID"] = "x";
    if (field == QStringLiteral("envname")) c.environment["1BAD"] = "x";
    if (field == QStringLiteral("signal")) c.checkpointSignal = "SIGKILL";
    if (field == QStringLiteral("grace")) c.graceSeconds = -1;
    if (field == QStringLiteral("storage")) c.storage.kind = "ftp";
    if (field == QStringLiteral("sas")) c.storage.sasToken.clear();
    if (field == QStringLiteral("localS3")) c.provider = "local";
    auto r = renderStartupScript(c);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, ErrorCode::InvalidArgument);
    QVERIFY2(r.error().message.starts_with("AgentConfig: "), r.error().message.c_str());
    QVERIFY2(r.error().message.find(expected.toStdString()) != std::string::npos, r.error().message.c_str());
  }

  void rendersForEveryProvider_data() {
    QTest::addColumn<QString>("provider");
    QTest::addColumn<bool>("gzipped");
    QTest::addColumn<int>("limit");
    QTest::newRow("aws user-data") << "aws" << true << 16384;
    QTest::newRow("gcp startup-script") << "gcp" << false << 262144;
    QTest::newRow("azure customData") << "azure" << false << 65535;
    QTest::newRow("local") << "local" << false << 1048576;
  }

  void rendersForEveryProvider() {
    QFETCH(QString, provider);
    QFETCH(bool, gzipped);
    QFETCH(int, limit);
    const AgentConfig c = validConfig(provider.toStdString());
    auto r = renderStartupScript(c);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
    QCOMPARE(r->gzipped, gzipped);
    QCOMPARE(r->limitBytes, static_cast<std::size_t>(limit));
    QVERIFY(r->script.size() <= r->limitBytes);
    qInfo("%s: %zu of %zu bytes", qPrintable(provider), r->script.size(), r->limitBytes);
    const std::string script = gzipped ? gunzip(r->script) : r->script;
    QVERIFY(script.starts_with("#!/bin/sh\n"));
    QVERIFY(script.find(std::string(agentPythonSource()).substr(0, 2000)) != std::string::npos);
    const auto config = configFromScript(script);
    QVERIFY2(config.is_object(), script.substr(0, 2000).c_str());
    QCOMPARE(config["jobId"].get<std::string>(), c.jobId);
    QCOMPARE(config["attempt"].get<int>(), 2);
    QCOMPARE(config["command"].get<std::string>(), c.command);
    QCOMPARE(config["environment"]["WANDB_MODE"].get<std::string>(), std::string("offline"));
    QCOMPARE(config["storage"]["kind"].get<std::string>(), c.storage.kind);
    QCOMPARE(config["provider"].get<std::string>(), c.provider);
    // Local runs on the user's computer: the bootstrap never powers it off.
    QCOMPARE(script.find("SW_OFF=\"1\"") != std::string::npos, provider != QStringLiteral("local"));
    // The shell accepts it.
    QTemporaryDir dir;
    const fs::path file = fs::path(dir.path().toStdString()) / "user-data.sh";
    writeText(file, script);
    QCOMPARE(std::system(("sh -n '" + file.string() + "'").c_str()), 0);
    if (gzipped) {  // an independent gzip reader agrees
      writeText(fs::path(dir.path().toStdString()) / "ud.gz", r->script);
      const std::string cmd = "python3 -c \"import gzip,sys;sys.exit(0 if gzip.open('" + (fs::path(dir.path().toStdString()) / "ud.gz").string() +
                              "').read().startswith(b'#!/bin/sh') else 1)\"";
      QCOMPARE(std::system(cmd.c_str()), 0);
    }
  }

  void quotesCannotEscapeTheConfig() {
    AgentConfig c = validConfig("gcp");
    c.command = "echo 'SPOTWISE_CONFIG_EOF'\nSPOTWISE_CONFIG_EOF\n$(rm -rf /) `x` \"q\" @CONFIG_JSON@";
    auto r = renderStartupScript(c);
    QVERIFY(r.ok());
    const auto config = configFromScript(r->script);
    QCOMPARE(config["command"].get<std::string>(), c.command);  // JSON on one line: the heredoc stays closed
  }

  void storageFromInstanceAccess() {
    cloud::InstanceAccess local{"local-path", {{"path", "/b/jobs/j"}}, 0};
    auto s = storageFromAccess(local, "", "jobs/j");
    QVERIFY(s.ok());
    QCOMPARE(s->kind, std::string("local"));
    QCOMPARE(s->path, std::string("/b/jobs/j"));
    auto s3 = storageFromAccess({"instance-role", {{"instanceProfile", "p"}}, 0}, "bkt", "jobs/j", "eu-west-1");
    QVERIFY(s3.ok());
    QCOMPARE(s3->kind, std::string("s3"));
    QCOMPARE(s3->bucket, std::string("bkt"));
    QCOMPARE(s3->prefix, std::string("jobs/j"));
    QCOMPARE(s3->region, std::string("eu-west-1"));
    auto sas = storageFromAccess({"sas", {{"containerUrl", "https://a.blob.core.windows.net/c"}, {"sasToken", "sv=1&sig=x"}}, 99}, "", "jobs/j");
    QVERIFY(sas.ok());
    QCOMPARE(sas->kind, std::string("azure-blob"));
    QCOMPARE(sas->sasToken, std::string("sv=1&sig=x"));
    QVERIFY(!storageFromAccess({"sas", {}, 0}, "", "jobs/j").ok());
    QVERIFY(!storageFromAccess({"keys", {}, 0}, "b", "jobs/j").ok());
    QVERIFY(!storageFromAccess({"instance-role", {}, 0}, "", "jobs/j").ok());
  }

  void overTheLimitIsRefusedWithBothSizes() {
    AgentConfig c = validConfig("aws");
    std::string noise;
    for (int i = 0; i < 4000; ++i) noise += std::to_string(i * 7919 % 10007);  // compresses poorly
    c.environment["NOISE"] = noise;
    auto r = renderStartupScript(c);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, ErrorCode::ResourceExhausted);
    QVERIFY2(r.error().message.find("over the provider's limit of 16384 bytes") != std::string::npos, r.error().message.c_str());
    c.provider = "gcp";
    c.storage.kind = "gcs";
    QVERIFY(renderStartupScript(c).ok());  // GCP allows 256 KB
  }
};

QTEST_APPLESS_MAIN(AgentRendererTest)
#include "AgentRendererTest.moc"
