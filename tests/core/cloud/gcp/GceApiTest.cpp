#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include "TestSupport.h"
#include "core/cloud/gcp/GceApi.h"

using namespace spotwise;
using namespace spotwise::cloud;
using namespace spotwise::cloud::gcp;

namespace {

QJsonObject parse(const std::string& text) { return QJsonDocument::fromJson(QByteArray::fromStdString(text)).object(); }

LaunchSpec sample() {
  LaunchSpec s;
  s.jobId = "Job_42";
  s.attempt = 2;
  s.instanceType = "n1-standard-8+nvidia-tesla-t4x2";
  s.startupScript = "#!/bin/sh\necho hi\n";
  s.rootVolumeGiB = 120;
  s.extraTags = {{"Team", "ML Ops"}, {"9lives", "x"}};
  return s;
}

GceLaunchOptions where() {
  GceLaunchOptions o;
  o.project = "p";
  o.zone = "us-central1-a";
  o.serviceAccountEmail = "vm@p.iam.gserviceaccount.com";
  return o;
}

}  // namespace

class GceApiTest : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void insertBodyAsksForASpotVmThatDeletesItself() {
    const auto body = buildInsertBody(sample(), where());
    QVERIFY(body.ok());
    const auto j = parse(*body);
    QCOMPARE(j.value(QStringLiteral("name")).toString(), QStringLiteral("spotwise-job-42-2"));
    QCOMPARE(j.value(QStringLiteral("machineType")).toString(), QStringLiteral("zones/us-central1-a/machineTypes/n1-standard-8"));
    const auto s = j.value(QStringLiteral("scheduling")).toObject();
    QCOMPARE(s.value(QStringLiteral("provisioningModel")).toString(), QStringLiteral("SPOT"));
    QCOMPARE(s.value(QStringLiteral("instanceTerminationAction")).toString(), QStringLiteral("DELETE"));
    QCOMPARE(s.value(QStringLiteral("onHostMaintenance")).toString(), QStringLiteral("TERMINATE"));
    QCOMPARE(s.value(QStringLiteral("automaticRestart")).toBool(true), false);
    const auto gpu = j.value(QStringLiteral("guestAccelerators")).toArray().at(0).toObject();
    QCOMPARE(gpu.value(QStringLiteral("acceleratorType")).toString(), QStringLiteral("zones/us-central1-a/acceleratorTypes/nvidia-tesla-t4"));
    QCOMPARE(gpu.value(QStringLiteral("acceleratorCount")).toInt(), 2);
    const auto disk = j.value(QStringLiteral("disks")).toArray().at(0).toObject();
    QVERIFY(disk.value(QStringLiteral("autoDelete")).toBool());
    QCOMPARE(disk.value(QStringLiteral("initializeParams")).toObject().value(QStringLiteral("diskSizeGb")).toString(), QStringLiteral("120"));
    QVERIFY(disk.value(QStringLiteral("initializeParams")).toObject().value(QStringLiteral("sourceImage")).toString()
                .startsWith(QStringLiteral("projects/deeplearning-platform-release/global/images/family/")));
    const auto items = j.value(QStringLiteral("metadata")).toObject().value(QStringLiteral("items")).toArray();
    QCOMPARE(items.at(0).toObject().value(QStringLiteral("key")).toString(), QStringLiteral("startup-script"));
    QCOMPARE(items.at(0).toObject().value(QStringLiteral("value")).toString(), QStringLiteral("#!/bin/sh\necho hi\n"));
    QCOMPARE(items.at(1).toObject().value(QStringLiteral("key")).toString(), QStringLiteral("install-nvidia-driver"));
    const auto labels = j.value(QStringLiteral("labels")).toObject();
    QCOMPARE(labels.value(QStringLiteral("spotwise-job")).toString(), QStringLiteral("job_42"));
    QCOMPARE(labels.value(QStringLiteral("spotwise-attempt")).toString(), QStringLiteral("2"));
    QCOMPARE(labels.value(QStringLiteral("team")).toString(), QStringLiteral("ml-ops"));
    QVERIFY(!labels.contains(QStringLiteral("9lives")));  // a label key must start with a letter
    const auto sa = j.value(QStringLiteral("serviceAccounts")).toArray().at(0).toObject();
    QCOMPARE(sa.value(QStringLiteral("email")).toString(), QStringLiteral("vm@p.iam.gserviceaccount.com"));
    QVERIFY(sa.value(QStringLiteral("scopes")).toArray().contains(QStringLiteral("https://www.googleapis.com/auth/devstorage.read_write")));
  }

  void onDemandAndBuiltInGpus() {
    auto s = sample();
    s.spot = false;
    s.instanceType = "a2-highgpu-1g";
    const auto j = parse(*buildInsertBody(s, where()));
    QCOMPARE(j.value(QStringLiteral("scheduling")).toObject().value(QStringLiteral("provisioningModel")).toString(), QStringLiteral("STANDARD"));
    QVERIFY(!j.value(QStringLiteral("scheduling")).toObject().contains(QStringLiteral("instanceTerminationAction")));
    QVERIFY(!j.contains(QStringLiteral("guestAccelerators")));
  }

  void badSpecsAreRefused_data() {
    QTest::addColumn<QString>("type");
    QTest::addColumn<QString>("zone");
    QTest::newRow("gpu without count") << QStringLiteral("n1-standard-8+nvidia-tesla-t4") << QStringLiteral("us-central1-a");
    QTest::newRow("zero gpus") << QStringLiteral("n1-standard-8+nvidia-tesla-t4x0") << QStringLiteral("us-central1-a");
    QTest::newRow("no zone") << QStringLiteral("n1-standard-8") << QString();
    QTest::newRow("no machine") << QString() << QStringLiteral("us-central1-a");
  }
  void badSpecsAreRefused() {
    QFETCH(QString, type);
    QFETCH(QString, zone);
    auto s = sample();
    s.instanceType = type.toStdString();
    auto o = where();
    o.zone = zone.toStdString();
    const auto body = buildInsertBody(s, o);
    QVERIFY(!body.ok());
    QCOMPARE(body.error().code, ErrorCode::InvalidArgument);
    QVERIFY(body.error().message.starts_with("instances.insert: "));
  }

  void namesAndRequestIds() {
    QCOMPARE(instanceName("Job 7/β", 12), std::string("spotwise-job-7-12"));
    const std::string longId(200, 'a');
    const std::string a = instanceName(longId, 1);
    const std::string b = instanceName(longId + "b", 1);
    QVERIFY(a.size() <= 63 && b.size() <= 63);
    QVERIFY(a != b);  // cut names stay distinct
    QVERIFY(QRegularExpression(QStringLiteral("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")).match(QString::fromStdString(a)).hasMatch());
    const std::string id = requestIdFor("spotwise-job-1");
    QCOMPARE(requestIdFor("spotwise-job-1"), id);  // stable across retries and restarts
    QVERIFY(requestIdFor("spotwise-job-2") != id);
    QVERIFY(QRegularExpression(QStringLiteral("^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"))
                .match(QString::fromStdString(id)).hasMatch());
  }

  void parsesInstancesOperationsAndErrors() {
    const auto i = parseInstance(R"({"name":"spotwise-j-1","zone":"x/compute/v1/projects/p/zones/europe-west4-b",)" R"("machineType":"x/zones/europe-west4-b/machineTypes/a2-highgpu-1g","status":"STAGING",)" R"("labels":{"spotwise-job":"j","spotwise-attempt":"3"},"scheduling":{"provisioningModel":"SPOT"},)" R"("creationTimestamp":"2026-11-28T10:00:00.000-08:00"})");
    QVERIFY(i.ok());
    QCOMPARE(i->id, std::string("europe-west4-b/spotwise-j-1"));
    QCOMPARE(i->region, std::string("europe-west4"));
    QCOMPARE(i->instanceType, std::string("a2-highgpu-1g"));
    QCOMPARE(i->state, InstanceState::Pending);
    QCOMPARE(i->attempt, 3);
    QVERIFY(i->spot);
    QCOMPARE(mapStatus("RUNNING"), InstanceState::Running);
    QCOMPARE(mapStatus("STOPPING"), InstanceState::Stopping);
    QCOMPARE(mapStatus("TERMINATED"), InstanceState::Terminated);
    const auto op = parseOperation(R"({"name":"op-1","status":"DONE","zone":"z/us-central1-a","error":{"errors":[)" R"({"code":"ZONE_RESOURCE_POOL_EXHAUSTED","message":"The zone does not have enough resources."}]},)" R"("httpErrorStatusCode":503})", "instances.insert");
    QVERIFY(op.ok());
    QVERIFY(op->done && op->error);
    QCOMPARE(op->error->code, ErrorCode::ResourceExhausted);
    QCOMPARE(op->error->providerCode, std::string("ZONE_RESOURCE_POOL_EXHAUSTED"));
    QVERIFY(!isTransient(*op->error));  // another zone is needed, not the same call again
    http::Response r{409, {}, R"({"error":{"code":409,"message":"already exists","errors":[{"reason":"alreadyExists"}]}})"};
    const Error e = gceError("instances.insert", r);
    QCOMPARE(e.code, ErrorCode::FailedPrecondition);
    QCOMPARE(e.providerCode, std::string("alreadyExists"));
    QCOMPARE(e.message, std::string("instances.insert: already exists"));
    QVERIFY(!parseInstance("<html>").ok());
    const auto targets = parsePreemptedTargets(R"({"items":{"zones/us-central1-a":{"operations":[)" R"({"operationType":"compute.instances.preempted","zone":"x/zones/us-central1-a","targetLink":"x/instances/vm-1"},)" R"({"operationType":"insert","zone":"x/zones/us-central1-a","targetLink":"x/instances/vm-2"}]}}})");
    QVERIFY(targets.ok());
    QCOMPARE(*targets, std::vector<std::string>{"us-central1-a/vm-1"});
  }

  void rateLimitsAreTransientWhateverTheStatus() {
    // Google answers rate limits with 403 (and sometimes 429); the reason in the body decides.
    for (const char* reason : {"rateLimitExceeded", "userRateLimitExceeded"}) {
      const std::string body = std::string("{\"error\":{\"code\":403,\"message\":\"Rate Limit Exceeded\",\"errors\":"
                                           "[{\"domain\":\"usageLimits\",\"reason\":\"") + reason + "\"}]}}";
      http::Response r{403, {}, body};
      const Error e = gceError("instances.list", r);
      QCOMPARE(e.code, ErrorCode::ResourceExhausted);
      QCOMPARE(e.providerCode, std::string(reason));
      QVERIFY2(isTransient(e), reason);
    }
    // A quota (GPUs, CPUs) is not a rate: retrying the same call cannot help.
    http::Response quota{403, {}, R"({"error":{"code":403,"message":"Quota 'NVIDIA_T4_GPUS' exceeded.","errors":[{"reason":"quotaExceeded"}]}})"};
    QVERIFY(!isTransient(gceError("instances.insert", quota)));
    http::Response forbidden{403, {}, R"({"error":{"code":403,"message":"Required 'compute.instances.create' permission","errors":[{"reason":"forbidden"}]}})"};
    QCOMPARE(gceError("instances.insert", forbidden).code, ErrorCode::PermissionDenied);
    QVERIFY(!isTransient(gceError("instances.insert", forbidden)));
  }

  void imagesAreFamiliesOrPaths() {
    QCOMPARE(sourceImageUrl("").valueOr(""),
             "projects/deeplearning-platform-release/global/images/family/" + std::string(kDefaultImageFamily));
    QCOMPARE(sourceImageUrl("common-cu124-ubuntu-2204-py310").valueOr(""),
             std::string("projects/deeplearning-platform-release/global/images/family/common-cu124-ubuntu-2204-py310"));
    QCOMPARE(sourceImageUrl("ubuntu-os-accelerator-images/family/ubuntu-accelerator-2204-amd64-with-nvidia-550").valueOr(""),
             std::string("projects/ubuntu-os-accelerator-images/global/images/family/ubuntu-accelerator-2204-amd64-with-nvidia-550"));
    QCOMPARE(sourceImageUrl("my-project/my-image-1").valueOr(""), std::string("projects/my-project/global/images/my-image-1"));
    const std::string full = "https://www.googleapis.com/compute/v1/projects/p/global/images/family/f";
    QCOMPARE(sourceImageUrl(full).valueOr(""), full);
    for (const char* bad : {"a/b/c", "a//b", "/x", "x/", "family with space"}) {
      const auto r = sourceImageUrl(bad);
      QVERIFY2(!r.ok(), bad);
      QCOMPARE(r.error().code, ErrorCode::InvalidArgument);
    }
    // The launch options' image and the spec's override both go through it.
    LaunchSpec spec;
    spec.jobId = "j";
    spec.instanceType = "g2-standard-8";
    spec.image = "a/b/c";
    GceLaunchOptions options;
    options.project = "p";
    options.zone = "us-central1-a";
    QCOMPARE(buildInsertBody(spec, options).error().code, ErrorCode::InvalidArgument);
    spec.image.clear();
    options.image = "common-cu128-ubuntu-2204-nvidia-570";
    QVERIFY(buildInsertBody(spec, options).valueOr("").find("family/common-cu128-ubuntu-2204-nvidia-570") != std::string::npos);
  }
};

QTEST_APPLESS_MAIN(GceApiTest)
#include "GceApiTest.moc"
