// JobSpec: JSON round trip, hand-written files, and one clear message per invalid field.
#include <QTemporaryDir>

#include "TestSupport.h"
#include "core/jobs/JobSpec.h"

using namespace spotwise::jobs;
namespace fs = std::filesystem;

namespace {

JobSpec validSpec(const fs::path& codeDir) {
  JobSpec s;
  s.name = "mnist";
  s.offer = {"aws", "us-east-1", "us-east-1a", "g4dn.xlarge", true, 0.1578, 0.526, "T4", 1};
  s.codeDir = codeDir;
  s.command = "python3 train.py";
  s.environment = {{"EPOCHS", "3"}};
  s.storage = "s3://my-bucket/spotwise";
  s.budgetUsd = 5.0;
  s.recovery.onDemandAfterPreemptions = 4;
  return s;
}

bool hasField(const std::vector<FieldError>& errors, const std::string& field, const std::string& words) {
  for (const auto& e : errors) {
    if (e.field == field && e.message.find(words) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

class JobSpecTest : public QObject {
  Q_OBJECT
  QTemporaryDir m_dir;
  fs::path code() const { return fs::path(m_dir.path().toStdString()) / "code"; }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(m_dir.isValid());
    fs::create_directories(code());
    std::ofstream(code() / "train.py") << "print('hi')\n";
  }

  void roundTripKeepsEveryField() {
    JobSpec s = validSpec(code());
    s.image = "ami-123";
    s.checkpointSignal = "SIGUSR1";
    s.graceSeconds = 90;
    s.checkpointSyncSeconds = 120;
    s.recovery = {false, 3, 5, 7, 2};
    s.maxRuntimeSeconds = 7200;
    const fs::path file = fs::path(m_dir.path().toStdString()) / "job.json";
    QVERIFY(saveJobSpec(s, file).ok());
    auto back = loadJobSpec(file);
    QVERIFY2(back.ok(), back.ok() ? "" : back.error().message.c_str());
    QCOMPARE(serializeJobSpec(*back), serializeJobSpec(s));
    QCOMPARE(back->recovery.moveAfterPreemptions, 3);
    QCOMPARE(back->recovery.onDemandAfterPreemptions, 5);
    QCOMPARE(back->offer.onDemandPricePerHour.value(), 0.526);
    QCOMPARE(back->environment.at("EPOCHS"), std::string("3"));
    QVERIFY(validateJobSpec(*back).empty());
  }

  void handWrittenFileWithDefaultsAndRelativeCodeDir() {
    const std::string text = R"({"name":"x","offer":{"provider":"local","region":"local","instanceType":"sim-t4",
      "pricePerHour":0.35},"codeDir":"code","command":"python3 train.py","storage":"local:///tmp/bucket","budgetUsd":1})";
    auto s = parseJobSpec(text, m_dir.path().toStdString());
    QVERIFY(s.ok());
    QCOMPARE(s->codeDir, code());
    QCOMPARE(s->checkpointSignal, std::string("SIGTERM"));
    QCOMPARE(s->recovery.maxAttempts, 10);
    QVERIFY(s->offer.spot);
    const auto errors = validateJobSpec(*s);
    QVERIFY2(errors.empty(), errors.empty() ? "" : (errors[0].field + ": " + errors[0].message).c_str());
  }

  void typeErrorsAndUnknownFieldsNameTheField() {
    auto s = parseJobSpec(R"({"name":3,"offer":{"provider":"aws","pricePerHour":"cheap"},"colour":"red"})");
    QVERIFY(!s.ok());
    const auto& m = s.error().message;
    QVERIFY2(m.find("name: wrong type") != std::string::npos, m.c_str());
    QVERIFY2(m.find("offer.pricePerHour: wrong type") != std::string::npos, m.c_str());
    QVERIFY2(m.find("colour: unknown field") != std::string::npos, m.c_str());
    QVERIFY(!parseJobSpec("{not json").ok());
    QVERIFY(!parseJobSpec("[]").ok());
    QVERIFY(!parseJobSpec(R"({"name":"x"})").ok());  // no offer
    QVERIFY(loadJobSpec("/nonexistent/job.json").error().code == spotwise::ErrorCode::NotFound);
    // Whole numbers must fit their field (converting 1e300 to int is undefined: found by JobSpecFuzzer).
    for (const char* count : {"1e300", "66666666666666666666666", "2.5", "-3000000000"}) {
      auto big = parseJobSpec(std::string(R"({"name":"x","offer":{"provider":"aws","gpuCount":)") + count + "}}");
      QVERIFY(!big.ok());
      QVERIFY2(big.error().message.find("offer.gpuCount: ") != std::string::npos &&
                   big.error().message.find("is not a whole number in range") != std::string::npos,
               big.error().message.c_str());
    }
    const auto whole = parseJobSpec(R"({"name":"x","offer":{"provider":"aws","gpuCount":8.0}})");  // 8.0 is whole
    QVERIFY(whole.ok() || whole.error().message.find("gpuCount") == std::string::npos);
  }

