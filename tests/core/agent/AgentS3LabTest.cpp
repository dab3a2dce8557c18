// The agent's S3 adapter against moto_server in SigV4-checking mode: the instance gets only
// role credentials from the (fake) instance metadata service, signs every request itself, and
// boto3 (an independent client) checks what landed in the bucket.

#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <random>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/agent/AgentTestFixtures.h"
#include "core/agent/CodeBundle.h"
#include "core/cloud/local/LocalProvider.h"

using namespace spotwise;
using namespace spotwise::test;
using nlohmann::json;

namespace {

bool accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// boto3 side: IAM user + key (the first three calls run unchecked), the bucket, uploads and reads.
constexpr const char* kHelper = R"PY(
import boto3, json, sys
from botocore.config import Config
ep, cmd = sys.argv[1], sys.argv[2]
if cmd == "setup":
    iam = boto3.client("iam", endpoint_url=ep, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    iam.create_user(UserName="instance")
    key = iam.create_access_key(UserName="instance")["AccessKey"]
    iam.put_user_policy(UserName="instance", PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    print(json.dumps({"role": "spotwise-instance", "AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}))
    sys.exit(0)
creds = json.load(open(sys.argv[3]))
s3 = boto3.client("s3", endpoint_url=ep, region_name="us-east-1", aws_access_key_id=creds["AccessKeyId"],
                  aws_secret_access_key=creds["SecretAccessKey"], config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
if cmd == "bucket":
    s3.create_bucket(Bucket="spotwise-lab")
elif cmd == "put":
    s3.put_object(Bucket="spotwise-lab", Key=sys.argv[4], Body=open(sys.argv[5], "rb").read())
elif cmd == "get":
    sys.stdout.buffer.write(s3.get_object(Bucket="spotwise-lab", Key=sys.argv[4])["Body"].read())
elif cmd == "head":
    h = s3.head_object(Bucket="spotwise-lab", Key=sys.argv[4])
    print(json.dumps({"size": h["ContentLength"], "etag": h["ETag"]}))
elif cmd == "uploads":
    print(len(s3.list_multipart_uploads(Bucket="spotwise-lab").get("Uploads", [])))
elif cmd == "list":
    print("\n".join(o["Key"] for o in s3.list_objects_v2(Bucket="spotwise-lab").get("Contents", [])))
)PY";

}  // namespace

class AgentS3LabTest : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir m_tmp;
  fs::path m_dir;
  std::unique_ptr<SessionProcess> m_moto;
  std::string m_endpoint;

  std::string helper(const std::vector<std::string>& args, int* rc = nullptr) {
    QProcess p;
    QStringList list{QString::fromStdString((m_dir / "helper.py").string()), QString::fromStdString(m_endpoint)};
    for (const auto& a : args) list << QString::fromStdString(a);
    p.start(QStringLiteral("python3"), list);
    p.waitForFinished(30000);
    if (rc) *rc = p.exitCode();
    if (p.exitCode() != 0) qWarning("helper %s: %s", args.front().c_str(), p.readAllStandardError().constData());
    return p.readAllStandardOutput().toStdString();
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(m_tmp.isValid());
    m_dir = fs::path(m_tmp.path().toStdString());
    if (QStandardPaths::findExecutable(QStringLiteral("moto_server")).isEmpty()) {
      if (qEnvironmentVariable("CI") == QStringLiteral("true")) QFAIL("moto_server is missing (CI=true)");
      QSKIP("moto_server is not installed (pip moto[server]); the S3 lab test needs it");
    }
    writeText(m_dir / "helper.py", kHelper);
    const int port = freePort();
    m_moto = std::make_unique<SessionProcess>();
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("INITIAL_NO_AUTH_ACTION_COUNT"), QStringLiteral("3"));
    QVERIFY(m_moto->start(QStringLiteral("moto_server"), {QStringLiteral("-H"), QStringLiteral("127.0.0.1"), QStringLiteral("-p"), QString::number(port)}, env));
    QVERIFY2(waitFor([&] { return accepts(port); }, 20), m_moto->output().constData());
    m_endpoint = "http://127.0.0.1:" + std::to_string(port);
    const std::string creds = helper({"setup"});
    QVERIFY2(json::parse(creds, nullptr, false).is_object(), creds.c_str());
    writeText(m_dir / "imds" / "credentials.json", creds);
    int rc = 0;
    helper({"bucket", (m_dir / "imds" / "credentials.json").string()}, &rc);
    QCOMPARE(rc, 0);
  }

  void cleanupTestCase() { m_moto.reset(); }

  void agentRunsAJobOnS3WithRoleCredentialsOnly() {
    const fs::path agentDir = m_dir / "agent";
    const std::string creds = (m_dir / "imds" / "credentials.json").string();
    auto bundle = agent::packCodeFolder(sourceDir() / "resources" / "examples", m_dir / "code.tar.gz");
    QVERIFY(bundle.ok());
    int rc = 0;
    helper({"put", creds, "jobs/job-s3/code.tar.gz", (m_dir / "code.tar.gz").string()}, &rc);
    QCOMPARE(rc, 0);

    FakeMetadata imds(m_dir / "imds", std::string(cloud::local::localInstanceScript()));
    QVERIFY(imds.start());
    const json config = {{"provider", "aws"},
                         {"jobId", "job-s3"},
                         {"attempt", 1},
                         {"command", "python3 train.py --steps 120 --step-seconds 0.01 --checkpoint-every 10"},
                         {"storage", {{"kind", "s3"}, {"bucket", "spotwise-lab"}, {"prefix", "jobs/job-s3"}, {"region", "us-east-1"}, {"endpoint", m_endpoint}}},
                         {"pollSeconds", 1},
                         {"heartbeatSeconds", 1},
                         {"syncSeconds", 1},
                         {"driver", {{"mode", "skip"}}},
                         {"expectGpu", false},
                         {"powerOff", false}};
    writeAgent(agentDir, config);
    QVERIFY(readIfExists(agentDir / "config.json").find("SecretAccessKey") == std::string::npos);  // no keys in the config
    const auto run = runAgentVerb(agentDir, "run", imds.endpoint(), 60000);
    QVERIFY2(run.code == 0, run.output.c_str());

    // Read back with boto3, an independent S3 client.
    const json status = json::parse(helper({"get", creds, "jobs/job-s3/status.json"}), nullptr, false);
    QCOMPARE(status.value("state", ""), std::string("succeeded"));
    QCOMPARE(status.value("step", 0), 120);
    QCOMPARE(helper({"get", creds, "jobs/job-s3/result/model.bin"}).size(), std::size_t{72});
    const json latest = json::parse(helper({"get", creds, "jobs/job-s3/checkpoints/LATEST"}), nullptr, false);
    QVERIFY(latest.value("seq", 0) >= 1);
    QVERIFY(helper({"get", creds, "jobs/job-s3/logs/attempt-1.log"}).find("train.py: done") != std::string::npos);
    // Only the last two checkpoints are kept.
    const std::string keys = helper({"list", creds});
    int checkpointFiles = 0;
    for (std::size_t pos = 0; (pos = keys.find("/checkpoint.json", pos)) != std::string::npos; ++pos) ++checkpointFiles;
    QVERIFY2(checkpointFiles >= 1 && checkpointFiles <= 2, keys.c_str());
  }

  void aLargeCheckpointGoesUpInPartsAndComesBackWhole() {
    const std::string creds = (m_dir / "imds" / "credentials.json").string();
    writeText(m_dir / "imds-big" / "credentials.json", readIfExists(creds));  // a fresh metadata folder (its own port file)
    FakeMetadata imds(m_dir / "imds-big", std::string(cloud::local::localInstanceScript()));
    QVERIFY(imds.start());
    auto config = [&](const fs::path& dir) {
      const json c = {{"provider", "aws"},
                      {"jobId", "job-big"},
                      {"attempt", 1},
                      {"command", "true"},
                      {"storage", {{"kind", "s3"}, {"bucket", "spotwise-lab"}, {"prefix", "jobs/job-big"}, {"endpoint", m_endpoint},
                                   {"multipartThreshold", 6 << 20}, {"partSize", 5 << 20}}},
                      {"driver", {{"mode", "skip"}}},
                      {"expectGpu", false},
                      {"powerOff", false}};
      writeAgent(dir, c);
    };
    auto verb = [&](const fs::path& dir, const char* name) {
      const auto run = runAgentVerb(dir, name, imds.endpoint(), 120000);
      if (run.code != 0) qWarning("%s: %s", name, run.output.c_str());
      return run.code;
    };
    // 12 MiB + 3 bytes of non-repeating data: parts of 5, 5 and 2 MiB (+3 B).
    const fs::path up = m_dir / "big-up";
    config(up);
    std::string data(12 * 1024 * 1024 + 3, '\0');
    std::mt19937_64 rng(7);
    for (auto& c : data) c = static_cast<char>(rng());
    writeText(up / "work" / "checkpoints" / "model.pt", data);
    writeText(up / "work" / "checkpoints" / "small.json", "{\"step\": 9}");
    QCOMPARE(verb(up, "sync"), 0);
    const json head = json::parse(helper({"head", creds, "jobs/job-big/checkpoints/000001/model.pt"}), nullptr, false);
    QCOMPARE(head.value("size", 0), static_cast<int>(data.size()));
    QVERIFY2(head.value("etag", "").ends_with("-3\""), head.dump().c_str());  // S3's ETag of a 3-part upload
    QCOMPARE(helper({"uploads", creds}), std::string("0\n"));                // nothing left half-uploaded
    // Restored elsewhere: every byte back, checked against the manifest's SHA-256.
    const fs::path down = m_dir / "big-down";
    config(down);
    QCOMPARE(verb(down, "restore"), 0);
    QVERIFY(readIfExists(down / "work" / "checkpoints" / "model.pt") == data);
  }

  void wrongRoleCredentialsAreRefusedByS3() {
    json creds = json::parse(readIfExists(m_dir / "imds" / "credentials.json"));
    creds["SecretAccessKey"] = "not-the-secret";
    const fs::path imdsDir = m_dir / "imds-bad";
    writeText(imdsDir / "credentials.json", creds.dump());
    FakeMetadata imds(imdsDir, std::string(cloud::local::localInstanceScript()));
    QVERIFY(imds.start());
    const fs::path agentDir = m_dir / "agent-bad";
    const json config = {{"provider", "aws"},
                         {"jobId", "job-bad"},
                         {"attempt", 1},
                         {"command", "true"},
                         {"storage", {{"kind", "s3"}, {"bucket", "spotwise-lab"}, {"prefix", "jobs/job-bad"}, {"endpoint", m_endpoint}}},
                         {"driver", {{"mode", "skip"}}},
                         {"expectGpu", false},
                         {"powerOff", false}};
    writeAgent(agentDir, config);
    const auto run = runAgentVerb(agentDir, "run", imds.endpoint(), 30000);
    QCOMPARE(run.code, 3);  // EXIT_STORAGE
    const std::string& out = run.output;
    QVERIFY2(out.find("HTTP 403") != std::string::npos && out.find("SignatureDoesNotMatch") != std::string::npos, out.c_str());
    QVERIFY2(out.find("not-the-secret") == std::string::npos, "the secret must never be logged");
  }
};

QTEST_APPLESS_MAIN(AgentS3LabTest)
#include "AgentS3LabTest.moc"
