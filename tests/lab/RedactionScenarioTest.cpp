// Redaction over a whole lab scenario: credentials loaded from files and the environment, signed
// calls against moto (SigV4), Azurite (SharedKey and a SAS) and the GCE/GCS contract server
// (bearer tokens from a google-auth-checked assertion), job records written to a real SQLite
// ledger, log lines, and spotwise-cli run as a child process on that ledger. Then every byte
// Spotwise produced — the ledger file with its WAL, the log file, everything the CLI wrote to
// stdout, stderr, its config, data and cache folders — is scanned for every secret that was used:
// keys, every signature and token that actually went over the wire (read back from the peers'
// recordings), the SAS. There is no crash handler in Spotwise (a crash writes nothing of its own),
// so there is no crash output to scan.

#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <filesystem>
#include <fstream>
#include <set>

#include "LabPeer.h"
#include "core/auth/aws/AwsConfig.h"
#include "core/auth/gcp/GcpCredentials.h"
#include "core/auth/gcp/GcpTokenSources.h"
#include "core/cloud/aws/AwsProvider.h"
#include "core/cloud/azure/AzureProvider.h"
#include "core/cloud/gcp/GcpProvider.h"
#include "core/common/Log.h"
#include "core/http/CurlHttpClient.h"
#include "core/ledger/Ledger.h"

#include <nlohmann/json.hpp>

using namespace spotwise;
using namespace spotwise::cloud;
namespace fs = std::filesystem;
using spotwise::test::within;

namespace {

fs::path cliPath() {
  const char* dir = std::getenv("SPOTWISE_BINARY_DIR");
  return fs::path(dir ? dir : ".") / "app" / "spotwise-cli";
}

std::string readAll(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string percentEncoded(const std::string& s) {
  return QString::fromUtf8(QUrl::toPercentEncoding(QString::fromStdString(s))).toStdString();
}

/** Values of `header` in the peer's recorded requests, after `prefix` (e.g. "Bearer "). */
std::vector<std::string> recorded(test::LabPeer& peer, const char* header, const QRegularExpression& value) {
  std::vector<std::string> out;
  for (const auto& r : peer.requests()) {
    const auto headers = r.toObject().value(QStringLiteral("headers")).toObject();
    for (auto it = headers.begin(); it != headers.end(); ++it) {
      if (it.key().compare(QLatin1String(header), Qt::CaseInsensitive) != 0) continue;
      const auto m = value.match(it.value().toString());
      if (m.hasMatch()) out.push_back(m.captured(1).toStdString());
    }
  }
  return out;
}

}  // namespace

class RedactionScenarioTest : public QObject {
  Q_OBJECT

  std::unique_ptr<test::LabPeer> m_moto;
  std::unique_ptr<test::LabPeer> m_azurite;
  std::unique_ptr<test::LabPeer> m_gce;
  http::CurlHttpClient m_http;
  test::RecordingSleeper m_sleeper;
  http::RealSteadyClock m_clock;

  Transport transport() {
    Transport t;
    t.client = &m_http;
    t.sleeper = &m_sleeper;
    t.clock = &m_clock;
    t.retry.maxAttempts = 3;
    t.jitterSeed = 9;
    return t;
  }

 private Q_SLOTS:
  void initTestCase() {
    m_moto = test::pythonPeer("moto_peer.py");
    SPOTWISE_REQUIRE_PEER(*m_moto);
    m_azurite = test::pythonPeer("azurite_peer.py");
    SPOTWISE_REQUIRE_PEER(*m_azurite);
    m_gce = std::make_unique<test::LabPeer>(test::labPeerScript("gcloud-python.sh"), QStringList{test::labPeerScript("gce_server.py")});
    SPOTWISE_REQUIRE_PEER(*m_gce);
    if (!fs::exists(cliPath())) QFAIL(qPrintable(QStringLiteral("spotwise-cli not built at %1").arg(QString::fromStdString(cliPath().string()))));
  }
  void cleanupTestCase() {
    resetLogSink();
    m_gce.reset();
    m_azurite.reset();
    m_moto.reset();
  }

