#include "TestSupport.h"
#include "core/cloud/aws/Ec2Api.h"

using namespace spotwise;
using namespace spotwise::cloud;
using namespace spotwise::cloud::aws;

namespace {

std::string param(const QueryParams& params, std::string_view name) {
  for (const auto& [k, v] : params)
    if (k == name) return v;
  return "<absent>";
}

LaunchSpec sampleSpec() {
  LaunchSpec spec;
  spec.jobId = "job-42";
  spec.attempt = 3;
  spec.region = "us-east-1";
  spec.zone = "us-east-1b";
  spec.instanceType = "g4dn.xlarge";
  spec.maxPricePerHour = 0.25;
  spec.startupScript = "#!/bin/sh\necho hello\n";
  spec.rootVolumeGiB = 150;
  spec.instanceIdentity = "spotwise-job-42";
  spec.extraTags = {{"team", "ml"}};
  return spec;
}

Ec2Placement placement(std::string image, std::string device = "/dev/sda1", std::string subnet = {},
                       std::vector<std::string> groups = {}) {
  Ec2Placement p;
  p.imageId = std::move(image);
  p.rootDeviceName = std::move(device);
  p.subnetId = std::move(subnet);
  p.securityGroupIds = std::move(groups);
  return p;
}

std::string sample(std::string_view name) {
  return test::readText(test::sourceDir() / "tests/data/aws" / std::string(name));
}

}  // namespace