  void everyInvalidFieldIsExplained() {
    JobSpec s = validSpec(code() / "missing");
    s.name.clear();
    s.command = "   ";
    s.budgetUsd = 0.10;  // below one hour at $0.1578/h
    s.storage = "gs://bucket";  // wrong scheme for AWS
    s.checkpointSignal = "SIGKILL";
    s.graceSeconds = 0;
    s.environment["SPOTWISE_JOB_ID"] = "x";
    s.environment["1BAD"] = "x";
    s.recovery.maxAttempts = 0;
    s.nodeCount = 4;
    s.offer.region.clear();
    const auto e = validateJobSpec(s);
    QVERIFY(hasField(e, "name", "empty"));
    QVERIFY(hasField(e, "codeDir", "does not exist"));
    QVERIFY(hasField(e, "command", "empty"));
    QVERIFY(hasField(e, "budgetUsd", "below one hour of this offer ($0.16/h)"));
    QVERIFY(hasField(e, "storage", "gs:// storage does not go with a aws offer"));
    QVERIFY(hasField(e, "checkpointSignal", "SIGKILL"));
    QVERIFY(hasField(e, "graceSeconds", "between"));
    QVERIFY(hasField(e, "environment.SPOTWISE_JOB_ID", "set by the agent"));
    QVERIFY(hasField(e, "environment.1BAD", "not a valid variable name"));
    QVERIFY(hasField(e, "recovery.maxAttempts", "between"));
    QVERIFY(hasField(e, "nodeCount", "not supported"));
    QVERIFY(hasField(e, "offer.region", "empty"));
    const auto r = checkJobSpec(s);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, spotwise::ErrorCode::InvalidArgument);
    QVERIFY(r.error().message.starts_with("JobSpec: "));
  }

  void codeFolderTooLargeOrAFile() {
    JobSpec s = validSpec(code());
    ValidationLimits tiny;
    tiny.maxCodeBytes = 4;
    QVERIFY(hasField(validateJobSpec(s, tiny), "codeDir", "limit"));
    s.codeDir = code() / "train.py";
    QVERIFY(hasField(validateJobSpec(s), "codeDir", "is not a folder"));
  }

  void ignoredFilesDoNotCountAgainstTheLimit() {
    // A data set listed in .spotwiseignore is not uploaded, so it must not make the folder "too large".
    const fs::path dir = fs::path(m_dir.path().toStdString()) / "with-data";
    fs::create_directories(dir / "data");
    std::ofstream(dir / "train.py") << "print('hi')\n";
    std::ofstream(dir / "data" / "big.bin") << std::string(4096, 'x');
    JobSpec s = validSpec(dir);
    ValidationLimits small;
    small.maxCodeBytes = 1024;
    QVERIFY(hasField(validateJobSpec(s, small), "codeDir", "limit"));
    std::ofstream(dir / ".spotwiseignore") << "data/\n";
    QVERIFY(validateJobSpec(s, small).empty());
  }

  void gitFolderIsNotCounted() {
    fs::create_directories(code() / ".git");
    std::ofstream(code() / ".git" / "pack") << std::string(1000, 'x');
    QCOMPARE(folderSize(code()).value(), std::uint64_t(12));
  }

  void onDemandFallbackNeedsItsPrice() {
    JobSpec s = validSpec(code());
    s.offer.onDemandPricePerHour.reset();
    QVERIFY(hasField(validateJobSpec(s), "recovery.onDemandAfterPreemptions", "onDemandPricePerHour"));
  }

  void storageLocations() {
    auto a = parseStorageLocation("s3://bucket/a/b/");
    QVERIFY(a.ok());
    QCOMPARE(a->bucket, std::string("bucket"));
    QCOMPARE(a->prefix, std::string("a/b"));
    auto l = parseStorageLocation("local:///tmp/x/");
    QVERIFY(l.ok());
    QCOMPARE(l->bucket, std::string("/tmp/x"));
    QVERIFY(!parseStorageLocation("ftp://x").ok());
    QVERIFY(!parseStorageLocation("bucket").ok());
    QVERIFY(!parseStorageLocation("local://relative").ok());
  }
};

QTEST_APPLESS_MAIN(JobSpecTest)
#include "JobSpecTest.moc"
