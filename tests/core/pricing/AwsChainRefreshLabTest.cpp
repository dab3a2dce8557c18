// Lab: a price refresh that finds its AWS credentials itself, on the signed source's thread, through
// the whole chain (pricing::awsChainResolver, what the app and `spotwise-cli prices refresh` use):
// a role profile assumed with STS at moto, a real credential_process script, and the ways a chain
// fails (a process that exits 1, bad or expired output, an STS refusal), each failing the signed
// source alone with the step named; a slow process is interrupted by cancel.
#include "TestSupport.h"
#include "lab/LabPeer.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>

#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "LoopbackServer.h"
#include "core/http/CurlHttpClient.h"
#include "core/pricing/LiveCatalog.h"
#include "core/pricing/PriceRefresh.h"

using namespace spotwise;
using namespace spotwise::pricing;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

void writeFile(const QString& path, const std::string& text, bool executable = false) {
  QDir().mkpath(QFileInfo(path).path());
  QFile file(path);
  QVERIFY2(file.open(QIODevice::WriteOnly | QIODevice::Truncate), qPrintable(path));
  file.write(QByteArray::fromStdString(text));
  file.close();
  if (executable) file.setPermissions(file.permissions() | QFileDevice::ExeOwner);
}

const SourceOutcome& outcomeOf(const std::vector<SourceOutcome>& outcomes, std::string_view id) {
  const auto& ids = liveSourceIds();
  return outcomes[static_cast<std::size_t>(std::ranges::find(ids, id) - ids.begin())];
}

}  // namespace

class AwsChainRefreshLabTest : public QObject {
  Q_OBJECT

  std::unique_ptr<test::LabPeer> m_moto;
  std::unique_ptr<test::LoopbackServer> m_public;  // the public sources: an AWS offer file
  http::CurlHttpClient m_client;
  std::unique_ptr<QTemporaryDir> m_home;