class Ec2ApiTest : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void runInstancesAsksForOneTimeSpotThatTerminates() {
    const auto params = buildRunInstances(sampleSpec(), placement("ami-0abc", "/dev/sda1"));
    QVERIFY(params.ok());
    QCOMPARE(param(*params, "Action"), std::string("RunInstances"));
    QCOMPARE(param(*params, "Version"), std::string("2016-11-15"));
    QCOMPARE(param(*params, "ImageId"), std::string("ami-0abc"));
    QCOMPARE(param(*params, "MinCount"), std::string("1"));
    QCOMPARE(param(*params, "MaxCount"), std::string("1"));
    QCOMPARE(param(*params, "ClientToken"), std::string("spotwise-job-42-3"));
    QCOMPARE(param(*params, "UserData"), std::string("IyEvYmluL3NoCmVjaG8gaGVsbG8K"));
    QCOMPARE(param(*params, "InstanceInitiatedShutdownBehavior"), std::string("terminate"));
    QCOMPARE(param(*params, "IamInstanceProfile.Name"), std::string("spotwise-job-42"));
    QCOMPARE(param(*params, "InstanceMarketOptions.MarketType"), std::string("spot"));
    QCOMPARE(param(*params, "InstanceMarketOptions.SpotOptions.SpotInstanceType"), std::string("one-time"));
    QCOMPARE(param(*params, "InstanceMarketOptions.SpotOptions.InstanceInterruptionBehavior"), std::string("terminate"));
    QCOMPARE(param(*params, "InstanceMarketOptions.SpotOptions.MaxPrice"), std::string("0.25"));
    QCOMPARE(param(*params, "BlockDeviceMapping.1.Ebs.VolumeSize"), std::string("150"));
    QCOMPARE(param(*params, "BlockDeviceMapping.1.Ebs.DeleteOnTermination"), std::string("true"));
    QCOMPARE(param(*params, "Placement.AvailabilityZone"), std::string("us-east-1b"));
    QCOMPARE(param(*params, "TagSpecification.1.ResourceType"), std::string("instance"));
    QCOMPARE(param(*params, "TagSpecification.1.Tag.1.Key"), std::string("spotwise-job"));
    QCOMPARE(param(*params, "TagSpecification.1.Tag.1.Value"), std::string("job-42"));
    QCOMPARE(param(*params, "TagSpecification.1.Tag.2.Key"), std::string("spotwise-attempt"));
    QCOMPARE(param(*params, "TagSpecification.1.Tag.2.Value"), std::string("3"));
    QCOMPARE(param(*params, "TagSpecification.1.Tag.3.Key"), std::string("team"));
    QCOMPARE(param(*params, "TagSpecification.2.ResourceType"), std::string("volume"));
    QCOMPARE(param(*params, "MetadataOptions.HttpTokens"), std::string("required"));
  }

  void runInstancesVariants() {
    auto spec = sampleSpec();
    spec.maxPricePerHour.reset();
    spec.instanceIdentity = "arn:aws:iam::123456789012:instance-profile/spotwise";
    auto params = buildRunInstances(spec, placement("ami-0abc", "/dev/xvda", "subnet-1", {"sg-1", "sg-2"}));
    QVERIFY(params.ok());
    QCOMPARE(param(*params, "InstanceMarketOptions.SpotOptions.MaxPrice"), std::string("<absent>"));
    QCOMPARE(param(*params, "IamInstanceProfile.Arn"), spec.instanceIdentity);
    QCOMPARE(param(*params, "SubnetId"), std::string("subnet-1"));
    QCOMPARE(param(*params, "Placement.AvailabilityZone"), std::string("<absent>"));  // the subnet fixes the zone
    QCOMPARE(param(*params, "SecurityGroupId.2"), std::string("sg-2"));
    QCOMPARE(param(*params, "BlockDeviceMapping.1.DeviceName"), std::string("/dev/xvda"));
    spec.spot = false;
    params = buildRunInstances(spec, placement("ami-0abc"));
    QVERIFY(params.ok());
    QCOMPARE(param(*params, "InstanceMarketOptions.MarketType"), std::string("<absent>"));
  }

  void runInstancesRejectsBadSpecs_data() {
    QTest::addColumn<QString>("what");
    QTest::addColumn<QString>("expected");
    QTest::newRow("no job") << QStringLiteral("job") << QStringLiteral("job id is empty");
    QTest::newRow("attempt 0") << QStringLiteral("attempt") << QStringLiteral("attempt must be 1");
    QTest::newRow("no type") << QStringLiteral("type") << QStringLiteral("no instance type");
    QTest::newRow("tiny disk") << QStringLiteral("disk") << QStringLiteral("root volume of 2 GiB");
    QTest::newRow("zero price") << QStringLiteral("price") << QStringLiteral("price cap must be positive");
    QTest::newRow("huge script") << QStringLiteral("script") << QStringLiteral("EC2 user data takes at most 16384");
    QTest::newRow("no image") << QStringLiteral("image") << QStringLiteral("no image id");
  }
  void runInstancesRejectsBadSpecs() {
    QFETCH(QString, what);
    QFETCH(QString, expected);
    auto spec = sampleSpec();
    Ec2Placement where = placement("ami-1");
    if (what == QLatin1String("job")) spec.jobId.clear();
    if (what == QLatin1String("attempt")) spec.attempt = 0;
    if (what == QLatin1String("type")) spec.instanceType.clear();
    if (what == QLatin1String("disk")) spec.rootVolumeGiB = 2;
    if (what == QLatin1String("price")) spec.maxPricePerHour = 0.0;
    if (what == QLatin1String("script")) spec.startupScript.assign(17000, 'x');
    if (what == QLatin1String("image")) where.imageId.clear();
    const auto params = buildRunInstances(spec, where);
    QVERIFY(!params.ok());
    QCOMPARE(params.error().code, ErrorCode::InvalidArgument);
    QVERIFY2(params.error().message.starts_with("RunInstances: "), params.error().message.c_str());
    QVERIFY2(params.error().message.find(expected.toStdString()) != std::string::npos, params.error().message.c_str());
  }

  void describeFiltersInsteadOfIdsSoUnknownIdsDoNotFail() {
    const auto byIds = buildDescribeInstancesByIds({"i-1", "i-2"}, "");
    QCOMPARE(param(byIds, "Filter.1.Name"), std::string("instance-id"));
    QCOMPARE(param(byIds, "Filter.1.Value.2"), std::string("i-2"));
    QCOMPARE(param(byIds, "NextToken"), std::string("<absent>"));
    const auto byTag = buildDescribeInstancesByTag("job-42", "tok");
    QCOMPARE(param(byTag, "Filter.1.Name"), std::string("tag:spotwise-job"));
    QCOMPARE(param(byTag, "Filter.1.Value.1"), std::string("job-42"));
    QCOMPARE(param(byTag, "NextToken"), std::string("tok"));
    const auto any = buildDescribeInstancesByTag("", "");
    QCOMPARE(param(any, "Filter.1.Name"), std::string("tag-key"));
    QCOMPARE(param(any, "Filter.1.Value.1"), std::string("spotwise-job"));
    QCOMPARE(param(buildTerminateInstances({"i-9"}), "InstanceId.1"), std::string("i-9"));
  }

  void parsesRecordedRunInstances() {
    const auto page = parseInstances(sample("run-instances.xml"), "RunInstances", "us-east-1");
    QVERIFY2(page.ok(), page.ok() ? "" : page.error().message.c_str());
    QCOMPARE(page->instances.size(), std::size_t{1});
    const auto& i = page->instances[0];
    QVERIFY(i.id.starts_with("i-"));
    QCOMPARE(i.state, InstanceState::Pending);
    QCOMPARE(i.jobId, std::string("job-42"));
    QCOMPARE(i.attempt, 2);
    QCOMPARE(i.instanceType, std::string("g4dn.xlarge"));
    QCOMPARE(i.zone, std::string("us-east-1b"));
    QVERIFY(i.spot);
    QVERIFY(i.launchedAtUnix > 1700000000);
  }

  void parsesRecordedDescribeWithPreemption() {
    const auto page = parseInstances(sample("describe-instances.xml"), "DescribeInstances", "us-east-1");
    QVERIFY(page.ok());
    QCOMPARE(page->instances.size(), std::size_t{2});
    const auto& preempted = page->instances[0];
    QCOMPARE(preempted.state, InstanceState::Terminated);
    QCOMPARE(preempted.endReason, EndReason::SpotInterruption);
    QVERIFY(preempted.stateMessage.find("Spot instance termination") != std::string::npos);
    const auto& onDemand = page->instances[1];
    QCOMPARE(onDemand.state, InstanceState::Running);
    QCOMPARE(onDemand.endReason, EndReason::None);
    QCOMPARE(onDemand.jobId, std::string("job-43"));
    QVERIFY(!onDemand.spot);
  }

  void anInstanceWithoutAnIdIsRefused() {
    // Found by CloudXmlFuzzer: an instance item with its instanceId removed was read as an instance with
    // a blank ID, which the supervisor could neither match to a job nor terminate.
    for (const auto& [file, operation] : {std::pair{"run-instances.xml", "RunInstances"}, std::pair{"describe-instances.xml", "DescribeInstances"}}) {
      std::string xml = sample(file);
      const auto start = xml.find("<instanceId>");
      QVERIFY(start != std::string::npos);
      xml.erase(start, xml.find("</instanceId>", start) + std::string_view("</instanceId>").size() - start);
      const auto page = parseInstances(xml, operation, "us-east-1");
      QVERIFY2(!page.ok(), file);
      QCOMPARE(page.error().message, std::string(operation) + ": an instance in the response has no instanceId");
    }
  }

  void mapsStatesAndReasons() {
    QCOMPARE(mapInstanceState("pending"), InstanceState::Pending);
    QCOMPARE(mapInstanceState("running"), InstanceState::Running);
    QCOMPARE(mapInstanceState("shutting-down"), InstanceState::Stopping);
    QCOMPARE(mapInstanceState("stopped"), InstanceState::Stopping);
    QCOMPARE(mapInstanceState("terminated"), InstanceState::Terminated);
    QCOMPARE(mapStateReason("Server.SpotInstanceTermination"), EndReason::SpotInterruption);
    QCOMPARE(mapStateReason("Client.UserInitiatedShutdown"), EndReason::User);
    QCOMPARE(mapStateReason("Client.InstanceInitiatedShutdown"), EndReason::User);
    QCOMPARE(mapStateReason("Server.InsufficientInstanceCapacity"), EndReason::Capacity);
    QCOMPARE(mapStateReason("Server.InternalError"), EndReason::Error);
    QCOMPARE(mapStateReason("Something.New"), EndReason::Unknown);
  }

  void parsesInstanceTypesWithGpus() {
    const auto page = parseInstanceTypes(sample("describe-instance-types.xml"));
    QVERIFY(page.ok());
    QCOMPARE(page->types.size(), std::size_t{2});
    const auto& g4 = page->types[0];
    QCOMPARE(g4.instanceType, std::string("g4dn.xlarge"));
    QCOMPARE(g4.vcpus, 4);
    QCOMPARE(g4.gpus.size(), std::size_t{1});
    QCOMPARE(g4.gpus[0].name, std::string("T4"));
    QCOMPARE(g4.gpus[0].count, 1);
    QCOMPARE(g4.gpus[0].memoryMiB, std::int64_t{16384});
    QVERIFY(g4.spotSupported);
    QCOMPARE(page->types[1].gpus[0].name, std::string("A100"));
    QCOMPARE(page->types[1].gpus[0].count, 8);
  }

  void parsesSpotPriceHistory() {
    const auto page = parseSpotPriceHistory(sample("describe-spot-price-history.xml"));
    QVERIFY(page.ok());
    QVERIFY(!page->prices.empty());
    QCOMPARE(page->prices[0].instanceType, std::string("g4dn.xlarge"));
    QCOMPARE(page->prices[0].zone, std::string("us-east-1a"));
    QCOMPARE(page->prices[0].pricePerHour, 0.00001);
    QVERIFY(page->prices[0].timestampUnix > 0);
    const auto bad = parseSpotPriceHistory(
        "<R><spotPriceHistorySet><item><instanceType>x</instanceType><spotPrice>cheap</spotPrice></item>"
        "</spotPriceHistorySet></R>");
    QVERIFY(!bad.ok());
    QCOMPARE(bad.error().code, ErrorCode::DataLoss);
  }

  void zoneIdsAreToldFromZoneNames_data() {
    QTest::addColumn<QString>("zone");
    QTest::addColumn<bool>("isId");
    QTest::newRow("id") << "use1-az6" << true;
    QTest::newRow("local zone id") << "usw2-lax1-az1" << true;
    QTest::newRow("two-digit id") << "apne1-az14" << true;
    QTest::newRow("name") << "us-east-1a" << false;
    QTest::newRow("local zone name") << "us-west-2-lax-1a" << false;
    QTest::newRow("no digits") << "use1-az" << false;
    QTest::newRow("letters after az") << "use1-azx" << false;
    QTest::newRow("bare suffix") << "-az1" << false;
    QTest::newRow("empty") << "" << false;
  }
  void zoneIdsAreToldFromZoneNames() {
    QFETCH(QString, zone);
    QFETCH(bool, isId);
    QCOMPARE(isAvailabilityZoneId(zone.toStdString()), isId);
  }

  void aZoneIdIsSentAsAvailabilityZoneId() {
    // The catalog keys AWS zones by ID (the same physical zone in every account); EC2 takes either form.
    auto spec = sampleSpec();
    spec.zone = "use1-az6";
    auto params = buildRunInstances(spec, placement("ami-0abc"));
    QVERIFY(params.ok());
    QCOMPARE(param(*params, "Placement.AvailabilityZoneId"), std::string("use1-az6"));
    QCOMPARE(param(*params, "Placement.AvailabilityZone"), std::string("<absent>"));
    spec.zone = "us-east-1c";
    params = buildRunInstances(spec, placement("ami-0abc"));
    QCOMPARE(param(*params, "Placement.AvailabilityZone"), std::string("us-east-1c"));
    QCOMPARE(param(*params, "Placement.AvailabilityZoneId"), std::string("<absent>"));
    const auto history = buildDescribeSpotPriceHistory({"g5.xlarge"}, "use1-az6", 0, "");
    QCOMPARE(param(history, "AvailabilityZoneId"), std::string("use1-az6"));
    QCOMPARE(param(history, "AvailabilityZone"), std::string("<absent>"));
  }

  void parsesAvailabilityZones() {
    const auto zones = parseAvailabilityZones(sample("describe-availability-zones.xml"));
    QVERIFY(zones.ok());
    QCOMPARE(zones->size(), std::size_t{6});
    QCOMPARE(zones->front().name, std::string("us-east-1a"));
    QCOMPARE(zones->front().id, std::string("use1-az6"));
    QCOMPARE(zones->at(2).name, std::string("us-east-1c"));
    QCOMPARE(zones->at(2).id, std::string("use1-az2"));
    const auto bad = parseAvailabilityZones("<DescribeAvailabilityZonesResponse/>");
    QVERIFY(!bad.ok());
    QVERIFY2(bad.error().message.find("availabilityZoneInfo") != std::string::npos, bad.error().message.c_str());
  }

  void spotPricesCarryTheirZoneIdWhenSent() {
    // The current API sends availabilityZoneId with each item (older recordings, like moto's, do not).
    const auto page = parseSpotPriceHistory(
        "<DescribeSpotPriceHistoryResponse><spotPriceHistorySet><item><instanceType>g5.xlarge</instanceType>"
        "<productDescription>Linux/UNIX</productDescription><spotPrice>0.4512</spotPrice>"
        "<timestamp>2026-11-28T10:00:00.000Z</timestamp><availabilityZone>us-east-1a</availabilityZone>"
        "<availabilityZoneId>use1-az6</availabilityZoneId></item></spotPriceHistorySet></DescribeSpotPriceHistoryResponse>");
    QVERIFY(page.ok());
    QCOMPARE(page->prices.at(0).zone, std::string("us-east-1a"));
    QCOMPARE(page->prices.at(0).zoneId, std::string("use1-az6"));
    QVERIFY(parseSpotPriceHistory(sample("describe-spot-price-history.xml"))->prices.at(0).zoneId.empty());
  }

  void rootDeviceFromDescribeImages() {
    const std::string xml = sample("describe-images.xml");
    const auto root = parseXml(xml, "t");
    QVERIFY(root.ok());
    const std::string id = root->textAt("imagesSet/item/imageId");
    QCOMPARE(parseRootDeviceName(xml, id).valueOr(""), root->textAt("imagesSet/item/rootDeviceName"));
    QCOMPARE(parseRootDeviceName(xml, "ami-nope").error().code, ErrorCode::NotFound);
  }

  void mapsEc2Errors_data() {
    QTest::addColumn<QString>("code");
    QTest::addColumn<int>("status");
    QTest::addColumn<int>("expected");
    QTest::addColumn<bool>("transient");
    QTest::newRow("capacity") << QStringLiteral("InsufficientInstanceCapacity") << 500 << int(ErrorCode::ResourceExhausted) << false;
    QTest::newRow("price") << QStringLiteral("SpotMaxPriceTooLow") << 400 << int(ErrorCode::FailedPrecondition) << false;
    QTest::newRow("spot count") << QStringLiteral("MaxSpotInstanceCountExceeded") << 400 << int(ErrorCode::ResourceExhausted) << false;
    QTest::newRow("vcpu") << QStringLiteral("VcpuLimitExceeded") << 400 << int(ErrorCode::ResourceExhausted) << false;
    QTest::newRow("unauthorized") << QStringLiteral("UnauthorizedOperation") << 403 << int(ErrorCode::PermissionDenied) << false;
    QTest::newRow("auth") << QStringLiteral("AuthFailure") << 401 << int(ErrorCode::Unauthenticated) << false;
    QTest::newRow("ami missing") << QStringLiteral("InvalidAMIID.NotFound") << 400 << int(ErrorCode::NotFound) << false;
    QTest::newRow("ami malformed") << QStringLiteral("InvalidAMIID.Malformed") << 400 << int(ErrorCode::InvalidArgument) << false;
    QTest::newRow("throttled") << QStringLiteral("RequestLimitExceeded") << 503 << int(ErrorCode::ResourceExhausted) << true;
    QTest::newRow("internal") << QStringLiteral("InternalError") << 500 << int(ErrorCode::Unavailable) << true;
  }
  void mapsEc2Errors() {
    QFETCH(QString, code);
    QFETCH(int, status);
    QFETCH(int, expected);
    QFETCH(bool, transient);
    const std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>" +
                             code.toStdString() +
                             "</Code><Message>Provider says &lt;no&gt;.</Message></Error></Errors>"
                             "<RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>";
    const Error e = ec2Error("RunInstances", status, body);
    QCOMPARE(int(e.code), expected);
    QCOMPARE(e.providerCode, code.toStdString());
    QCOMPARE(e.message, std::string("RunInstances: Provider says <no>."));
    QCOMPARE(e.httpStatus.value_or(0), status);
    QCOMPARE(isTransient(e), transient);
  }

  void mapsRecordedMotoErrorAndNonXml() {
    const Error ami = ec2Error("RunInstances", 400, sample("error-invalid-ami.xml"));
    QCOMPARE(ami.providerCode, std::string("InvalidAMIID.NotFound"));
    QVERIFY(ami.message.find("does not exist") != std::string::npos);
    const Error html = ec2Error("DescribeInstances", 503, "<html><body>Service Unavailable</body></html>");
    QCOMPARE(html.code, ErrorCode::Unavailable);
    QVERIFY(isTransient(html));
    QVERIFY(html.message.starts_with("DescribeInstances: HTTP 503"));
    const auto garbled = parseInstances("<DescribeInstancesResponse><reservationSet><item>", "DescribeInstances", "r");
    QVERIFY(!garbled.ok());
    QCOMPARE(garbled.error().code, ErrorCode::Unavailable);
  }
};

QTEST_APPLESS_MAIN(Ec2ApiTest)
#include "Ec2ApiTest.moc"
