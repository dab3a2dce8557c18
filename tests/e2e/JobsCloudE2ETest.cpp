// The cloud paths end to end in the lab, with the runtime the CLI and the app use (openRuntime and
// its ProviderRegistry, credentials handed in through the app's credentials hook):
//  * AWS: the controller launches on moto (SigV4 checked); the "instance" is the rendered user-data
//    run here, with a fake IMDS serving S3-only credentials (never the user's keys) and moto S3 as
//    the bucket. The test issues a spot `instance-action` notice and then terminates the instance
//    in moto as AWS would; the controller launches attempt 2 (same job, new tags), which resumes
//    from checkpoints/LATEST, and the job succeeds with nothing left running in moto.
//  * Azure: the same loop with ARM on the lab's contract server (tests/lab/peers/arm_server.py;
//    there is no ARM emulator) and the checkpoints in Azurite through the SAS the provider issues.
// Peers are started by the test; with CI=true a missing peer fails.
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <chrono>
#include <functional>
#include <map>
#include <thread>

#include "core/agent/AgentTestFixtures.h"
#include "core/cloud/azure/BlobStore.h"
#include "core/http/CurlHttpClient.h"
#include "core/jobs/Runtime.h"
#include "lab/LabPeer.h"

using namespace spotwise;
using namespace spotwise::test;
using nlohmann::json;

namespace {

constexpr int kSteps = 400;
constexpr int kCheckpointEvery = 25;

std::int64_t wallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

QJsonObject cmd(const char* name, std::initializer_list<QPair<QString, QJsonValue>> fields = {}) {
  QJsonObject o{{QStringLiteral("cmd"), QLatin1String(name)}};
  for (const auto& [k, v] : fields) o.insert(k, v);
  return o;
}

/**
 * One cloud "machine": the provider's startup script run on this computer in its own session,
 * with its own metadata service and a PATH where shutdown/poweroff only record that the machine
 * powered itself off (the instance is then ended in the emulator as the cloud would).
 */
struct FakeMachine {
  std::string id;
  fs::path dir;
  std::unique_ptr<FakeMetadata> imds;
  std::unique_ptr<SessionProcess> process;
  bool noticed = false;
  bool ended = false;

