// The refresh's progress per source: throttled to about one report per 1 % of each file, and started
// over for each file (AWS on-demand downloads one offer file per region), against a real loopback server.
#include <QSignalSpy>
#include <QTemporaryDir>

#include <nlohmann/json.hpp>

#include "HttpFixture.h"
#include "LoopbackServer.h"
#include "TestSupport.h"
#include "core/http/CurlHttpClient.h"
#include "ui/prices/RefreshController.h"

using namespace spotwise;
using namespace spotwise::ui;
using pricing::sources::FetchProgress;

class RefreshControllerTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void throttlePassesOnePerPercentAndStartsOverForANewFile() {
    ProgressThrottle throttle;
    int passed = 0;
    // A 1,000,000-byte file in 1,000-byte steps: the first report (1,000), then 11,000, 21,000, … 991,000
    // (one per 10,000 bytes: 99), and the end.
    for (std::uint64_t done = 1000; done <= 1000000; done += 1000) passed += throttle.pass("aws-offer", {done, 1000000, "bytes"}) ? 1 : 0;
    QCOMPARE(passed, 101);
    // The next region's file, smaller than the first: its reports move from its start, not from 1,000,000.
    QVERIFY(throttle.pass("aws-offer", {1000, 500000, "bytes"}));
    QVERIFY(!throttle.pass("aws-offer", {5000, 500000, "bytes"}));
    QVERIFY(throttle.pass("aws-offer", {6000, 500000, "bytes"}));
    QVERIFY(throttle.pass("aws-offer", {500000, 500000, "bytes"}));
    // A retry of the same file starts over too; another source counts on its own.
    QVERIFY(throttle.pass("aws-offer", {2000, 500000, "bytes"}));
    QVERIFY(throttle.pass("azure-retail", {1, 0, "pages"}));
    QVERIFY(throttle.pass("azure-retail", {2, 0, "pages"}));
    // Unknown size: one per MiB.
    QVERIFY(throttle.pass("aws-spot-feed", {10, 0, "bytes"}));
    QVERIFY(!throttle.pass("aws-spot-feed", {1000000, 0, "bytes"}));
    QVERIFY(throttle.pass("aws-spot-feed", {10 + (1u << 20), 0, "bytes"}));
  }

  // Two AWS regions, the second's offer file half the first's size: its progress must move while it downloads.
  void secondRegionsProgressMovesDuringItsDownload() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    test::LoopbackServer server = test::LoopbackServer::httpFixture();
    QVERIFY2(server.running(), "the fixture server (python3) did not start");
    const auto script = [&](const std::string& path, const nlohmann::json& steps) { test::scriptAnswers(server, path, steps); };
    // The real offer file excerpt, padded with JSON whitespace to 2 MB and 1 MB (still a valid offer file).
    const std::string offer = test::readText(test::sourceDir() / "tests/data/pricing/aws/derived_us-east-2_p3.8xlarge_linux.json");
    const auto padded = [&](std::size_t size) { return "{" + std::string(size - offer.size(), ' ') + offer.substr(1); };
    const std::string first = padded(2000000), second = padded(1000000);
    script("/aws/region_index.json",
           {{{"status", 200},
             {"body", nlohmann::json{{"regions", {{"us-east-2", {{"currentVersionUrl", "/aws/us-east-2.json"}}},
                                                  {"us-west-2", {{"currentVersionUrl", "/aws/us-west-2.json"}}}}}}
                          .dump()}}});
    // Sent 64 KiB at a time, 5 ms apart, so that the download is seen in progress (on loopback it would
    // otherwise arrive in one or two reads).
    script("/aws/us-east-2.json", {{{"status", 200}, {"body", first}, {"chunk", 65536}, {"chunk_delay_ms", 5}}});
    script("/aws/us-west-2.json", {{{"status", 200}, {"body", second}, {"chunk", 65536}, {"chunk_delay_ms", 5}}});
    for (const char* path : {"/aws/spot.js", "/aws/advisor.json", "/azure/prices"}) script(path, {{{"status", 404}, {"body", "no"}}});
    // GCP has no API key here: skipped.
    auto config = test::refreshOn(server, {"us-east-2", "us-west-2"}, dir.filePath(QStringLiteral("cache")).toStdString());
    config.settings.timeout = std::chrono::seconds(20);

    RefreshController controller;
    controller.setConfig(config, dir.filePath(QStringLiteral("prices.sqlite")));
    QSignalSpy progress(&controller, &RefreshController::sourceProgress);
    std::optional<RefreshOutcome> outcome;
    connect(&controller, &RefreshController::finished, this, [&](const RefreshOutcome& o) { outcome = o; });
    controller.start(pricing::Snapshot{});
    QTRY_VERIFY_WITH_TIMEOUT(outcome.has_value(), 30000);
    const auto aws = std::ranges::find_if(outcome->sources, [](const auto& s) { return s.sourceId == "aws-offer"; });
    QVERIFY(aws != outcome->sources.end());
    QVERIFY2(aws->state == pricing::SourceOutcome::State::Fresh, aws->error.message.c_str());
    int firstMid = 0, secondMid = 0;
    qint64 secondLast = 0;
    bool ordered = true;
    for (const auto& args : progress) {
      if (args.at(0).toString() != QLatin1String("aws-offer")) continue;
      const qint64 done = args.at(1).toLongLong(), total = args.at(2).toLongLong();
      QCOMPARE(args.at(3).toString(), QStringLiteral("bytes"));
      if (total == static_cast<qint64>(first.size()) && done < total) ++firstMid;
      if (total == static_cast<qint64>(second.size())) {
        if (done < total) ++secondMid;
        ordered = ordered && done >= secondLast;
        secondLast = done;
      }
    }
    QVERIFY2(firstMid > 0, "no progress reported during the first region's download");
    QVERIFY2(secondMid > 0, "no progress reported during the second region's download");
    QVERIFY(ordered);
    QCOMPARE(secondLast, static_cast<qint64>(second.size()));
  }
};

QTEST_GUILESS_MAIN(RefreshControllerTest)
#include "RefreshControllerTest.moc"