  /** The environment the chain reads: a temporary HOME and moto for STS and EC2, nothing else. */
  auth::aws::Environment environment() const {
    const std::map<std::string, std::string> env = {{"HOME", m_home->path().toStdString()},
                                                    {"AWS_ENDPOINT_URL", m_moto->value("endpoint")}};
    return [env](const std::string& name) -> std::optional<std::string> {
      auto it = env.find(name);
      return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
  }
  QString home(const QString& path) const { return m_home->filePath(path); }
  std::string staticKeys() const {
    return "aws_access_key_id = " + m_moto->value("accessKeyId") + "\naws_secret_access_key = " + m_moto->value("secretAccessKey") + "\n";
  }

  /** A refresh whose AWS credentials come from the chain; the AWS offer file loads from a loopback server. */
  RefreshConfig config() const {
    RefreshConfig c;
    c.endpoints.awsRegionIndexUrl = m_public->url("/aws/region_index.json");
    c.endpoints.awsOfferBase = m_public->url("");
    const std::string dead = "http://127.0.0.1:9/";
    c.endpoints.awsSpotFeedUrl = dead + "spot.js";
    c.endpoints.awsAdvisorUrl = dead + "advisor.json";
    c.endpoints.azureRetailUrl = dead + "azure";
    c.awsRegions = {"us-east-2"};
    c.awsSpotHistoryTypes = {"g5.xlarge", "p3.8xlarge"};
    c.cacheDir = home(QStringLiteral("cache")).toStdString();
    c.settings.timeout = 20s;
    c.settings.stallTimeout = 10s;
    c.settings.retry.maxAttempts = 1;
    c.resolveAws = awsChainResolver(environment());
    return c;
  }

  void scriptOfferIndex() {
    http::Request r;
    r.method = "POST";
    r.url = m_public->url("/__script?path=/aws/region_index.json");
    r.body = nlohmann::json::array(
                 {{{"status", 200},
                   {"body", nlohmann::json{{"regions", {{"us-east-2", {{"currentVersionUrl", "/files/pricing/aws/derived_us-east-2_p3.8xlarge_linux.json"}}}}}}.dump()}}})
                 .dump();
    QVERIFY(m_client.send(r));
  }

  /** The Authorization headers of the DescribeSpotPriceHistory calls moto received. */
  QStringList spotHistoryAuthorizations() {
    QStringList out;
    for (const auto& call : m_moto->requests(QStringLiteral("Action=DescribeSpotPriceHistory"))) {
      const auto headers = call.toObject().value(QStringLiteral("headers")).toObject();
      out << headers.value(QStringLiteral("Authorization")).toString() + QStringLiteral(" token=") +
                 QString::number(headers.contains(QStringLiteral("X-Amz-Security-Token")));
    }
    return out;
  }

 private Q_SLOTS:
  void initTestCase() {
    m_moto = std::make_unique<test::LabPeer>(QStringLiteral("python3"), QStringList{test::labPeerScript("moto_peer.py")});
    SPOTWISE_REQUIRE_PEER(*m_moto);
    QVERIFY2(!m_moto->value("roleArn").empty(), "moto_peer.py names no role");
    m_public = std::make_unique<test::LoopbackServer>(test::LoopbackServer::httpFixture((test::sourceDir() / "tests/data").string()));
    QVERIFY2(m_public->running(), "the fixture server (python3) did not start");
  }
  void init() {
    m_moto->clear();
    m_home = std::make_unique<QTemporaryDir>();
    scriptOfferIndex();
  }
  void cleanupTestCase() {
    m_public.reset();
    m_moto.reset();
  }

  void roleProfileIsAssumedInsideTheRefresh() {
    writeFile(home(QStringLiteral(".aws/credentials")), "[base]\n" + staticKeys());
    writeFile(home(QStringLiteral(".aws/config")),
              "[default]\nrole_arn = " + m_moto->value("roleArn") + "\nsource_profile = base\nregion = us-east-1\n");
    const auto outcomes = refreshAll(m_client, config(), {}, {});
    const auto& history = outcomeOf(outcomes, "aws-spot-history");
    QVERIFY2(history.state == SourceOutcome::State::Fresh, history.error.message.c_str());
    QVERIFY(!history.result.parsed.records.empty());
    for (const auto& r : history.result.parsed.records) QCOMPARE(r.region, std::string("us-east-2"));
    QCOMPARE(outcomeOf(outcomes, "aws-offer").state, SourceOutcome::State::Fresh);
    // One AssumeRole signed with the source profile's key, then EC2 called with the role's temporary key.
    const auto assumed = m_moto->requests(QStringLiteral("Action=AssumeRole"));
    QCOMPARE(assumed.size(), 1);
    const QString stsAuth = assumed[0].toObject().value(QStringLiteral("headers")).toObject().value(QStringLiteral("Authorization")).toString();
    QVERIFY2(stsAuth.contains(QStringLiteral("Credential=") + QString::fromStdString(m_moto->value("accessKeyId"))), qPrintable(stsAuth));
    const QStringList ec2 = spotHistoryAuthorizations();
    QCOMPARE(ec2.size(), 1);
    QVERIFY2(ec2[0].contains(QStringLiteral("Credential=ASIA")) && ec2[0].endsWith(QStringLiteral("token=1")), qPrintable(ec2[0]));
    QVERIFY(!ec2[0].contains(QString::fromStdString(m_moto->value("accessKeyId"))));
  }

  void credentialProcessOutputIsUsed() {
    const QString marker = home(QStringLiteral("process-ran"));
    const QString script = home(QStringLiteral("bin/aws-creds.sh"));
    writeFile(script,
              "#!/bin/sh\n: > '" + marker.toStdString() + "'\n"
              "printf '%s' '{\"Version\": 1, \"AccessKeyId\": \"" + m_moto->value("accessKeyId") + "\", \"SecretAccessKey\": \"" +
                  m_moto->value("secretAccessKey") + "\", \"Expiration\": \"2099-01-01T00:00:00Z\"}'\n",
              true);
    writeFile(home(QStringLiteral(".aws/config")), "[default]\ncredential_process = " + script.toStdString() + "\n");
    const auto outcomes = refreshAll(m_client, config(), {}, {});
    const auto& history = outcomeOf(outcomes, "aws-spot-history");
    QVERIFY2(history.state == SourceOutcome::State::Fresh, history.error.message.c_str());
    QVERIFY(!history.result.parsed.records.empty());
    QVERIFY(QFile::exists(marker));
    const QStringList ec2 = spotHistoryAuthorizations();
    QCOMPARE(ec2.size(), 1);
    QVERIFY2(ec2[0].contains(QStringLiteral("Credential=") + QString::fromStdString(m_moto->value("accessKeyId"))), qPrintable(ec2[0]));
  }

  void failingCredentialProcessFailsOnlyThatSource() {
    // A good refresh first (static keys handed in, as the Accounts page does): its data must survive.
    QTemporaryDir db;
    auto history = PriceHistory::open(db.filePath(QStringLiteral("prices.sqlite")).toStdString());
    QVERIFY(history);
    RefreshConfig good = config();
    good.aws = sources::AwsApiAccess{{m_moto->value("accessKeyId"), m_moto->value("secretAccessKey"), {}}, m_moto->value("endpoint")};
    const auto first = refreshAll(m_client, good, {}, {});
    QCOMPARE(outcomeOf(first, "aws-spot-history").state, SourceOutcome::State::Fresh);
    QVERIFY(storeRefresh(*history, first));

    // The process prints a secret-looking line on stderr and exits 1.
    const QString script = home(QStringLiteral("bin/broken-creds.sh"));
    writeFile(script, "#!/bin/sh\necho 'token expired for secret-in-stderr-123' >&2\nexit 1\n", true);
    writeFile(home(QStringLiteral(".aws/config")), "[default]\ncredential_process = " + script.toStdString() + "\n");
    scriptOfferIndex();
    m_moto->clear();
    const auto outcomes = refreshAll(m_client, config(), {}, {});
    const auto& failed = outcomeOf(outcomes, "aws-spot-history");
    QCOMPARE(failed.state, SourceOutcome::State::Failed);
    QCOMPARE(failed.error.message,
             std::string("AwsSpotHistory: AWS credentials: credential_process of profile 'default': the command failed (exit status 1)"));
    QVERIFY(!contains(failed.error.toString(), "secret-in-stderr"));
    QCOMPARE(m_moto->requests(QStringLiteral("Action=DescribeSpotPriceHistory")).size(), 0);
    QCOMPARE(outcomeOf(outcomes, "aws-offer").state, SourceOutcome::State::Fresh);  // the others load as before
    QCOMPARE(outcomeOf(outcomes, "gcp-billing").state, SourceOutcome::State::Skipped);

    // Stored: the last good per-zone prices stay.
    QVERIFY(storeRefresh(*history, outcomes));
    auto snapshot = embeddedSnapshot();
    QVERIFY(snapshot);
    auto live = assembleLiveCatalog(*history, *snapshot);
    QVERIFY(live);
    const bool kept = std::ranges::any_of(live->offers, [](const Offer& o) { return o.spot && o.spot->sourceId == "aws-spot-history"; });
    QVERIFY(kept);
  }

  void badProcessOutputIsNamed_data() {
    QTest::addColumn<QString>("output");
    QTest::addColumn<QString>("why");
    QTest::newRow("not JSON") << QStringLiteral("AccessKeyId=AKIA secret=abc") << QStringLiteral("the output is not a JSON object");
    QTest::newRow("expired") << QStringLiteral(R"({"Version": 1, "AccessKeyId": "AKIAEXPIRED", "SecretAccessKey": "expired-secret-456", )"
                                               R"("Expiration": "2020-01-01T00:00:00Z"})")
                             << QStringLiteral("the credentials it returned expired at 2020-01-01T00:00:00Z");
  }
  void badProcessOutputIsNamed() {
    QFETCH(QString, output);
    QFETCH(QString, why);
    writeFile(home(QStringLiteral("out.txt")), output.toStdString());
    writeFile(home(QStringLiteral(".aws/config")), "[default]\ncredential_process = cat " + home(QStringLiteral("out.txt")).toStdString() + "\n");
    const auto outcomes = refreshAll(m_client, config(), {}, {});
    const auto& failed = outcomeOf(outcomes, "aws-spot-history");
    QCOMPARE(failed.state, SourceOutcome::State::Failed);
    QCOMPARE(QString::fromStdString(failed.error.message),
             QStringLiteral("AwsSpotHistory: AWS credentials: credential_process of profile 'default': ") + why);
    QVERIFY(!contains(failed.error.message, "expired-secret-456") && !contains(failed.error.message, "secret=abc"));
    QCOMPARE(outcomeOf(outcomes, "aws-offer").state, SourceOutcome::State::Fresh);
  }

  void refusedRoleNamesStsAndWhy() {
    // The source profile is an identity allowed S3 only: moto refuses it sts:AssumeRole.
    const auto limited = m_moto->command({{QStringLiteral("cmd"), QStringLiteral("instanceCredentials")}}).toObject();
    const std::string secret = limited.value(QStringLiteral("SecretAccessKey")).toString().toStdString();
    QVERIFY(!secret.empty());
    writeFile(home(QStringLiteral(".aws/credentials")),
              "[s3only]\naws_access_key_id = " + limited.value(QStringLiteral("AccessKeyId")).toString().toStdString() +
                  "\naws_secret_access_key = " + secret + "\n");
    writeFile(home(QStringLiteral(".aws/config")), "[default]\nrole_arn = " + m_moto->value("roleArn") + "\nsource_profile = s3only\n");
    const auto outcomes = refreshAll(m_client, config(), {}, {});
    const auto& failed = outcomeOf(outcomes, "aws-spot-history");
    QCOMPARE(failed.state, SourceOutcome::State::Failed);
    QCOMPARE(failed.error.code, ErrorCode::PermissionDenied);
    QVERIFY2(failed.error.message.starts_with("AwsSpotHistory: AWS credentials: AWS profile 'default': STS AssumeRole"),
             failed.error.message.c_str());
    QVERIFY2(contains(failed.error.message, "HTTP 403") && contains(failed.error.message, "AccessDenied"), failed.error.message.c_str());
    QVERIFY(!contains(failed.error.toString(), secret));
    QCOMPARE(outcomeOf(outcomes, "aws-offer").state, SourceOutcome::State::Fresh);
  }

  void cancelInterruptsASlowCredentialProcess() {
    writeFile(home(QStringLiteral(".aws/config")), "[default]\ncredential_process = sleep 30\n");
    std::stop_source stop;
    QElapsedTimer timer;
    timer.start();
    std::jthread canceller([&] {
      std::this_thread::sleep_for(500ms);
      stop.request_stop();
    });
    const auto outcomes = refreshAll(m_client, config(), {}, stop.get_token());
    QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
    const auto& cancelled = outcomeOf(outcomes, "aws-spot-history");
    QCOMPARE(cancelled.state, SourceOutcome::State::Cancelled);
    QVERIFY2(contains(cancelled.error.message, "AwsSpotHistory: AWS credentials: credential_process"), cancelled.error.message.c_str());
  }

  void noCredentialsAnywhereIsSkipped() {
    // No ~/.aws at all, then one with named profiles only and nothing naming one: skipped, as before.
    for (int step = 0; step < 2; ++step) {
      if (step == 1) writeFile(home(QStringLiteral(".aws/config")), "[profile dev]\n" + staticKeys());
      const auto outcomes = refreshAll(m_client, config(), {}, {});
      const auto& skipped = outcomeOf(outcomes, "aws-spot-history");
      QCOMPARE(skipped.state, SourceOutcome::State::Skipped);
      QVERIFY2(contains(skipped.error.message, "no AWS credentials"), skipped.error.message.c_str());
    }
    QCOMPARE(m_moto->requests(QStringLiteral("Action=")).size(), 0);
  }
};

QTEST_APPLESS_MAIN(AwsChainRefreshLabTest)
#include "AwsChainRefreshLabTest.moc"