  bool boot(const std::string& script, const json& credentials) {
    fs::create_directories(dir / "bin");
    makeFakeNvidiaSmi(dir / "bin", "Tesla T4, 15360, 41");
    const std::string off = "#!/bin/sh\ncase \"$*\" in *+*) exit 0;; esac\n: > '" + (dir / "poweroff").string() + "'\n";
    writeText(dir / "bin" / "shutdown", off, true);
    writeText(dir / "bin" / "poweroff", off, true);
    if (!credentials.is_null()) writeText(dir / "imds" / "credentials.json", credentials.dump());
    imds = std::make_unique<FakeMetadata>(dir / "imds", std::string(cloud::local::localInstanceScript()));
    if (!imds->start()) return false;
    writeText(dir / "user-data.sh", script);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("SPOTWISE_AGENT_DIR"), QString::fromStdString((dir / "agent").string()));
    env.insert(QStringLiteral("SPOTWISE_IMDS_ENDPOINT"), QString::fromStdString(imds->endpoint()));
    env.insert(QStringLiteral("PATH"), QString::fromStdString((dir / "bin").string()) + QLatin1Char(':') + env.value(QStringLiteral("PATH")));
    for (const char* k : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"}) env.remove(QLatin1String(k));
    process = std::make_unique<SessionProcess>();
    return process->start(QStringLiteral("sh"), {QString::fromStdString((dir / "user-data.sh").string())}, env);
  }
  [[nodiscard]] bool poweredOff() const { return fs::exists(dir / "poweroff"); }
  std::string log() const { return readIfExists(dir / "agent" / "bootstrap.log"); }
};

/** The cloud side of one e2e run: what instances exist in the emulator, and how to end one. */
struct CloudSide {
  std::function<std::vector<json>()> instances;  ///< {"id", "live", "job", "attempt", "script"}
  std::function<void(const std::string& id, bool reclaim)> end;  ///< reclaim: spot reclaimed; else powered off
  json credentials;                                              ///< what the fake IMDS serves (AWS role)
};

struct LoopResult {
  bool succeeded = false;
  std::string why;
  std::int64_t noticeAtMs = 0;
  int machines = 0;
};

/**
 * Drives the controller (one tick every poll) and plays the cloud: boots a machine for every new
 * live instance, sends attempt 1 a preemption notice once it has checkpointed past `noticeAfterStep`,
 * ends each machine in the emulator once it powered itself off (reclaimed after a notice).
 */
LoopResult runJob(jobs::Runtime& rt, const std::string& jobId, CloudSide& cloud, const fs::path& machinesDir,
                  std::map<std::string, FakeMachine>& machines, int noticeAfterStep, double seconds,
                  const std::function<void(const ledger::JobRecord&)>& afterTick = {}) {
  LoopResult out;
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    auto tick = rt.controller->tick();
    if (!tick) {
      out.why = "tick: " + tick.error().message;
      return out;
    }
    for (const auto& e : tick->errors) qInfo("tick error: %s", e.c_str());
    for (const auto& t : tick->transitions) qInfo("%s", t.c_str());
    for (const auto& inst : cloud.instances()) {
      const std::string id = inst["id"];
      if (!inst["live"].get<bool>() || inst["job"] != jobId || machines.contains(id)) continue;
      auto& m = machines[id];
      m.id = id;
      m.dir = machinesDir / id;
      if (!m.boot(inst["script"].get<std::string>(), cloud.credentials)) {
        out.why = "cannot boot a machine for " + id;
        return out;
      }
      ++out.machines;
    }
    auto job = rt.ledger->job(jobId).value().value();
    if (afterTick) afterTick(job);
    for (auto& [id, m] : machines) {
      if (m.ended) continue;
      if (!m.noticed && out.noticeAtMs == 0 && job.currentAttempt == 1) {
        auto attempt = rt.ledger->attempt(jobId, 1).value();
        if (attempt && attempt->instanceId == id && attempt->checkpointStep >= noticeAfterStep) {
          m.imds->preempt(30);  // the spot instance-action notice: "terminate in 30 s"
          m.noticed = true;
          out.noticeAtMs = wallMs();
          qInfo("notice sent to %s at checkpoint step %lld", id.c_str(), static_cast<long long>(attempt->checkpointStep));
        }
      }
      if (m.poweredOff()) {
        cloud.end(id, m.noticed);
        m.ended = true;
      }
    }
    if (job.state == "Succeeded" || job.state == "Failed" || job.state == "Stopped" || job.state == "BudgetExceeded") {
      auto unconfirmed = rt.ledger->unconfirmedAttempts().value();
      if (std::ranges::none_of(unconfirmed, [&](const auto& a) { return a.jobId == jobId; })) {
        out.succeeded = job.state == "Succeeded";
        out.why = job.state + ": " + job.stateMessage;
        return out;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(rt.controller->config().pollIntervalMs));
  }
  out.why = "timed out in state " + rt.ledger->job(jobId).value().value().state;
  return out;
}

jobs::JobSpec exampleSpec(const std::string& provider, const std::string& region, const std::string& type,
                          const std::string& storage) {
  jobs::JobSpec s;
  s.name = "example-" + provider;
  s.offer = {provider, region, "", type, true, 0.2256, 0.526, "T4", 1};
  s.codeDir = sourceDir() / "resources" / "examples";
  s.command = "python3 train.py --steps " + std::to_string(kSteps) + " --step-seconds 0.02 --checkpoint-every " +
              std::to_string(kCheckpointEvery);
  s.storage = storage;
  s.budgetUsd = 5;
  s.graceSeconds = 5;
  s.checkpointSyncSeconds = 5;
  s.recovery.maxAttempts = 4;
  s.recovery.moveAfterPreemptions = 4;
  s.maxRuntimeSeconds = 3600;
  return s;
}

jobs::RuntimeOptions runtimeOptions(const fs::path& dir) {
  jobs::RuntimeOptions o;
  o.ledgerPath = dir / "ledger.sqlite";
  o.providers.localRoot = dir / "local";
  o.providers.environment = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };  // hermetic
  o.agent.heartbeatSeconds = 1;
  o.agent.pollSeconds = 1;
  o.agent.scratchDir = dir / "scratch";
  o.controller.pollIntervalMs = 400;
  o.controller.callTimeoutMs = 20'000;
  o.controller.seed = 7;
  return o;
}