  void noSecretInAnythingSpotwiseWrites() {
    QTemporaryDir home;
    QTemporaryDir out;  // everything Spotwise writes goes here, and all of it is scanned
    QVERIFY(home.isValid() && out.isValid());
    const fs::path homeDir = home.path().toStdString();
    const fs::path outDir = out.path().toStdString();

    // --- credentials from the files and variables the providers' own tools use ---------------
    fs::create_directories(homeDir / ".aws");
    std::ofstream(homeDir / ".aws" / "credentials") << "[lab]\naws_access_key_id = " << m_moto->value("accessKeyId")
                                                    << "\naws_secret_access_key = " << m_moto->value("secretAccessKey") << "\n";
    const fs::path gcpKey = homeDir / "gcp-key.json";
    std::ofstream(gcpKey) << m_gce->value("serviceAccountKey");
    const std::map<std::string, std::string> env = {{"HOME", homeDir.string()},
                                                    {"AWS_PROFILE", "lab"},
                                                    {"GOOGLE_APPLICATION_CREDENTIALS", gcpKey.string()},
                                                    {"SPOTWISE_LAB_STORAGE_KEY", m_azurite->value("key")}};
    const auto lookup = [&](const std::string& name) -> std::optional<std::string> {
      if (auto it = env.find(name); it != env.end()) return it->second;
      return std::nullopt;
    };
    auth::aws::AwsResolverOptions resolver;
    resolver.env = lookup;
    const auto aws = auth::aws::resolveAwsCredentials(resolver);
    QVERIFY2(aws.ok(), aws.ok() ? "" : aws.error().toString().c_str());
    QCOMPARE(aws->credentials.secretAccessKey, m_moto->value("secretAccessKey"));
    const auto gcp = auth::gcp::loadApplicationDefaultCredentials(lookup);
    QVERIFY2(gcp.ok(), gcp.ok() ? "" : gcp.error().toString().c_str());
    const auto storageKey = lookup("SPOTWISE_LAB_STORAGE_KEY");
    QVERIFY(storageKey.has_value());

    // Every log line goes to a log file, as the desktop's file sink would write it.
    const fs::path logFile = outDir / "spotwise.log";
    {
      auto log = std::make_shared<std::ofstream>(logFile, std::ios::app);
      setLogSink([log](LogLevel, std::string_view message) { *log << message << '\n' << std::flush; });
    }

    // --- signed calls against the peers --------------------------------------------------------
    aws::AwsSettings awsSettings;
    awsSettings.credentials = aws->credentials;
    awsSettings.endpointOverride = m_moto->value("endpoint");
    awsSettings.defaultRegion = "us-east-1";
    awsSettings.regions = {"us-east-1"};
    awsSettings.bucket = m_moto->value("bucket");
    awsSettings.bucketRegion = "us-east-1";
    aws::AwsProvider awsProvider(awsSettings, transport());
    QVERIFY(awsProvider.storage().put("job-redact/status.json", "{\"step\":1}", within()).ok());
    LaunchSpec spec;
    spec.jobId = "job-redact";
    spec.region = "us-east-1";
    spec.instanceType = "g4dn.xlarge";
    spec.startupScript = "#!/bin/sh\necho hi\n";
    const auto ec2 = awsProvider.compute().launch(spec, within());
    QVERIFY2(ec2.ok(), ec2.ok() ? "" : ec2.error().toString().c_str());
    auto wrongSecret = awsSettings;
    wrongSecret.credentials.secretAccessKey = "lab-wrong-secret-0123456789abcdef";
    registerSecret(wrongSecret.credentials.secretAccessKey);  // as the Accounts page does with what it loads
    const auto refused = aws::AwsProvider(wrongSecret, transport()).storage().get("job-redact/status.json", within());
    QVERIFY(!refused.ok());

    auto gcpTokens = auth::gcp::makeTokenSource(*gcp, {std::string(auth::gcp::kCloudPlatformScope)}, m_http);
    gcp::GcpSettings gce;
    gce.project = m_gce->value("project");
    gce.computeEndpoint = m_gce->value("endpoint") + "/compute/v1/";
    gce.tokens = gcpTokens.get();
    gce.launch.serviceAccountEmail = "spotwise-vm@spotwise-lab.iam.gserviceaccount.com";
    gcp::GcsSettings gcs;
    gcs.endpoint = m_gce->value("endpoint");
    gcs.bucket = "spotwise-lab-jobs";
    gcs.tokens = gcpTokens.get();
    gcp::GcpProvider gcpProvider(gce, gcs, transport());
    QVERIFY(gcpProvider.storage().put("job-redact/status.json", "{}", within()).ok());
    auto gceSpec = spec;
    gceSpec.zone = "us-central1-a";
    gceSpec.region = "us-central1";
    gceSpec.instanceType = "n1-standard-8+nvidia-tesla-t4x1";
    const auto vm = gcpProvider.compute().launch(gceSpec, within());
    QVERIFY2(vm.ok(), vm.ok() ? "" : vm.error().toString().c_str());
    const auto token = gcpTokens->accessToken({});
    QVERIFY(token.ok());

    azure::BlobSettings blob;
    blob.endpoint = m_azurite->value("endpoint");
    blob.container = "redact";
    blob.accountKey = auth::azure::StorageAccountKey{m_azurite->value("account"), *storageKey};
    azure::AzureProvider azureProvider(azure::ArmSettings{}, blob, transport());
    QVERIFY(azureProvider.storage().ensureContainer(within()).ok());
    QVERIFY(azureProvider.storage().put("job-redact/code.tar.gz", "code", within()).ok());
    const auto access = azureProvider.issueInstanceAccess("job-redact", "job-redact", auth::systemUnixNow() + 3600, within());
    QVERIFY2(access.ok(), access.ok() ? "" : access.error().toString().c_str());
    const std::string sasUrl = access->values.at("sasUrl");

    // --- what could carry a secret into outputs: errors, request dumps, access values -----------
    http::Request dump;  // a request as a debug log line would show it, signature and all
    dump.method = "GET";
    dump.url = awsProvider.storage().objectUrl("job-redact/status.json");
    auth::aws::SigV4Options signing;
    signing.region = "us-east-1";
    signing.service = "s3";
    signing.s3 = true;
    QVERIFY(auth::aws::signRequest(dump, aws->credentials, signing).ok());
    std::string dumpText = dump.method + " " + dump.url + "\n";
    for (const auto& [k, v] : dump.headers) dumpText += k + ": " + v + "\n";
    logMessage(LogLevel::Warning, "S3 call failed: " + refused.error().toString() + "\n" + dumpText);
    logMessage(LogLevel::Info, "instance access for job-redact: " + sasUrl);
    logMessage(LogLevel::Debug, "GET " + gcs.endpoint + "/storage/v1/b/x/o/y\nAuthorization: Bearer " + *token);
    logMessage(LogLevel::Info, "{\"access_token\": \"" + *token + "\", \"expires_in\": 3599}");

    const fs::path ledgerFile = outDir / "ledger.sqlite";
    {
      auto ledger = ledger::Ledger::open(ledgerFile);
      QVERIFY2(ledger.ok(), ledger.ok() ? "" : ledger.error().toString().c_str());
      ledger::JobRecord job;
      job.id = "job-redact";
      job.name = "redaction scenario";
      job.provider = "azure";
      // A spec must parse back unchanged for a relaunch: a variable of the job's own called TOKEN
      // stays; Spotwise's own SAS, had it got in there, does not.
      job.specJson = "{\"environment\":{\"TOKEN\":\"the-jobs-own-value\",\"ACCESS\":\"" + sasUrl + "\"}}";
      job.state = "running";
      job.stateMessage = "launched with " + sasUrl;
      job.createdMs = job.updatedMs = 1;
      QVERIFY((*ledger)->insertJob(job).ok());
      job.stateMessage = "refused: " + refused.error().toString() + " after " + dumpText;
      job.pendingEndMessage = "Authorization: Bearer " + *token;
      QVERIFY((*ledger)->updateJob(job).ok());
      QVERIFY((*ledger)->addEvent({0, "job-redact", 1, 2, "note", "running", "running",
                                   "GCS said 401 to Bearer " + *token + " and " + dumpText}).ok());
      ledger::AttemptRecord attempt;
      attempt.jobId = "job-redact";
      attempt.number = 1;
      attempt.provider = "aws";
      attempt.instanceId = ec2->id;
      attempt.endCause = "failed: " + dumpText;
      QVERIFY((*ledger)->upsertAttempt(attempt).ok());
      ledger::IntentRecord intent;
      intent.jobId = "job-redact";
      intent.attempt = 1;
      intent.clientToken = spec.clientToken();
      intent.operation = "launch";
      intent.target = "us-east-1";
      const auto id = (*ledger)->beginIntent(intent);
      QVERIFY(id.ok());
      QVERIFY((*ledger)->resolveIntent(*id, "failed", "error: " + refused.error().toString() + " " + dumpText + " " + sasUrl, 3).ok());
      const auto back = (*ledger)->job("job-redact");
      QVERIFY(back.ok() && back->has_value());
      QVERIFY((*back)->specJson.find("the-jobs-own-value") != std::string::npos);
    }

    // --- spotwise-cli as the user runs it, on that ledger and these credentials -----------------
    std::string cliOutput;
    const auto runCli = [&](const QStringList& args) {
      QProcess p;
      auto e = QProcessEnvironment::systemEnvironment();
      for (const auto& [k, v] : env) e.insert(QString::fromStdString(k), QString::fromStdString(v));
      e.insert(QStringLiteral("SPOTWISE_LEDGER"), QString::fromStdString(ledgerFile.string()));
      e.insert(QStringLiteral("AWS_ENDPOINT_URL_STS"), QString::fromStdString(m_moto->value("endpoint")));
      e.insert(QStringLiteral("XDG_CONFIG_HOME"), QString::fromStdString((outDir / "config").string()));
      e.insert(QStringLiteral("XDG_DATA_HOME"), QString::fromStdString((outDir / "data").string()));
      e.insert(QStringLiteral("XDG_CACHE_HOME"), QString::fromStdString((outDir / "cache").string()));
      p.setProcessEnvironment(e);
      p.start(QString::fromStdString(cliPath().string()), args);
      if (!p.waitForFinished(60000)) p.kill();
      cliOutput += p.readAllStandardOutput().toStdString() + "\n" + p.readAllStandardError().toStdString() + "\n";
      return p.exitCode();
    };
    QCOMPARE(runCli({QStringLiteral("auth"), QStringLiteral("test"), QStringLiteral("aws")}), 0);
    QCOMPARE(runCli({QStringLiteral("auth"), QStringLiteral("test"), QStringLiteral("aws"), QStringLiteral("--json")}), 0);
    runCli({QStringLiteral("jobs")});
    runCli({QStringLiteral("job"), QStringLiteral("show"), QStringLiteral("job-redact")});
    QVERIFY2(cliOutput.find("job-redact") != std::string::npos, cliOutput.c_str());  // the CLI did read the ledger
    std::ofstream(outDir / "cli-output.txt", std::ios::binary) << cliOutput;
    resetLogSink();

    // --- the secrets: what was configured, and what actually went over the wire ------------------
    std::set<std::string> secrets = {m_moto->value("secretAccessKey"), wrongSecret.credentials.secretAccessKey,
                                     *storageKey, *token};
    for (const auto& s : recorded(*m_moto, "Authorization", QRegularExpression(QStringLiteral("Signature=([0-9a-f]{64})"))))
      secrets.insert(s);
    for (const auto& s : recorded(*m_gce, "Authorization", QRegularExpression(QStringLiteral("^Bearer (\\S+)"))))
      secrets.insert(s);
    for (const auto& s : recorded(*m_azurite, "Authorization", QRegularExpression(QStringLiteral("^SharedKey [^:]+:(\\S+)"))))
      secrets.insert(s);
    for (const auto& r : m_gce->requests(QStringLiteral("^POST /token"))) {
      const auto m = QRegularExpression(QStringLiteral("assertion=([^&]+)")).match(r.toObject().value(QStringLiteral("body")).toString());
      if (m.hasMatch()) secrets.insert(QUrl::fromPercentEncoding(m.captured(1).toUtf8()).toStdString());
    }
    const auto sig = QRegularExpression(QStringLiteral("[?&]sig=([^&]+)")).match(QString::fromStdString(sasUrl));
    QVERIFY(sig.hasMatch());
    secrets.insert(QUrl::fromPercentEncoding(sig.captured(1).toUtf8()).toStdString());
    // The private key of the service account, line by line (any line of it is enough to leak).
    const auto pem = nlohmann::json::parse(m_gce->value("serviceAccountKey")).value("private_key", "");
    for (const auto& line : QString::fromStdString(pem).split(QLatin1Char('\n')))
      if (line.size() >= 40 && !line.startsWith(QLatin1String("-----"))) secrets.insert(line.toStdString());
    QVERIFY2(secrets.size() >= 20, qPrintable(QString::number(secrets.size())));  // the scan has material

    // --- every byte Spotwise wrote -------------------------------------------------------------
    std::vector<fs::path> files;
    for (const auto& entry : fs::recursive_directory_iterator(outDir))
      if (entry.is_regular_file()) files.push_back(entry.path());
    QVERIFY(std::any_of(files.begin(), files.end(), [](const fs::path& f) { return f.filename() == "ledger.sqlite"; }));
    std::uint64_t scanned = 0;
    for (const auto& file : files) {
      const std::string bytes = readAll(file);
      scanned += bytes.size();
      for (const auto& secret : secrets) {
        QVERIFY2(bytes.find(secret) == std::string::npos,
                 qPrintable(QStringLiteral("%1 holds a secret (%2...)").arg(QString::fromStdString(file.string()),
                                                                          QString::fromStdString(secret.substr(0, 6)))));
        const std::string encoded = percentEncoded(secret);
        QVERIFY2(bytes.find(encoded) == std::string::npos,
                 qPrintable(QStringLiteral("%1 holds a percent-encoded secret (%2...)")
                                .arg(QString::fromStdString(file.string()), QString::fromStdString(encoded.substr(0, 6)))));
      }
    }
    // The outputs are there and still useful: redaction replaced, it did not drop.
    const std::string log = readAll(logFile);
    QVERIFY(log.find("[REDACTED]") != std::string::npos);
    QVERIFY(log.find("S3 call failed") != std::string::npos);
    qInfo("scanned %zu files, %llu bytes, for %zu secrets", files.size(), static_cast<unsigned long long>(scanned),
          secrets.size());
  }
};

QTEST_APPLESS_MAIN(RedactionScenarioTest)
#include "RedactionScenarioTest.moc"
