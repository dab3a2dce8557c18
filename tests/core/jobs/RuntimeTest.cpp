// Where the ledger and the Local provider live, and the runtime wiring the CLI and the app share.
#include <QTemporaryDir>
#include <QTest>

#include <cstdlib>
#include <fstream>
#include <map>

#include "TestSupport.h"
#include "core/cloud/azure/BlobStore.h"
#include "core/jobs/Runtime.h"

using namespace spotwise;
using namespace spotwise::jobs;
namespace fs = std::filesystem;

namespace {

/**
 * Sets an environment variable for one scope and restores it afterwards. Through qputenv/qunsetenv:
 * they take Qt's environment lock, which QtTest's watchdog thread also takes to read
 * QTEST_FUNCTION_TIMEOUT at each test function; a bare setenv() beside that getenv() crashed.
 */
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : m_name(name) {
    if (qEnvironmentVariableIsSet(name)) m_old = qEnvironmentVariable(name).toStdString();
    if (value) qputenv(name, QByteArray(value));
    else qunsetenv(name);
  }
  ~ScopedEnv() {
    if (m_old) qputenv(m_name, QByteArray::fromStdString(*m_old));
    else qunsetenv(m_name);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* m_name;
  std::optional<std::string> m_old;
};

/** Registry options that read nothing from this machine but `vars`. */
ProviderRegistryOptions hermetic(std::map<std::string, std::string> vars) {
  static QTemporaryDir dir;
  ProviderRegistryOptions o;
  o.localRoot = fs::path(dir.path().toStdString()) / "local";
  if (!vars.contains("HOME")) vars["HOME"] = (fs::path(dir.path().toStdString()) / "home").string();
  o.environment = [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  return o;
}

JobSpec cloudSpec(const std::string& provider, const std::string& storage) {
  JobSpec spec;
  spec.offer.provider = provider;
  spec.offer.region = "us-east-1";
  spec.storage = storage;
  return spec;
}

}  // namespace

class RuntimeTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void pathsFollowXdgThenHome() {
    const ScopedEnv ledger("SPOTWISE_LEDGER", nullptr);
    const ScopedEnv local("SPOTWISE_LOCAL_ROOT", nullptr);
    {
      const ScopedEnv xdg("XDG_DATA_HOME", "/data/xdg");
      QCOMPARE(defaultDataHome(), fs::path("/data/xdg/spotwise"));
      QCOMPARE(defaultLedgerPath(), fs::path("/data/xdg/spotwise/ledger.sqlite"));
      QCOMPARE(defaultLocalRoot(), fs::path("/data/xdg/spotwise/local"));
    }
    const ScopedEnv xdg("XDG_DATA_HOME", "");
    const ScopedEnv home("HOME", "/home/ada");
    QCOMPARE(defaultDataHome(), fs::path("/home/ada/.local/share/spotwise"));
  }

  void environmentOverridesWin() {
    const ScopedEnv xdg("XDG_DATA_HOME", "/data/xdg");
    const ScopedEnv ledger("SPOTWISE_LEDGER", "/tmp/other.sqlite");
    const ScopedEnv local("SPOTWISE_LOCAL_ROOT", "/tmp/local-root");
    QCOMPARE(defaultLedgerPath(), fs::path("/tmp/other.sqlite"));
    QCOMPARE(defaultLocalRoot(), fs::path("/tmp/local-root"));
  }

  void opensARealLedgerAndTheLocalProvider() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path root = dir.path().toStdString();
    RuntimeOptions options;
    options.ledgerPath = root / "ledger.sqlite";
    options.providers.localRoot = root / "local";
    auto runtime = openRuntime(options);
    QVERIFY2(runtime.ok(), runtime ? "" : runtime.error().message.c_str());
    QVERIFY(fs::exists(root / "ledger.sqlite"));
    QCOMPARE((*runtime)->providers->allProviders().size(), std::size_t{1});

    JobSpec spec;
    spec.offer.provider = "local";
    spec.storage = "local://" + (root / "bucket-a").string();
    auto a = (*runtime)->providers->providerFor(spec);
    QVERIFY2(a.ok(), a ? "" : a.error().message.c_str());
    QCOMPARE(*(*runtime)->providers->providerFor(spec), *a);  // built once, then reused
    QVERIFY(fs::is_directory(root / "local"));