void expectResumed(jobs::Runtime& rt, const std::string& jobId, const LoopResult& r) {
  const auto attempts = rt.ledger->attempts(jobId).value();
  QVERIFY2(attempts.size() == 2, std::to_string(attempts.size()).c_str());
  QCOMPARE(attempts[0].endCause, std::string("preempted"));
  QVERIFY(attempts[0].goneMs > 0);
  QVERIFY(attempts[1].goneMs > 0);
  QVERIFY(attempts[0].instanceId != attempts[1].instanceId);
  QVERIFY2(attempts[1].resumedFromStep >= kCheckpointEvery, std::to_string(attempts[1].resumedFromStep).c_str());
  QVERIFY(attempts[0].workLostSteps >= 0);
  const double latency = static_cast<double>(attempts[1].requestedMs - r.noticeAtMs) / 1000.0;
  qInfo("recovery latency: notice -> replacement launch request %.2f s (attempt 2 resumed from step %lld)", latency,
        static_cast<long long>(attempts[1].resumedFromStep));
  QVERIFY(latency > 0);
}

}  // namespace

class JobsCloudE2ETest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void awsPathInTheLab() {
    LabPeer moto(QStringLiteral("python3"), {labPeerScript("moto_peer.py")});
    SPOTWISE_REQUIRE_PEER(moto);
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    const QJsonValue roleCredentials = moto.command(cmd("instanceCredentials"));
    QVERIFY(roleCredentials.isObject());
    const json credentials = json::parse(QJsonDocument(roleCredentials.toObject()).toJson().toStdString());

    auto options = runtimeOptions(dir);
    options.controller.priceCheckEveryPolls = 3;
    options.providers.clouds.aws.endpoint = moto.value("endpoint");
    options.providers.clouds.aws.region = "us-east-1";
    options.providers.clouds.aws.regions = {"us-east-1", "us-west-2"};
    options.providers.clouds.aws.instanceProfile = moto.value("instanceProfile");
    // The app's keychain hands the user's keys to the registry; they never reach an instance.
    const std::string userKey = moto.value("accessKeyId");
    const std::string userSecret = moto.value("secretAccessKey");
    int asked = 0;
    options.providers.credentials = [&](std::string_view provider) -> Result<jobs::CloudSecrets> {
      ++asked;
      jobs::CloudSecrets s;
      if (provider == "aws") s.aws = auth::aws::AwsCredentials{userKey, userSecret, ""};
      return s;
    };
    auto rt = jobs::openRuntime(options);
    QVERIFY2(rt.ok(), rt ? "" : rt.error().message.c_str());
    auto& runtime = **rt;

    const auto spec = exampleSpec("aws", "us-east-1", "g4dn.xlarge", "s3://" + moto.value("bucket") + "/jobs");
    auto jobId = runtime.controller->submit(spec);
    QVERIFY2(jobId.ok(), jobId ? "" : jobId.error().message.c_str());

    CloudSide cloud;
    cloud.credentials = credentials;
    cloud.instances = [&] {
      std::vector<json> out;
      for (const auto& v : moto.command(cmd("instances")).toArray()) {
        const json i = json::parse(QJsonDocument(v.toObject()).toJson().toStdString());
        const auto& tags = i["tags"];
        out.push_back({{"id", i["id"]},
                       {"live", i["state"] == "running" || i["state"] == "pending"},
                       {"job", tags.value("spotwise-job", "")},
                       {"attempt", tags.value("spotwise-attempt", "")},
                       {"region", i["region"]},
                       {"script", i["userData"]}});
      }
      return out;
    };
    cloud.end = [&](const std::string& id, bool reclaim) {
      moto.command(cmd(reclaim ? "preempt" : "shutdown", {{QStringLiteral("id"), QString::fromStdString(id)}}));
    };
    std::map<std::string, FakeMachine> machines;
    // API calls of the controller per poll while the job runs: what it asks EC2 and S3 (the
    // machines only PUT status.json; the controller GETs it).
    const QString controllerCalls = QStringLiteral("Action=DescribeInstances|Action=DescribeSpotPriceHistory|^GET \\S*status\\.json");
    int runningTicks = 0, firstCount = -1, lastCount = 0;
    auto countCalls = [&](const ledger::JobRecord& job) {
      if (job.state != "Running" || job.currentAttempt != 2 || runningTicks >= 10) return;
      const int n = static_cast<int>(moto.requests(controllerCalls).size());
      if (firstCount < 0) firstCount = n;
      else ++runningTicks, lastCount = n;
    };
    const auto result = runJob(runtime, *jobId, cloud, dir / "machines", machines, 100, 150, countCalls);
    for (auto& [id, m] : machines) qInfo("machine %s: %s", id.c_str(), m.log().substr(0, 3000).c_str());
    QVERIFY2(result.succeeded, result.why.c_str());
    QCOMPARE(result.machines, 2);
    QVERIFY(asked >= 1);
    if (runningTicks > 0) {
      qInfo("controller API calls per poll, one running job on AWS: %.2f over %d polls (describe + status.json, "
            "DescribeSpotPriceHistory every %d polls)",
            static_cast<double>(lastCount - firstCount) / runningTicks, runningTicks, options.controller.priceCheckEveryPolls);
    }
    // The spot price was asked of EC2 (moto's DescribeSpotPriceHistory) for the attempt's zone and type.
    QVERIFY(!moto.requests(QStringLiteral("Action=DescribeSpotPriceHistory.*g4dn\\.xlarge")).isEmpty());
    // moto publishes a placeholder 0.00001 $/h dated 2006: in effect since each attempt's launch.
    const auto attempts = runtime.ledger->attempts(*jobId).value();
    QVERIFY(!attempts.empty() && attempts[0].priceChanges.size() == 1);
    for (const auto& a : attempts) {
      QVERIFY(a.priceChanges.size() <= 1);
      for (const auto& p : a.priceChanges) {
        QCOMPARE(p.pricePerHour, 0.00001);
        QCOMPARE(p.atMs, a.startMs);
      }
    }
    expectResumed(runtime, *jobId, result);

