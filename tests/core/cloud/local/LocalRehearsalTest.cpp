// Preemption rehearsal on the Local provider: real process trees per instance, a folder bucket, the loopback
// metadata service and the real agent rendered by core/agent, running the example workload.

#include <QElapsedTimer>
#include <QProcessEnvironment>
#include <QTest>

#include "LocalJobFixture.h"

using namespace spotwise;
using namespace spotwise::test;
using namespace spotwise::cloud;

class LocalRehearsalTest : public QObject, public LocalJobFixture {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { QVERIFY(m_tmp.isValid()); }

  void exampleWithThreePreemptionsIsBitIdenticalToAnUninterruptedRun() {
    const std::string args = "--steps 400 --step-seconds 0.025 --checkpoint-every 20";
    // The uninterrupted reference run.
    const fs::path refDir = root() / "reference";
    fs::create_directories(refDir);
    {
      SessionProcess ref;
      QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
      env.insert(QStringLiteral("SPOTWISE_RESULT_DIR"), QString::fromStdString(refDir.string()));
      QVERIFY(ref.start(QStringLiteral("python3"),
                        QStringList{QString::fromStdString((sourceDir() / "resources" / "examples" / "train.py").string())} +
                            // The same run at full speed: the step time changes nothing in the model.
                            QString::fromStdString(args + " --step-seconds 0").split(QLatin1Char(' ')),
                        env));
      QCOMPARE(ref.waitExit(30000), 0);
    }
    const std::string reference = readIfExists(refDir / "model.bin");
    QCOMPARE(reference.size(), std::size_t{72});

    local::LocalProvider provider(options("preempt3"));
    const std::string job = newJob();
    uploadExample(provider, job);
    int lastCheckpointStep = 0;
    std::vector<std::string> ids;
    for (int attempt = 1; attempt <= 4; ++attempt) {
      QElapsedTimer bootToRunning;
      bootToRunning.start();
      auto inst = launchAttempt(provider, job, attempt, "python3 train.py " + args);
      QVERIFY2(inst.ok(), inst.ok() ? "" : msg(inst.error()));
      QCOMPARE(inst->jobId, job);
      QCOMPARE(inst->attempt, attempt);
      ids.push_back(inst->id);
      if (attempt == 4) break;
      int seenStep = 0;
      QVERIFY2(waitFor([&] {
                 auto s = status(provider, job);
                 seenStep = s["step"].is_number() ? s["step"].get<int>() : 0;
                 return s.value("attempt", 0) == attempt && s.value("state", "") == "running" && seenStep > lastCheckpointStep + 10;
               }, 20),
               status(provider, job).dump().c_str());
      QElapsedTimer noticeToEnd;
      noticeToEnd.start();
      qInfo("attempt %d: launch to running at step %d in %lld ms", attempt, seenStep, static_cast<long long>(bootToRunning.elapsed()));
      QVERIFY(provider.localCompute().preemptNow(inst->id).ok());
      QVERIFY(waitTerminated(provider, inst->id, 20));
      // Notice → program checkpointed, checkpoint uploaded, instance gone (pollSeconds = 1).
      qInfo("attempt %d: notice to terminated in %lld ms", attempt, static_cast<long long>(noticeToEnd.elapsed()));
      const Instance ended = describeOne(provider, inst->id);
      QCOMPARE(ended.endReason, EndReason::SpotInterruption);
      const json s = status(provider, job);
      QCOMPARE(s.value("state", ""), std::string("preempted"));
      QCOMPARE(s["resumed_from_step"].get<int>(), lastCheckpointStep);  // resumed exactly where the last attempt left
      // Work lost per preemption: at most one checkpoint interval behind what was reported.
      const int checkpointStep = s["checkpoint_step"].get<int>();
      QVERIFY2(checkpointStep >= seenStep - 20, s.dump().c_str());
      QCOMPARE(s["gpu"]["model"].get<std::string>(), std::string("NVIDIA A100-SXM4-80GB"));
      lastCheckpointStep = checkpointStep;
      QVERIFY(provider.localCompute().livePids(inst->id).empty());
    }
    QVERIFY(waitTerminated(provider, ids.back(), 30));
    const json s = status(provider, job);
    QCOMPARE(s.value("state", ""), std::string("succeeded"));
    QCOMPARE(s["step"].get<int>(), 400);
    QCOMPARE(describeOne(provider, ids.back()).endReason, EndReason::None);
    auto model = provider.storage().get("jobs/" + job + "/result/model.bin", {});
    QVERIFY(model.ok());
    QVERIFY2(*model == reference, "the resumed model differs from the uninterrupted one");

    // Every attempt is listed by its tag; each is gone; spend is simulated at the offer's price.
    auto listed = provider.compute().listByTag(job, {}, {});
    QVERIFY(listed.ok());
    QCOMPARE(listed->size(), std::size_t{4});
    for (const std::string& id : ids) {
      QVERIFY(nothingRunsFrom(provider.localCompute().sandbox(id)));
      auto spend = provider.localCompute().spend(id);
      QVERIFY(spend.ok());
      QVERIFY(spend->rehearsal);
      QVERIFY(spend->realSeconds > 0.3 && spend->realSeconds < 30);
      QVERIFY(std::abs(spend->dollars - spend->realSeconds * kPrice / 3600.0) < 1e-9);
    }
  }

  void hazardRateIssuesNoticesByItself() {
    local::LocalProviderOptions opts = options("hazard");
    opts.rehearsal.hazardPerHour = 360;  // per simulated hour
    opts.rehearsal.timeLapse = 100;      // → 10 notices per real second: one comes at once
    opts.rehearsal.noticeSeconds = 20;
    opts.rehearsal.seed = 7;
    local::LocalProvider provider(opts);
    const std::string job = newJob();
    uploadExample(provider, job);
    auto inst = launchAttempt(provider, job, 1, "python3 train.py --steps 1000000 --step-seconds 0.01");
    QVERIFY(inst.ok());
    QVERIFY(waitTerminated(provider, inst->id, 25));
    QCOMPARE(describeOne(provider, inst->id).endReason, EndReason::SpotInterruption);
    QCOMPARE(status(provider, job).value("state", ""), std::string("preempted"));
    auto spend = provider.localCompute().spend(inst->id);
    QVERIFY(spend.ok());
    QVERIFY(std::abs(spend->simulatedSeconds - spend->realSeconds * 100) < 1e-6);
    QVERIFY(provider.localCompute().livePids(inst->id).empty());
  }

};

QTEST_APPLESS_MAIN(LocalRehearsalTest)
#include "LocalRehearsalTest.moc"
