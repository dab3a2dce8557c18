#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include "TestSupport.h"
#include "core/cloud/Encoding.h"
#include "core/cloud/azure/ArmCompute.h"

using namespace spotwise;
using namespace spotwise::cloud;
using namespace spotwise::cloud::azure;

namespace {

ArmSettings settings() {
  ArmSettings s;
  s.subscriptionId = "sub";
  s.sshPublicKey = "ssh-ed25519 AAAA test";
  return s;
}

LaunchSpec sample() {
  LaunchSpec s;
  s.jobId = "job 42";
  s.attempt = 1;
  s.instanceType = "Standard_NC24ads_A100_v4";
  s.startupScript = "#!/bin/sh\necho hi\n";
  return s;
}

QJsonObject props(const std::string& body) {
  return QJsonDocument::fromJson(QByteArray::fromStdString(body)).object().value(QStringLiteral("properties")).toObject();
}

}  // namespace

class ArmBodyTest : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void spotVmThatLeavesNothingBehind() {
    const auto body = buildVmBody(sample(), settings(), "eastus", "/subscriptions/sub/x/subnets/default");
    QVERIFY(body.ok());
    const auto p = props(*body);
    QCOMPARE(p.value(QStringLiteral("priority")).toString(), QStringLiteral("Spot"));
    QCOMPARE(p.value(QStringLiteral("evictionPolicy")).toString(), QStringLiteral("Delete"));
    QCOMPARE(p.value(QStringLiteral("billingProfile")).toObject().value(QStringLiteral("maxPrice")).toDouble(), -1.0);
    QCOMPARE(base64Decode(p.value(QStringLiteral("osProfile")).toObject().value(QStringLiteral("customData")).toString().toStdString())
                 .value_or(""),
             sample().startupScript);
    const auto osDisk = p.value(QStringLiteral("storageProfile")).toObject().value(QStringLiteral("osDisk")).toObject();
    QCOMPARE(osDisk.value(QStringLiteral("deleteOption")).toString(), QStringLiteral("Delete"));
    const auto nic = p.value(QStringLiteral("networkProfile")).toObject().value(QStringLiteral("networkInterfaceConfigurations"))
                         .toArray().at(0).toObject().value(QStringLiteral("properties")).toObject();
    QCOMPARE(nic.value(QStringLiteral("deleteOption")).toString(), QStringLiteral("Delete"));
    const auto ip = nic.value(QStringLiteral("ipConfigurations")).toArray().at(0).toObject().value(QStringLiteral("properties")).toObject();
    QCOMPARE(ip.value(QStringLiteral("publicIPAddressConfiguration")).toObject().value(QStringLiteral("properties")).toObject()
                 .value(QStringLiteral("deleteOption")).toString(),
             QStringLiteral("Delete"));
    const auto image = p.value(QStringLiteral("storageProfile")).toObject().value(QStringLiteral("imageReference")).toObject();
    QCOMPARE(image.value(QStringLiteral("publisher")).toString(), QStringLiteral("microsoft-dsvm"));
    QCOMPARE(vmName("job 42", 1), std::string("spotwise-job-42-1"));
  }

  void capsAndOnDemand() {
    auto s = sample();
    s.maxPricePerHour = 1.25;
    QCOMPARE(props(*buildVmBody(s, settings(), "eastus", "id")).value(QStringLiteral("billingProfile")).toObject()
                 .value(QStringLiteral("maxPrice")).toDouble(),
             1.25);
    s.spot = false;
    const auto p = props(*buildVmBody(s, settings(), "eastus", "id"));
    QCOMPARE(p.value(QStringLiteral("priority")).toString(), QStringLiteral("Regular"));
    QVERIFY(!p.contains(QStringLiteral("evictionPolicy")));
    QVERIFY(!p.contains(QStringLiteral("billingProfile")));  // ARM refuses it on a regular VM
  }

  void badSpecsAreRefused() {
    auto s = sample();
    s.image = "ubuntu";
    QCOMPARE(buildVmBody(s, settings(), "eastus", "id").error().code, ErrorCode::InvalidArgument);
    s = sample();
    s.startupScript.assign(70000, 'x');
    QCOMPARE(buildVmBody(s, settings(), "eastus", "id").error().code, ErrorCode::InvalidArgument);
    auto noKey = settings();
    noKey.sshPublicKey.clear();
    QCOMPARE(buildVmBody(sample(), noKey, "eastus", "id").error().code, ErrorCode::FailedPrecondition);
  }

  void errorsAreMapped() {
    QCOMPARE(mapArmErrorCode("AllocationFailed", ErrorCode::Internal), ErrorCode::ResourceExhausted);
    QCOMPARE(mapArmErrorCode("SkuNotAvailable", ErrorCode::Internal), ErrorCode::ResourceExhausted);
    QCOMPARE(mapArmErrorCode("AuthorizationFailed", ErrorCode::Internal), ErrorCode::PermissionDenied);
    QCOMPARE(mapArmErrorCode("ExpiredAuthenticationToken", ErrorCode::Internal), ErrorCode::Unauthenticated);
    QCOMPARE(mapArmErrorCode("InvalidParameter", ErrorCode::Internal), ErrorCode::InvalidArgument);
    QCOMPARE(mapArmErrorCode("Brand-new", ErrorCode::Internal), ErrorCode::Internal);
    http::Response throttled{429, {{"Retry-After", "7"}}, R"({"error":{"code":"TooManyRequests","message":"Slow down."}})"};
    const Error e = armError("VirtualMachines.CreateOrUpdate", throttled);
    QCOMPARE(e.message, std::string("VirtualMachines.CreateOrUpdate: Slow down."));
    QCOMPARE(e.retryAfter.value_or(std::chrono::milliseconds(0)), std::chrono::milliseconds(7000));
    QVERIFY(isTransient(e));
    http::Response busy{503, {}, R"({"error":{"code":"AllocationFailed","message":"x"}})"};
    QVERIFY(isTransient(armError("op", busy)));  // a 5xx stays retryable whatever the code says
  }
};

QTEST_APPLESS_MAIN(ArmBodyTest)
#include "ArmBodyTest.moc"