    spec.offer.provider = "aws";
    auto aws = (*runtime)->providers->providerFor(spec);
    QVERIFY(!aws.ok());
    QVERIFY2(aws.error().message.find("is not s3://") != std::string::npos, aws.error().message.c_str());
  }

  void cloudsWithoutCredentialsSayWhatToSet() {
    ProviderRegistry registry(hermetic({}));
    QCOMPARE(registry.allProviders().size(), std::size_t{1});  // Local only, nothing unavailable
    QVERIFY(registry.unavailable().empty());
    auto expect = [&](const std::string& provider, const std::string& storage, const std::string& words) {
      auto p = registry.providerFor(cloudSpec(provider, storage));
      QVERIFY(!p.ok());
      QVERIFY2(p.error().message.find(words) != std::string::npos, p.error().message.c_str());
    };
    expect("aws", "s3://bucket/runs", "AWS: no credentials: set AWS_PROFILE");
    expect("aws", "s3://bucket/runs", "or add an account in Accounts");
    expect("azure", "az://account/container/runs", "Azure: no credentials: set AZURE_TENANT_ID");
    expect("gcp", "gs://bucket/runs", "GCP: no credentials: set GOOGLE_APPLICATION_CREDENTIALS");
    expect("azure", "az://account", "names no container");
    expect("gcp", "s3://bucket", "is not gs://");
    expect("ibm", "s3://bucket", "unknown provider");
  }

  void environmentConfiguresAws() {
    QTemporaryDir dir;
    ProviderRegistry registry(hermetic({{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                                        {"AWS_SECRET_ACCESS_KEY", "secret"},
                                        {"AWS_REGION", "eu-west-1"},
                                        {"AWS_ENDPOINT_URL", "http://127.0.0.1:9"},
                                        {"SPOTWISE_AWS_REGIONS", "eu-west-1, us-east-1"},
                                        {"HOME", dir.path().toStdString()}}));
    QCOMPARE(registry.cloudSettings().aws.regions, (std::vector<std::string>{"eu-west-1", "us-east-1"}));
    auto a = registry.providerFor(cloudSpec("aws", "s3://bucket-a/runs"));
    QVERIFY2(a.ok(), a ? "" : a.error().message.c_str());
    QCOMPARE((*a)->id(), std::string_view("aws"));
    QCOMPARE(*registry.providerFor(cloudSpec("aws", "s3://bucket-a/other")), *a);  // one per bucket
    QVERIFY(*registry.providerFor(cloudSpec("aws", "s3://bucket-b/runs")) != *a);
    auto access = (*a)->issueInstanceAccess("job-1", "runs/job-1", 0, {});
    QVERIFY(access.ok());
    QCOMPARE(access->values.at("endpoint"), std::string("http://127.0.0.1:9"));  // the agent follows the override
    QCOMPARE(access->values.at("region"), std::string("eu-west-1"));
    QCOMPARE(access->values.at("bucket"), std::string("bucket-a"));
    QCOMPARE(access->values.at("instanceProfile"), std::string("spotwise-jobs"));
    // Reconciliation lists AWS once, however many buckets are in use.
    const auto all = registry.allProviders();
    QCOMPARE(all.size(), std::size_t{2});
    QCOMPARE(all[1]->id(), std::string_view("aws"));
    QCOMPARE(registry.billingTimeLapse(cloudSpec("aws", "s3://bucket-a")), 1.0);
  }

  void aBrokenProfileIsNamedAndLeftOutOfReconciliation() {
    QTemporaryDir dir;
    const fs::path credentials = fs::path(dir.path().toStdString()) / "credentials";
    std::ofstream(credentials) << "[default]\naws_access_key_id = AKID\naws_secret_access_key = s\n";
    ProviderRegistry registry(hermetic({{"AWS_PROFILE", "nope"},
                                        {"AWS_SHARED_CREDENTIALS_FILE", credentials.string()},
                                        {"AWS_CONFIG_FILE", (fs::path(dir.path().toStdString()) / "config").string()},
                                        {"HOME", dir.path().toStdString()}}));
    QCOMPARE(registry.allProviders().size(), std::size_t{1});
    QVERIFY(registry.unavailable().contains("aws"));
    QVERIFY2(registry.unavailable().at("aws").find("nope") != std::string::npos, registry.unavailable().at("aws").c_str());
    QVERIFY(registry.unavailable().at("aws").starts_with("AWS: "));
  }

  void theAppsCredentialsHookWins() {
    auto options = hermetic({});
    int asked = 0;
    bool locked = false;
    options.credentials = [&](std::string_view provider) -> Result<CloudSecrets> {
      ++asked;
      if (locked) return makeError(ErrorCode::PermissionDenied, "the keychain is locked");
      CloudSecrets s;
      if (provider == "aws") s.aws = auth::aws::AwsCredentials{"AKIDAPP", "app-secret", ""};
      if (provider == "azure") {
        auth::azure::ServicePrincipal p;
        p.tenantId = "t";
        p.clientId = "c";
        p.clientSecret = "s";
        p.subscriptionId = "sub";
        s.azure = p;
        s.azureStorageKeys["acct"] = "a2V5";
      }
      if (provider == "gcp") {
        auth::gcp::ServiceAccountKey key;
        key.projectId = "proj";
        key.clientEmail = "sa@proj.iam.gserviceaccount.com";
        s.gcp = key;
      }
      return s;
    };
    options.clouds.azure.sshPublicKey = "ssh-ed25519 AAAA test";
    options.clouds.azure.blobEndpoint = "http://127.0.0.1:9/{account}";
    ProviderRegistry registry(options);
    QVERIFY(registry.providerFor(cloudSpec("aws", "s3://b")).ok());
    auto azure = registry.providerFor(cloudSpec("azure", "az://acct/container/runs"));
    QVERIFY2(azure.ok(), azure ? "" : azure.error().message.c_str());
    // The account's endpoint, the container, and the prefix job folders live under (each job's
    // data, and its instance's SAS, in a container of its own).
    auto& blob = dynamic_cast<cloud::azure::BlobStore&>((*azure)->storage());
    QCOMPARE(blob.settings().endpoint, std::string("http://127.0.0.1:9/acct"));
    QCOMPARE(blob.settings().container, std::string("container"));
    QCOMPARE(blob.settings().jobRoot, std::string("runs"));
    QVERIFY(blob.settings().accountKey.has_value());
    QCOMPARE(blob.containerFor("runs/job-1/status.json"), cloud::azure::jobContainerName("container", "job-1"));
    QVERIFY(registry.providerFor(cloudSpec("gcp", "gs://b")).ok());
    QCOMPARE(registry.allProviders().size(), std::size_t{4});
    // A storage account without a key, and a locked keychain, say so.
    auto other = registry.providerFor(cloudSpec("azure", "az://other/container"));
    QVERIFY(!other.ok());
    QVERIFY2(other.error().message.find("no key for storage account other") != std::string::npos, other.error().message.c_str());
    locked = true;
    auto fresh = registry.providerFor(cloudSpec("aws", "s3://new-bucket"));
    QVERIFY(!fresh.ok());
    QCOMPARE(fresh.error().message, std::string("AWS: the keychain is locked"));
    QVERIFY(asked >= 4);
  }

  void aLocalRehearsalBillsItsTimeLapse() {
    auto options = hermetic({});
    options.rehearsal.timeLapse = 60;
    ProviderRegistry registry(options);
    QCOMPARE(registry.billingTimeLapse(cloudSpec("local", "local:///tmp/b")), 60.0);
  }

  void settingsComeFromTheEnvironmentThenDefaults() {
    const auto env = [](const std::string& name) -> std::optional<std::string> {
      if (name == "AZURE_SUBSCRIPTION_ID") return "sub-env";
      if (name == "SPOTWISE_GCS_ENDPOINT") return "http://127.0.0.1:7";
      if (name == "GOOGLE_CLOUD_PROJECT") return "proj-env";
      return std::nullopt;
    };
    CloudSettings given;
    given.gcp.project = "proj-given";
    const auto s = completeCloudSettings(given, env);
    QCOMPARE(s.gcp.project, std::string("proj-given"));  // a setting beats the environment
    QCOMPARE(s.gcp.storageEndpoint, std::string("http://127.0.0.1:7"));
    QCOMPARE(s.gcp.computeEndpoint, std::string("https://compute.googleapis.com/compute/v1/"));
    QCOMPARE(s.azure.subscriptionId, std::string("sub-env"));
    QCOMPARE(s.azure.resourceGroup, std::string("spotwise"));
    QCOMPARE(s.azure.blobEndpoint, std::string("https://{account}.blob.core.windows.net"));
    QCOMPARE(s.aws.instanceProfile, std::string("spotwise-jobs"));
    QVERIFY(s.aws.endpoint.empty());
    QCOMPARE(defaultAwsRegions("sa-east-1").front(), std::string("sa-east-1"));
  }

  void unwritableLocalRootIsNamed() {
    if (::geteuid() == 0) QSKIP("root can write anywhere");
    ProviderRegistryOptions options;
    options.localRoot = "/proc/spotwise-cannot-exist/local";
    ProviderRegistry registry(options);
    auto local = registry.local();
    QVERIFY(!local.ok());
    QVERIFY(local.error().message.find("/proc/spotwise-cannot-exist/local") != std::string::npos);
  }
};

QTEST_APPLESS_MAIN(RuntimeTest)
#include "RuntimeTest.moc"
