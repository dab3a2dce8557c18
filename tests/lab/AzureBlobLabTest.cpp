// Azure Blob Storage against Azurite 3.35.0 (which enforces SharedKey and SAS), behind the
// recording, fault-injecting proxy.

#include <fstream>
#include <random>

#include "LabPeer.h"
#include "core/auth/TokenSource.h"
#include "core/auth/aws/SigV4.h"
#include "core/cloud/azure/AzureProvider.h"
#include "core/cloud/azure/BlobStore.h"
#include "core/http/CurlHttpClient.h"

using namespace spotwise;
using namespace spotwise::cloud;
using namespace spotwise::cloud::azure;
using spotwise::test::faultSpec;
using spotwise::test::within;

class AzureBlobLabTest : public QObject {
  Q_OBJECT

  std::unique_ptr<test::LabPeer> m_azurite;
  http::CurlHttpClient m_http;
  test::RecordingSleeper m_sleeper;
  http::RealSteadyClock m_clock;

  BlobSettings settings(std::string container = "jobs") {
    BlobSettings s;
    s.endpoint = m_azurite->value("endpoint");
    s.container = std::move(container);
    s.accountKey = auth::azure::StorageAccountKey{m_azurite->value("account"), m_azurite->value("key")};
    s.blockThreshold = 3 * 1024 * 1024;
    s.blockSize = 1024 * 1024;
    return s;
  }

  Transport transport() { return test::labTransport(m_http, m_sleeper, m_clock, 3); }

 private Q_SLOTS:
  void initTestCase() {
    m_azurite = test::pythonPeer("azurite_peer.py");
    SPOTWISE_REQUIRE_PEER(*m_azurite);
    BlobStore store(settings(), transport());
    const auto created = store.ensureContainer(within());
    QVERIFY2(created.ok(), created.ok() ? "" : created.error().toString().c_str());
    QVERIFY(store.ensureContainer(within()).ok());  // already there: fine
  }
  void init() {
    m_azurite->clear();
    m_sleeper.reset();
  }
  void cleanupTestCase() { m_azurite.reset(); }

  void sharedKeyRoundTrip() {
    BlobStore store(settings(), transport());
    QVERIFY(store.put("j1/status.json", "{\"state\":\"running\"}", within()).ok());
    QCOMPARE(store.get("j1/status.json", within()).valueOr(""), std::string("{\"state\":\"running\"}"));
    const auto odd = store.put("j1/checkpoints/1/model weights+(1).bin", std::string(2048, 'm'), within());
    QVERIFY2(odd.ok(), odd.ok() ? "" : odd.error().toString().c_str());
    QVERIFY(store.put("j2/status.json", "{}", within()).ok());
    const auto head = store.head("j1/checkpoints/1/model weights+(1).bin", within());
    QVERIFY2(head.ok(), head.ok() ? "" : head.error().toString().c_str());
    QCOMPARE(head->size, std::uint64_t{2048});
    QVERIFY(!head->etag.empty());
    QVERIFY(head->modifiedUnix > 1700000000);
    const auto listed = store.list("j1/", within());
    QVERIFY2(listed.ok(), listed.ok() ? "" : listed.error().toString().c_str());
    QCOMPARE(listed->size(), std::size_t{2});
    QCOMPARE(listed->at(0).key, std::string("j1/checkpoints/1/model weights+(1).bin"));
    QCOMPARE(listed->at(0).size, std::uint64_t{2048});
    QVERIFY(store.remove("j1/status.json", within()).ok());
    QVERIFY(store.remove("j1/status.json", within()).ok());  // gone already: still fine
    const auto gone = store.get("j1/status.json", within());
    QVERIFY(!gone.ok());
    QCOMPARE(gone.error().code, ErrorCode::NotFound);
    QCOMPARE(gone.error().providerCode, std::string("BlobNotFound"));
    QCOMPARE(store.head("j1/status.json", within()).error().code, ErrorCode::NotFound);
  }

