// Every EC2 request Spotwise builds, checked against botocore's EC2 service model: each
// parameter exists with the right shape, botocore's validator accepts the input, and botocore's
// own serializer produces exactly the parameters we send.

#include <QJsonArray>

#include "LabPeer.h"
#include "core/cloud/aws/Ec2Api.h"

using namespace spotwise;
using namespace spotwise::cloud;
using namespace spotwise::cloud::aws;

namespace {

QJsonObject request(std::string_view action, const QueryParams& params) {
  QJsonArray list;
  for (const auto& [k, v] : params) list.append(QJsonArray{QString::fromStdString(k), QString::fromStdString(v)});
  return {{QStringLiteral("action"), QString::fromUtf8(action.data(), static_cast<qsizetype>(action.size()))},
          {QStringLiteral("params"), list}};
}

/** Runs the checker; returns its results array (empty and a failed QVERIFY when it cannot run). */
QJsonObject check(const QJsonArray& requests, QString* why) {
  QProcess p;
  p.start(QStringLiteral("python3"), {test::labPeerScript("check_ec2_params.py")});
  if (!p.waitForStarted(10000)) {
    *why = QStringLiteral("python3 not found");
    return {};
  }
  p.write(QJsonDocument(requests).toJson());
  p.closeWriteChannel();
  p.waitForFinished(60000);
  const auto doc = QJsonDocument::fromJson(p.readAllStandardOutput());
  if (p.exitCode() != 0 || !doc.isObject()) {
    *why = QStringLiteral("botocore checker failed: ") + QString::fromUtf8(p.readAllStandardError().right(1500));
    return {};
  }
  return doc.object();
}

}  // namespace

class Ec2ModelTest : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void everyRequestMatchesBotocoresModel() {
    LaunchSpec spec;
    spec.jobId = "job-model";
    spec.attempt = 2;
    spec.zone = "us-east-1c";
    spec.instanceType = "p4d.24xlarge";
    spec.maxPricePerHour = 12.5;
    spec.startupScript = "#!/bin/sh\nexec /opt/spotwise/agent\n";
    spec.instanceIdentity = "spotwise-instance";
    spec.extraTags = {{"owner", "lab"}};
    Ec2Placement placement;
    placement.imageId = "ami-0123456789abcdef0";
    auto withSubnet = placement;
    withSubnet.subnetId = "subnet-1";
    withSubnet.securityGroupIds = {"sg-1", "sg-2"};
    auto byZoneId = spec;  // a catalog offer's zone: an ID, sent as Placement.AvailabilityZoneId
    byZoneId.zone = "use1-az6";
    auto onDemand = spec;
    onDemand.spot = false;
    onDemand.maxPricePerHour.reset();
    onDemand.instanceIdentity = "arn:aws:iam::123456789012:instance-profile/x";

    QJsonArray requests{
        request("RunInstances", *buildRunInstances(spec, placement)),
        request("RunInstances", *buildRunInstances(spec, withSubnet)),
        request("RunInstances", *buildRunInstances(onDemand, placement)),
        request("RunInstances", *buildRunInstances(byZoneId, placement)),
        request("DescribeInstances", buildDescribeInstancesByIds({"i-1", "i-2", "i-3"}, "")),
        request("DescribeInstances", buildDescribeInstancesByTag("job-model", "token-2")),
        request("DescribeInstances", buildDescribeInstancesByTag("", "")),
        request("TerminateInstances", buildTerminateInstances({"i-1", "i-2"})),
        request("DescribeImages", buildDescribeImages("ami-0123456789abcdef0")),
        request("DescribeInstanceTypes", buildDescribeInstanceTypes({"g4dn.xlarge", "p5.48xlarge"}, "")),
        request("DescribeInstanceTypes", buildDescribeInstanceTypes({}, "next")),
        request("DescribeSpotPriceHistory", buildDescribeSpotPriceHistory({"g5.xlarge"}, "us-east-1a", 1764000000, "")),
        request("DescribeSpotPriceHistory", buildDescribeSpotPriceHistory({"g5.xlarge"}, "use1-az6", 1764000000, "")),
        request("DescribeAvailabilityZones", buildDescribeAvailabilityZones()),
    };
    QString why;
    const auto out = check(requests, &why);
    if (out.isEmpty()) {
      if (test::inCi()) QFAIL(qPrintable(why));
      QSKIP(qPrintable(why));
    }
    qInfo("checked against botocore %s, EC2 API %s", qPrintable(out.value(QStringLiteral("botocore")).toString()),
          qPrintable(out.value(QStringLiteral("apiVersion")).toString()));
    const auto results = out.value(QStringLiteral("results")).toArray();
    QCOMPARE(results.size(), requests.size());
    for (int i = 0; i < results.size(); ++i) {
      const auto errors = results[i].toObject().value(QStringLiteral("errors")).toArray();
      QString all;
      for (const auto& e : errors) all += e.toString() + QLatin1Char('\n');
      QVERIFY2(errors.isEmpty(), qPrintable(QStringLiteral("request %1: %2").arg(i).arg(all)));
    }
  }

  void theCheckerCatchesMistakes() {
    // The same check must fail on what a careless builder would send.
    QueryParams bad = *buildRunInstances(
        [] {
          LaunchSpec s;
          s.jobId = "j";
          s.instanceType = "g4dn.xlarge";
          return s;
        }(),
        [] {
          Ec2Placement p;
          p.imageId = "ami-1";
          return p;
        }());
    bad.emplace_back("TagSpecifications.3.ResourceType", "instance");      // plural: not the wire name
    bad.emplace_back("InstanceMarketOptions.SpotOptions.SpotInstanceType", "one-time");  // twice
    bad.emplace_back("BlockDeviceMapping.1.Ebs.Iops", "lots");              // not an integer
    QString why;
    const auto out = check({request("RunInstances", bad),
                            request("DescribeInstances", {{"Filter.1.Name", "tag:x"}, {"Filter.3.Value.1", "y"}})},
                           &why);
    if (out.isEmpty()) {
      if (test::inCi()) QFAIL(qPrintable(why));
      QSKIP(qPrintable(why));
    }
    const auto results = out.value(QStringLiteral("results")).toArray();
    const QString first = QString::fromUtf8(QJsonDocument(results[0].toObject().value(QStringLiteral("errors")).toArray()).toJson());
    QVERIFY2(first.contains(QStringLiteral("TagSpecifications")), qPrintable(first));
    QVERIFY2(first.contains(QStringLiteral("given twice")), qPrintable(first));
    QVERIFY2(first.contains(QStringLiteral("not an integer")), qPrintable(first));
    QVERIFY(!results[1].toObject().value(QStringLiteral("errors")).toArray().isEmpty());
  }
};

QTEST_APPLESS_MAIN(Ec2ModelTest)
#include "Ec2ModelTest.moc"