    // Attempt 2: same job id, its own attempt tag; nothing left running in moto.
    std::map<std::string, int> attemptsSeen;
    for (const auto& i : cloud.instances()) {
      if (i["job"] != *jobId) continue;
      ++attemptsSeen[i["attempt"].get<std::string>()];
      QVERIFY2(!i["live"].get<bool>(), i["id"].get<std::string>().c_str());
    }
    QCOMPARE(attemptsSeen, (std::map<std::string, int>{{"1", 1}, {"2", 1}}));
    // The model is in the bucket, written by the second machine.
    auto provider = runtime.providers->providerFor(spec);
    QVERIFY(provider.ok());
    auto model = (*provider)->storage().get("jobs/" + *jobId + "/result/model.bin", {});
    QVERIFY2(model.ok(), model ? "" : model.error().message.c_str());
    // Every S3 request the machines made was signed with the instance's key, none with the user's.
    int agentCalls = 0;
    for (const auto& r : moto.requests(QStringLiteral("checkpoints/"))) {
      const QString auth = r.toObject().value(QStringLiteral("headers")).toObject().value(QStringLiteral("Authorization")).toString();
      if (auth.contains(QString::fromStdString(credentials["AccessKeyId"].get<std::string>()))) ++agentCalls;
      QVERIFY2(!auth.contains(QString::fromStdString(userKey)) || !r.toObject().value(QStringLiteral("method")).toString().startsWith(QStringLiteral("PUT")),
               "an instance used the user's key");
    }
    QVERIFY2(agentCalls > 0, "no checkpoint traffic signed with the instance credentials");
  }

  void cliLaunchesOnMotoAndStops() {
    LabPeer moto(QStringLiteral("python3"), {labPeerScript("moto_peer.py")});
    SPOTWISE_REQUIRE_PEER(moto);
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    auto spec = exampleSpec("aws", "us-east-1", "g4dn.xlarge", "s3://" + moto.value("bucket") + "/cli");
    QVERIFY(jobs::saveJobSpec(spec, dir / "job.json").ok());
    const char* binDir = std::getenv("SPOTWISE_BINARY_DIR");
    const QString cli = QString::fromStdString((fs::path(binDir ? binDir : ".") / "app" / "spotwise-cli").string());
    QProcessEnvironment env;
    env.insert(QStringLiteral("PATH"), qEnvironmentVariable("PATH"));
    env.insert(QStringLiteral("HOME"), QString::fromStdString((dir / "home").string()));
    env.insert(QStringLiteral("SPOTWISE_LEDGER"), QString::fromStdString((dir / "ledger.sqlite").string()));
    env.insert(QStringLiteral("SPOTWISE_LOCAL_ROOT"), QString::fromStdString((dir / "local").string()));
    auto run = [&](const QProcessEnvironment& e, const QStringList& args, QString* output) {
      QProcess p;
      p.setProcessEnvironment(e);
      p.setProcessChannelMode(QProcess::MergedChannels);
      p.start(cli, args);
      if (!p.waitForFinished(60000)) p.kill();
      *output = QString::fromUtf8(p.readAll());
      return p.exitCode();
    };
    // Without credentials: a clear message, nothing recorded, nothing launched.
    QString out;
    QCOMPARE(run(env, {QStringLiteral("launch"), QString::fromStdString((dir / "job.json").string())}, &out), 1);
    QVERIFY2(out.contains(QStringLiteral("AWS: no credentials: set AWS_PROFILE")), qPrintable(out));
    run(env, {QStringLiteral("jobs"), QStringLiteral("--json")}, &out);
    QVERIFY2(out.contains(QStringLiteral("\"jobs\": []")), qPrintable(out));

    // Configured the way the AWS CLI is (keys and endpoint in the environment).
    env.insert(QStringLiteral("AWS_ACCESS_KEY_ID"), QString::fromStdString(moto.value("accessKeyId")));
    env.insert(QStringLiteral("AWS_SECRET_ACCESS_KEY"), QString::fromStdString(moto.value("secretAccessKey")));
    env.insert(QStringLiteral("AWS_REGION"), QStringLiteral("us-east-1"));
    env.insert(QStringLiteral("AWS_ENDPOINT_URL"), QString::fromStdString(moto.value("endpoint")));
    env.insert(QStringLiteral("SPOTWISE_AWS_REGIONS"), QStringLiteral("us-east-1,us-west-2"));
    env.insert(QStringLiteral("SPOTWISE_AWS_INSTANCE_PROFILE"), QString::fromStdString(moto.value("instanceProfile")));
    QProcess launch;
    launch.setProcessEnvironment(env);
    launch.setProcessChannelMode(QProcess::MergedChannels);
    launch.start(cli, {QStringLiteral("launch"), QString::fromStdString((dir / "job.json").string()), QStringLiteral("--poll"),
                       QStringLiteral("0.5")});
    QVERIFY(launch.waitForStarted(5000));
    QString jobId;
    std::string instance;
    QVERIFY2(waitFor([&] {
               launch.waitForReadyRead(100);
               if (jobId.isEmpty()) jobId = QString::fromUtf8(launch.peek(64)).section(QLatin1Char('\n'), 0, 0).trimmed();
               for (const auto& v : moto.command(cmd("instances")).toArray()) {
                 const auto o = v.toObject();
                 if (o.value(QStringLiteral("state")).toString() == QStringLiteral("running") &&
                     o.value(QStringLiteral("tags")).toObject().value(QStringLiteral("spotwise-job")).toString() == jobId) {
                   instance = o.value(QStringLiteral("id")).toString().toStdString();
                 }
               }
               return !instance.empty();
             }, 30),
             qPrintable(QString::fromUtf8(launch.readAll())));
    QCOMPARE(run(env, {QStringLiteral("stop"), jobId, QStringLiteral("--poll"), QStringLiteral("0.5")}, &out), 0);
    QVERIFY2(out.contains(QStringLiteral("Stopped")), qPrintable(out));
    QVERIFY(launch.waitForFinished(30000));
    QCOMPARE(launch.exitCode(), 1);  // the job did not succeed: it was stopped
    for (const auto& v : moto.command(cmd("instances")).toArray()) {
      QVERIFY2(v.toObject().value(QStringLiteral("state")).toString() == QStringLiteral("terminated"),
               qPrintable(v.toObject().value(QStringLiteral("id")).toString()));
    }
    run(env, {QStringLiteral("job"), QStringLiteral("show"), jobId}, &out);
    QVERIFY2(out.contains(QStringLiteral("stopped")) && out.contains(QString::fromStdString(instance)), qPrintable(out));
  }

  void azureStoragePath() {
    LabPeer arm(QStringLiteral("python3"), {labPeerScript("arm_server.py")});
    SPOTWISE_REQUIRE_PEER(arm);
    LabPeer azurite(QStringLiteral("python3"), {labPeerScript("azurite_peer.py")});
    SPOTWISE_REQUIRE_PEER(azurite);
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();

    // The user's container exists (the job never creates buckets).
    http::CurlHttpClient client;
    {
      cloud::azure::BlobSettings b;
      b.endpoint = azurite.value("endpoint");
      b.container = "spotwise-jobs";
      b.accountKey = auth::azure::StorageAccountKey{azurite.value("account"), azurite.value("key")};
      cloud::azure::BlobStore store(b, cloud::realTransport(client));
      QVERIFY(store.ensureContainer({}).ok());
    }

    auto options = runtimeOptions(dir);
    auto& z = options.providers.clouds.azure;
    z.armEndpoint = arm.value("endpoint");
    z.subscriptionId = arm.value("subscriptionId");
    z.location = "eastus";
    z.sshPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHNwb3R3aXNlLWxhYi1rZXktbm90LXVzZWQtZm9yLWxvZ2lu lab";
    std::string endpoint = azurite.value("endpoint");
    endpoint.replace(endpoint.rfind(azurite.value("account")), azurite.value("account").size(), "{account}");
    z.blobEndpoint = endpoint;
    options.providers.credentials = [&](std::string_view provider) -> Result<jobs::CloudSecrets> {
      jobs::CloudSecrets s;
      if (provider == "azure") {
        auth::azure::ServicePrincipal p;
        p.tenantId = arm.value("tenantId");
        p.clientId = arm.value("clientId");
        p.clientSecret = arm.value("clientSecret");
        p.authorityHost = arm.value("authorityHost");
        s.azure = p;
        s.azureStorageKeys[azurite.value("account")] = azurite.value("key");
      }
      return s;
    };
    auto rt = jobs::openRuntime(options);
    QVERIFY2(rt.ok(), rt ? "" : rt.error().message.c_str());
    auto& runtime = **rt;
    const auto spec = exampleSpec("azure", "eastus", "Standard_NC4as_T4_v3",
                                  "az://" + azurite.value("account") + "/spotwise-jobs/runs");
    auto jobId = runtime.controller->submit(spec);
    QVERIFY2(jobId.ok(), jobId ? "" : jobId.error().message.c_str());

    CloudSide cloud;
    cloud.instances = [&] {
      std::vector<json> out;
      for (const auto& v : arm.command(cmd("vms")).toArray()) {
        const json i = json::parse(QJsonDocument(v.toObject()).toJson().toStdString());
        out.push_back({{"id", i["name"]},
                       {"live", i["power"] == "running" || i["power"] == "starting"},
                       {"job", i["tags"].value("spotwise-job", "")},
                       {"attempt", i["tags"].value("spotwise-attempt", "")},
                       {"script", i["customData"]}});
      }
      return out;
    };
    cloud.end = [&](const std::string& id, bool reclaim) {
      const auto vms = cloud.instances();  // the controller may have deleted it already (it saw the agent's end)
      if (std::ranges::none_of(vms, [&](const json& v) { return v["id"] == id; })) return;
      arm.command(cmd(reclaim ? "evict" : "powerOff", {{QStringLiteral("name"), QString::fromStdString(id)}}));
    };
    std::map<std::string, FakeMachine> machines;
    const auto result = runJob(runtime, *jobId, cloud, dir / "machines", machines, 100, 150);
    for (auto& [id, m] : machines) qInfo("machine %s: %s", id.c_str(), m.log().substr(0, 3000).c_str());
    QVERIFY2(result.succeeded, result.why.c_str());
    QCOMPARE(result.machines, 2);
    expectResumed(runtime, *jobId, result);
    for (const auto& i : cloud.instances()) QVERIFY2(!i["live"].get<bool>(), i["id"].get<std::string>().c_str());
    // The checkpoints and the model are in Azurite, written through the SAS (no account key on the machine).
    auto provider = runtime.providers->providerFor(spec);
    QVERIFY(provider.ok());
    QVERIFY((*provider)->storage().get("runs/" + *jobId + "/result/model.bin", {}).ok());
    QVERIFY((*provider)->storage().get("runs/" + *jobId + "/checkpoints/LATEST", {}).ok());
    int sasWrites = 0;
    for (const auto& r : azurite.requests(QStringLiteral("^PUT .*checkpoints/.*sig="))) {
      QVERIFY(!r.toObject().value(QStringLiteral("headers")).toObject().contains(QStringLiteral("Authorization")));
      ++sasWrites;
    }
    QVERIFY2(sasWrites > 0, "no checkpoint written through the SAS");
    for (auto& [id, m] : machines) {
      QVERIFY(readIfExists(m.dir / "agent" / "config.json").find(azurite.value("key")) == std::string::npos);
    }
  }
};

QTEST_APPLESS_MAIN(JobsCloudE2ETest)
#include "JobsCloudE2ETest.moc"