  void largeFileGoesUpInBlocksAndSurvivesFaults() {
    QTemporaryDir dir;
    const std::filesystem::path in = dir.filePath(QStringLiteral("code.tar.gz")).toStdString();
    const std::filesystem::path out = dir.filePath(QStringLiteral("back.tar.gz")).toStdString();
    std::string data(5 * 1024 * 1024 + 77, '\0');
    std::mt19937 rng(5);
    for (auto& c : data) c = static_cast<char>(rng());
    std::ofstream(in, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
    m_azurite->fault(faultSpec({{QStringLiteral("kind"), QStringLiteral("status")},
                                {QStringLiteral("status"), 503},
                                {QStringLiteral("retryAfter"), 1},
                                {QStringLiteral("contentType"), QStringLiteral("application/xml")},
                                {QStringLiteral("body"), QStringLiteral("<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>ServerBusy</Code><Message>The server is busy.</Message></Error>")},
                                {QStringLiteral("match"), QStringLiteral("comp=block&")}}));
    m_azurite->fault(faultSpec({{QStringLiteral("kind"), QStringLiteral("reset")}, {QStringLiteral("match"), QStringLiteral("comp=blocklist")}}));
    BlobStore store(settings(), transport());
    QVERIFY(store.ensureContainerNamed(store.containerFor("big/"), within()).ok());
    const auto put = store.putFile("big/code.tar.gz", in, within(std::chrono::seconds(60)));
    QVERIFY2(put.ok(), put.ok() ? "" : put.error().toString().c_str());
    QCOMPARE(m_azurite->requests(QStringLiteral("comp=block&")).size(), 7);  // 6 blocks + 1 retry
    QCOMPARE(m_azurite->requests(QStringLiteral("comp=blocklist")).size(), 2);
    QVERIFY(m_sleeper.sleeps().at(0).count() >= 1000);  // Retry-After honoured
    // A download cut short is retried and the file is whole.
    m_azurite->fault(faultSpec({{QStringLiteral("kind"), QStringLiteral("truncate")}, {QStringLiteral("method"), QStringLiteral("GET")}}));
    const auto got = store.getFile("big/code.tar.gz", out, within(std::chrono::seconds(60)));
    QVERIFY2(got.ok(), got.ok() ? "" : got.error().toString().c_str());
    QVERIFY(test::readText(out) == data);
  }

  void aWrongKeyIsRefused() {
    auto s = settings();
    s.accountKey->key = "d3Jvbmcta2V5LWZvci10aGUtbGFiLXdyb25nLWtleS13cm9uZy1rZXk=";
    BlobStore store(s, transport());
    const auto put = store.put("j1/x", "x", within());
    QVERIFY(!put.ok());
    // Azure answers AuthenticationFailed; Azurite 3.35 answers AuthorizationFailure (same message).
    QVERIFY2(put.error().providerCode == "AuthenticationFailed" || put.error().providerCode == "AuthorizationFailure",
             put.error().toString().c_str());
    QVERIFY(put.error().code == ErrorCode::Unauthenticated || put.error().code == ErrorCode::PermissionDenied);
    QVERIFY(put.error().message.starts_with("PutBlob: Server failed to authenticate the request."));
    QCOMPARE(m_azurite->requests().size(), 1);  // not retried
  }

  void aSkewedClockIsLearnedFromTheServiceAndRetriedOnce() {
    // The service's clock is an hour ahead of ours (as if ours were an hour behind): Azure refuses
    // our x-ms-date, says its time in Date, and the request is signed again with that offset.
    BlobStore store(settings(), transport());
    QVERIFY(store.ensureContainerNamed(store.containerFor("skew/"), within()).ok());
    m_azurite->clear();
    m_azurite->command({{QStringLiteral("cmd"), QStringLiteral("serverClock")}, {QStringLiteral("offset"), 3600}});
    const auto put = store.put("skew/a.txt", "a", within());
    m_azurite->command({{QStringLiteral("cmd"), QStringLiteral("serverClock")}, {QStringLiteral("offset"), 0}});
    QVERIFY2(put.ok(), put.ok() ? "" : put.error().toString().c_str());
    const auto puts = m_azurite->requests(QStringLiteral("^PUT /devstoreaccount1/jobs-skew/skew/a.txt"));
    QCOMPARE(puts.size(), 2);
    const auto dateOf = [](const QJsonValue& r) {
      const auto headers = r.toObject().value(QStringLiteral("headers")).toObject();
      for (auto it = headers.begin(); it != headers.end(); ++it)
        if (it.key().compare(QLatin1String("x-ms-date"), Qt::CaseInsensitive) == 0)
          return static_cast<qint64>(auth::aws::parseHttpDate(it.value().toString().toStdString()).value_or(0));
      return qint64(0);
    };
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    QVERIFY(std::llabs(dateOf(puts[0]) - now) < 60);
    QVERIFY2(std::llabs(dateOf(puts[1]) - (now + 3600)) < 60, qPrintable(QString::number(dateOf(puts[1]) - now)));
    QVERIFY(m_sleeper.sleeps().empty());  // not a transient failure: resent at once

    // The offset is kept: the next call is signed with it from the start (one request).
    m_azurite->command({{QStringLiteral("cmd"), QStringLiteral("serverClock")}, {QStringLiteral("offset"), 3600}});
    m_azurite->clear();
    const auto got = store.get("skew/a.txt", within());
    QVERIFY2(got.ok(), got.ok() ? "" : got.error().toString().c_str());
    QCOMPARE(m_azurite->requests().size(), 1);

    // A refusal whose Date agrees with our clock cannot be fixed by signing again: one try, the
    // error kept (a fresh store, whose offset is 0 like the server's).
    m_azurite->command({{QStringLiteral("cmd"), QStringLiteral("serverClock")}, {QStringLiteral("offset"), 0}});
    m_azurite->clear();
    m_azurite->fault(faultSpec({{QStringLiteral("kind"), QStringLiteral("status")},
                                {QStringLiteral("status"), 403},
                                {QStringLiteral("match"), QStringLiteral("^GET /devstoreaccount1/jobs-skew/skew/a.txt")},
                                {QStringLiteral("body"), QStringLiteral("<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthenticationFailed</Code>"
                                                                        "<Message>Server failed to authenticate the request.</Message>"
                                                                        "<AuthenticationErrorDetail>Request date header too old: 'x'</AuthenticationErrorDetail></Error>")}}));
    const auto stale = BlobStore(settings(), transport()).get("skew/a.txt", within());
    QVERIFY(!stale.ok());
    QCOMPARE(stale.error().providerCode, std::string("AuthenticationFailed"));
    QCOMPARE(m_azurite->requests().size(), 1);
  }

  void eachJobsInstanceReachesOnlyItsOwnContainer() {
    // The desktop's store (account key) keeps each job's folder in a container of its own, and an
    // instance's SAS names only its job's container: Azurite, which enforces SAS scopes, refuses
    // every attempt to read or write another job's data with it.
    auto blob = settings("runs");
    blob.jobRoot = "prefix";
    ArmSettings arm;  // compute is not used here
    AzureProvider provider(arm, blob, transport());
    auto& desktop = provider.storage();
    QVERIFY(desktop.ensureContainer(within()).ok());
    QVERIFY(desktop.put("prefix/job-aaaa/code.tar.gz", "code of a", within()).ok());
    QVERIFY(desktop.put("prefix/job-bbbb/code.tar.gz", "code of b", within()).ok());
    QCOMPARE(desktop.containerFor("prefix/job-aaaa/code.tar.gz"), std::string("runs-job-aaaa"));
    QCOMPARE(desktop.containerFor("prefix/job-bbbb/x"), std::string("runs-job-bbbb"));
    QCOMPARE(desktop.containerFor("other/x"), std::string("runs"));
    QVERIFY(m_azurite->requests(QStringLiteral("^PUT /devstoreaccount1/runs-job-aaaa/prefix/job-aaaa/code.tar.gz")).size() >= 1);
    QCOMPARE(desktop.get("prefix/job-bbbb/code.tar.gz", within()).valueOr(""), std::string("code of b"));

    const auto wrongPrefix = provider.issueInstanceAccess("job-aaaa", "elsewhere/job-aaaa", auth::systemUnixNow() + 3600, within());
    QVERIFY(!wrongPrefix.ok());
    QCOMPARE(wrongPrefix.error().code, ErrorCode::InvalidArgument);

    const auto access = provider.issueInstanceAccess("job-aaaa", "prefix/job-aaaa", auth::systemUnixNow() + 3600, within());
    QVERIFY2(access.ok(), access.ok() ? "" : access.error().toString().c_str());
    QCOMPARE(access->kind, std::string("sas"));
    QCOMPARE(access->values.at("container"), std::string("runs-job-aaaa"));
    QCOMPARE(access->values.at("containerUrl"), m_azurite->value("endpoint") + "/runs-job-aaaa");
    QVERIFY(access->values.at("sasToken").find("sr=c") != std::string::npos);

    auto own = settings("runs-job-aaaa");
    own.accountKey.reset();
    own.sasToken = access->values.at("sasToken");
    BlobStore instance(own, transport());
    QCOMPARE(instance.get("prefix/job-aaaa/code.tar.gz", within()).valueOr(""), std::string("code of a"));
    QVERIFY(instance.put("prefix/job-aaaa/checkpoints/LATEST", "7", within()).ok());
    QCOMPARE(desktop.get("prefix/job-aaaa/checkpoints/LATEST", within()).valueOr(""), std::string("7"));

    // The same SAS against job b's container, or the shared one: refused by Azurite.
    for (const char* container : {"runs-job-bbbb", "runs"}) {
      auto other = own;
      other.container = container;
      BlobStore intruder(other, transport());
      const auto read = intruder.get("prefix/job-bbbb/code.tar.gz", within());
      QVERIFY2(!read.ok(), container);
      QVERIFY2(read.error().code == ErrorCode::PermissionDenied || read.error().code == ErrorCode::Unauthenticated,
               read.error().toString().c_str());
      QVERIFY(!intruder.put("prefix/job-bbbb/code.tar.gz", "overwritten", within()).ok());
      QVERIFY(!intruder.list("prefix/", within()).ok());
    }
    QCOMPARE(desktop.get("prefix/job-bbbb/code.tar.gz", within()).valueOr(""), std::string("code of b"));
  }

  void jobContainerNamesAreValidAndDistinct() {
    QCOMPARE(jobContainerName("jobs", "job-0123456789ab"), std::string("jobs-job-0123456789ab"));
    const auto odd = jobContainerName("jobs", "Job_A");
    const auto other = jobContainerName("jobs", "job-a");
    QVERIFY(odd != other);
    QVERIFY(QRegularExpression(QStringLiteral("^[a-z0-9]+(-[a-z0-9]+)*$")).match(QString::fromStdString(odd)).hasMatch());
    const auto longName = jobContainerName("jobs", std::string(100, 'x'));
    QVERIFY(longName.size() <= 63);
    QVERIFY(longName.size() >= 3);
    QVERIFY(jobContainerName("jobs", std::string(100, 'x')) != jobContainerName("jobs", std::string(101, 'x')));
  }

  void instancesWorkWithASasOnly() {
    BlobStore desktop(settings(), transport());
    const auto now = auth::systemUnixNow();
    const auto sas = desktop.containerSas("racwdl", now + 3600);
    QVERIFY(sas.ok());
    auto s = settings();
    s.accountKey.reset();
    s.sasToken = *sas;
    BlobStore instance(s, transport());
    QVERIFY(instance.put("j3/checkpoints/LATEST", "1", within()).ok());
    QCOMPARE(instance.get("j3/checkpoints/LATEST", within()).valueOr(""), std::string("1"));
    QCOMPARE(instance.list("j3/", within())->size(), std::size_t{1});
    for (const auto& r : m_azurite->requests())
      QVERIFY(!r.toObject().value(QStringLiteral("headers")).toObject().contains(QStringLiteral("Authorization")));

    // Read-only and expired SAS tokens are refused by Azurite, and mapped.
    s.sasToken = *desktop.containerSas("rl", now + 3600);
    const auto readOnly = BlobStore(s, transport()).put("j3/x", "x", within());
    QVERIFY(!readOnly.ok());
    QCOMPARE(readOnly.error().code, ErrorCode::PermissionDenied);
    s.sasToken = *desktop.containerSas("racwdl", now - 60);
    const auto expired = BlobStore(s, transport()).get("j3/checkpoints/LATEST", within());
    QVERIFY(!expired.ok());
    QVERIFY(expired.error().code == ErrorCode::Unauthenticated || expired.error().code == ErrorCode::PermissionDenied);
  }
};

QTEST_APPLESS_MAIN(AzureBlobLabTest)
#include "AzureBlobLabTest.moc"
