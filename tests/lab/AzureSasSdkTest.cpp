// Service SAS tokens — directory SAS (sr=d, for hierarchical-namespace accounts) included —
// against Microsoft's Data Lake SDK for JavaScript (@azure/storage-file-datalake 12.31.0). Azurite
// has no hierarchical namespace, so a directory SAS cannot be checked against it; the SDK that
// Azure's own tools use is the reference instead: every field and the signature must be equal.

#include <QProcess>
#include <QUrlQuery>

#include <map>

#include <nlohmann/json.hpp>

#include "LabPeer.h"
#include "core/auth/azure/SharedKey.h"
#include "core/common/Time.h"

using namespace spotwise;
using namespace spotwise::auth::azure;

namespace {

std::filesystem::path sdkModules() {
  if (const char* dir = std::getenv("SPOTWISE_AZURITE_DIR")) return std::filesystem::path(dir) / "node_modules";
  return test::sourceDir() / "build" / "tools" / "azurite" / "node_modules";
}

std::map<std::string, std::string> fields(const std::string& query) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : QUrlQuery(QString::fromStdString(query)).queryItems(QUrl::FullyDecoded))
    out[k.toStdString()] = v.toStdString();
  return out;
}

}  // namespace

class AzureSasSdkTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void sasTokensEqualTheSdks() {
    const auto install = test::sourceDir() / "tests" / "lab" / "install-azurite.sh";
    if (!std::filesystem::exists(sdkModules() / "@azure" / "storage-file-datalake")) {
      QProcess installer;
      installer.start(QString::fromStdString(install.string()), {});
      installer.waitForFinished(300000);
    }
    if (!std::filesystem::exists(sdkModules() / "@azure" / "storage-file-datalake")) {
      const QString why = QStringLiteral("@azure/storage-file-datalake is not installed (installer/install-azurite.sh)");
      if (test::inCi()) QFAIL(qPrintable(why));
      QSKIP(qPrintable(why));
    }

    const StorageAccountKey key = emulatorAccount();
    struct Case {
      SasResource resource;
      std::string path;
      std::string permissions;
      std::optional<std::int64_t> start;
      std::string ip;
      bool https;
    };
    const std::vector<Case> cases = {
        {SasResource::Directory, "runs/job-42", "racwdl", std::nullopt, "", true},
        {SasResource::Directory, "job-7", "rl", std::nullopt, "", false},
        {SasResource::Directory, "a/b/c/job-9", "racwdl", 1893452400, "168.1.5.60-168.1.5.70", true},
        {SasResource::Directory, "runs/job with space", "rwl", std::nullopt, "10.0.0.1", false},
        {SasResource::Container, "", "racwdl", std::nullopt, "", true},
        {SasResource::Container, "", "rl", 1893452400, "", false},
        {SasResource::Blob, "runs/job-42/code.tar.gz", "r", std::nullopt, "", true},
    };
    const std::int64_t expiry = 1893456000;  // 2030-01-01T00:00:00Z
    nlohmann::json requests = nlohmann::json::array();
    for (const auto& c : cases) {
      nlohmann::json r = {{"account", key.account}, {"key", key.key},           {"container", "jobs"},
                          {"path", c.path},         {"directory", c.resource == SasResource::Directory},
                          {"permissions", c.permissions}, {"expiry", sasTime(expiry)}, {"https", c.https},
                          {"version", std::string(kStorageVersion)}};
      if (c.start) r["start"] = sasTime(*c.start);
      if (!c.ip.empty()) r["ip"] = c.ip;
      requests.push_back(r);
    }
    QProcess node;
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("NODE_PATH"), QString::fromStdString(sdkModules().string()));
    node.setProcessEnvironment(env);
    node.start(QStringLiteral("node"), {QString::fromStdString((test::sourceDir() / "tests/lab/peers/azure_sas_sdk.js").string()),
                                        QString::fromStdString(requests.dump())});
    QVERIFY(node.waitForFinished(60000));
    const auto answer = nlohmann::json::parse(node.readAllStandardOutput().toStdString(), nullptr, false);
    QVERIFY2(answer.is_array() && answer.size() == cases.size(), node.readAllStandardError().constData());

    for (std::size_t i = 0; i < cases.size(); ++i) {
      const auto& c = cases[i];
      ServiceSasOptions options;
      options.resource = c.resource;
      options.container = "jobs";
      options.blob = c.path;
      options.permissions = c.permissions;
      options.expiryUnix = expiry;
      options.startUnix = c.start;
      options.ipRange = c.ip;
      options.httpsOnly = c.https;
      const auto ours = makeServiceSas(key, options);
      QVERIFY2(ours.ok(), ours.ok() ? "" : ours.error().toString().c_str());
      const auto mine = fields(*ours);
      const auto sdk = fields(answer[i].get<std::string>());
      QVERIFY2(mine == sdk, (std::to_string(i) + ": ours " + *ours + "\n    sdk  " + answer[i].get<std::string>()).c_str());
      if (c.resource == SasResource::Directory) QCOMPARE(mine.at("sr"), std::string("d"));
    }
    qInfo("%zu SAS tokens equal to @azure/storage-file-datalake's, %d of them directory SAS", cases.size(), 4);
  }
};

QTEST_APPLESS_MAIN(AzureSasSdkTest)
#include "AzureSasSdkTest.moc"
