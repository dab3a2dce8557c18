#include "core/jobs/Runtime.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <system_error>

#include "core/auth/aws/AwsConfig.h"
#include "core/auth/gcp/GcpTokenSources.h"
#include "core/cloud/aws/AwsProvider.h"
#include "core/cloud/azure/AzureProvider.h"
#include "core/cloud/gcp/GcpProvider.h"
#include "core/http/CurlHttpClient.h"
#include "core/jobs/JobSpec.h"

namespace spotwise::jobs {

namespace fs = std::filesystem;

namespace {

fs::path fromEnv(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? fs::path(value) : fs::path();
}

}  // namespace

fs::path defaultDataHome() {
  if (auto xdg = fromEnv("XDG_DATA_HOME"); !xdg.empty()) return xdg / "spotwise";
  if (auto home = fromEnv("HOME"); !home.empty()) return home / ".local" / "share" / "spotwise";
  return fs::current_path() / ".spotwise";
}

fs::path defaultLedgerPath() {
  if (auto env = fromEnv("SPOTWISE_LEDGER"); !env.empty()) return env;
  return defaultDataHome() / "ledger.sqlite";
}

fs::path defaultLocalRoot() {
  if (auto env = fromEnv("SPOTWISE_LOCAL_ROOT"); !env.empty()) return env;
  return defaultDataHome() / "local";
}

/** A built cloud provider and what it needs alive (the token source outlives the provider). */
struct ProviderRegistry::Built {
  std::unique_ptr<auth::TokenSource> tokens;
  std::unique_ptr<cloud::Provider> provider;
  std::int64_t expiresAtUnix = 0;  ///< temporary credentials: built again shortly before this
};

namespace {

constexpr std::int64_t kRefreshMarginSeconds = 300;

std::int64_t nowUnix() { return auth::systemUnixNow(); }

std::string cloudName(std::string_view provider) {
  return provider == "aws" ? "AWS" : provider == "azure" ? "Azure" : provider == "gcp" ? "GCP" : std::string(provider);
}

Error named(std::string_view provider, const Error& e) {
  Error out = e;
  out.message = cloudName(provider) + ": " + e.message;
  return out;
}

std::string replaceAll(std::string text, std::string_view from, std::string_view to) {
  for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

}  // namespace

ProviderRegistry::ProviderRegistry(ProviderRegistryOptions options) : m_options(std::move(options)) {
  if (m_options.localRoot.empty()) m_options.localRoot = defaultLocalRoot();
  if (!m_options.environment) m_options.environment = processEnvironmentLookup();
  m_settings = completeCloudSettings(m_options.clouds, m_options.environment);
  m_client = m_options.httpClient;
}

ProviderRegistry::~ProviderRegistry() = default;

Result<cloud::Provider*> ProviderRegistry::providerFor(const JobSpec& spec) {
  auto location = parseStorageLocation(spec.storage);
  if (!location) return location.error();
  const std::string& p = spec.offer.provider;
  if (p == "local") {
    if (location->scheme != "local") {
      return makeError(ErrorCode::InvalidArgument, "Local: storage " + spec.storage + " is not a local:///folder");
    }
    auto provider = localFor(location->bucket);
    if (!provider) return provider.error();
    return static_cast<cloud::Provider*>(*provider);
  }
  if (p != "aws" && p != "azure" && p != "gcp") {
    return makeError(ErrorCode::InvalidArgument, "unknown provider \"" + p + "\" (aws, azure, gcp, local)");
  }
  const std::string expected = p == "aws" ? "s3" : p == "gcp" ? "gs" : "az";
  if (location->scheme != expected) {
    return makeError(ErrorCode::InvalidArgument, cloudName(p) + ": storage " + spec.storage + " is not " + expected +
                                                     "://... (a " + cloudName(p) + " job keeps its checkpoints there)");
  }
  std::string bucket = location->bucket;
  if (p == "azure") {
    // "account/container/prefix": each job gets a container of its own (its SAS names only that
    // one), derived from the container; the prefix is where job folders live.
    const std::string container = location->prefix.substr(0, location->prefix.find('/'));
    if (container.empty()) {
      return makeError(ErrorCode::InvalidArgument,
                       "Azure: storage " + spec.storage + " names no container (az://account/container/prefix)");
    }
    bucket += "/" + location->prefix;
  }
  return cloudFor(p, bucket);
}

Result<cloud::Provider*> ProviderRegistry::cloud(std::string_view provider) { return cloudFor(std::string(provider), ""); }

Result<cloud::Provider*> ProviderRegistry::cloudFor(const std::string& provider, const std::string& bucket) {
  const std::string key = provider + "|" + bucket;
  auto it = m_clouds.find(key);
  if (it != m_clouds.end() &&
      (it->second->expiresAtUnix == 0 || nowUnix() < it->second->expiresAtUnix - kRefreshMarginSeconds)) {
    return it->second->provider.get();
  }
  auto built = build(provider, bucket);
  if (!built) return built.error();
  cloud::Provider* out = (*built)->provider.get();
  if (it != m_clouds.end()) {
    m_retired.push_back(std::move(it->second));  // pointers handed out this tick stay valid
    it->second = std::move(*built);
  } else {
    m_clouds.emplace(key, std::move(*built));
  }
  return out;
}

Result<std::unique_ptr<ProviderRegistry::Built>> ProviderRegistry::build(const std::string& provider,
                                                                         const std::string& bucket) {
  if (!m_client) {
    m_ownedClient = std::make_unique<http::CurlHttpClient>();
    m_client = m_ownedClient.get();
  }
  std::optional<CloudSecrets> secrets;
  if (m_options.credentials) {
    auto s = m_options.credentials(provider);
    if (!s) return named(provider, s.error());
    secrets = std::move(*s);
  }
  const auto& env = m_options.environment;
  auto built = std::make_unique<Built>();
  const cloud::Transport transport = cloud::realTransport(*m_client);

  if (provider == "aws") {
    const auto& a = m_settings.aws;
    auth::aws::ResolvedAwsCredentials resolved;
    if (secrets && secrets->aws) {
      resolved.credentials = *secrets->aws;
      resolved.source = secrets->source;
    } else {
      auth::aws::AwsResolverOptions o;
      o.env = env;
      o.client = m_client;
      o.runProcess = auth::aws::systemProcessRunner();
      auto r = auth::aws::resolveAwsCredentials(o, a.profile.empty() ? std::nullopt : std::optional<std::string>(a.profile));
      if (!r) {
        if (r.error().code == ErrorCode::NotFound) {
          return makeError(ErrorCode::NotFound,
                           "AWS: no credentials: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), "
                           "or add an account in Accounts");
        }
        return named(provider, r.error());
      }
      resolved = std::move(*r);
      if (resolved.expiresAtUnix) built->expiresAtUnix = *resolved.expiresAtUnix;
    }
    cloud::aws::AwsSettings s;
    s.credentials = resolved.credentials;
    s.defaultRegion = !a.region.empty() ? a.region : !resolved.region.empty() ? resolved.region : "us-east-1";
    s.regions = a.regions.empty() ? defaultAwsRegions(s.defaultRegion) : a.regions;
    s.endpointOverride = a.endpoint;
    s.subnetId = a.subnetId;
    s.securityGroupIds = a.securityGroupIds;
    s.instanceProfile = a.instanceProfile;
    s.bucket = bucket;
    s.bucketRegion = a.bucketRegion.empty() ? s.defaultRegion : a.bucketRegion;
    built->provider = std::make_unique<cloud::aws::AwsProvider>(std::move(s), transport);
    return built;
  }

  if (provider == "azure") {
    const auto& z = m_settings.azure;
    auth::azure::ServicePrincipal principal;
    if (secrets && secrets->azure) {
      principal = *secrets->azure;
    } else {
      auto p = auth::azure::servicePrincipalFromEnvironment(env);
      if (!p) {
        if (p.error().code == ErrorCode::NotFound) {
          return makeError(ErrorCode::NotFound,
                           "Azure: no credentials: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or "
                           "AZURE_CLIENT_CERTIFICATE_PATH), or add an account in Accounts");
        }
        return named(provider, p.error());
      }
      principal = std::move(*p);
    }
    cloud::azure::ArmSettings arm;
    arm.subscriptionId = !z.subscriptionId.empty() ? z.subscriptionId : principal.subscriptionId;
    if (arm.subscriptionId.empty()) {
      return makeError(ErrorCode::FailedPrecondition,
                       "Azure: no subscription: set AZURE_SUBSCRIPTION_ID or choose one in Accounts");
    }
    if (z.sshPublicKey.empty()) {
      return makeError(ErrorCode::FailedPrecondition,
                       "Azure: no SSH public key for the VMs (Azure requires one; Spotwise never logs in): set "
                       "SPOTWISE_AZURE_SSH_PUBLIC_KEY or create ~/.ssh/id_ed25519.pub");
    }
    arm.endpoint = z.armEndpoint;
    arm.resourceGroup = z.resourceGroup;
    arm.defaultLocation = z.location;
    arm.sshPublicKey = z.sshPublicKey;
    built->tokens = std::make_unique<auth::azure::ClientSecretTokenSource>(principal, *m_client);
    arm.tokens = built->tokens.get();
    cloud::azure::BlobSettings blob;
    if (!bucket.empty()) {
      const std::string account = bucket.substr(0, bucket.find('/'));
      const std::string path = bucket.substr(bucket.find('/') + 1);  // container[/prefix]
      blob.container = path.substr(0, path.find('/'));
      blob.jobRoot = path.find('/') == std::string::npos ? "" : path.substr(path.find('/') + 1);
      blob.endpoint = replaceAll(z.blobEndpoint, "{account}", account);
      std::string key;
      if (secrets) {
        if (auto k = secrets->azureStorageKeys.find(account); k != secrets->azureStorageKeys.end()) key = k->second;
      }
      if (key.empty()) {
        const auto named = env("AZURE_STORAGE_ACCOUNT");
        if (!named || *named == account) key = env("AZURE_STORAGE_KEY").value_or("");
      }
      if (key.empty()) {
        return makeError(ErrorCode::NotFound, "Azure: no key for storage account " + account +
                                                  ": set AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY, or add the "
                                                  "account key in Accounts");
      }
      blob.accountKey = auth::azure::StorageAccountKey{account, key};
    }
    built->provider = std::make_unique<cloud::azure::AzureProvider>(std::move(arm), std::move(blob), transport);
    return built;
  }

  if (provider == "gcp") {
    const auto& g = m_settings.gcp;
    auth::gcp::GcpCredentials credentials;
    if (secrets && secrets->gcp) {
      credentials = *secrets->gcp;
    } else {
      auto c = auth::gcp::loadApplicationDefaultCredentials(env);
      if (!c) {
        if (c.error().code == ErrorCode::NotFound) {
          return makeError(ErrorCode::NotFound,
                           "GCP: no credentials: set GOOGLE_APPLICATION_CREDENTIALS to a service-account key, run "
                           "`gcloud auth application-default login`, or add an account in Accounts");
        }
        return named(provider, c.error());
      }
      credentials = std::move(*c);
    }
    std::string project = g.project;
    if (project.empty()) {
      if (const auto* key = std::get_if<auth::gcp::ServiceAccountKey>(&credentials)) project = key->projectId;
      else project = std::get<auth::gcp::AuthorizedUser>(credentials).quotaProjectId;
    }
    if (project.empty()) {
      return makeError(ErrorCode::FailedPrecondition,
                       "GCP: no project: set GOOGLE_CLOUD_PROJECT or choose one in Accounts");
    }
    built->tokens = auth::gcp::makeTokenSource(credentials, {std::string(auth::gcp::kCloudPlatformScope)}, *m_client);
    cloud::gcp::GcpSettings compute;
    compute.project = project;
    compute.computeEndpoint = g.computeEndpoint;
    compute.defaultZone = g.zone;
    compute.tokens = built->tokens.get();
    if (!g.serviceAccount.empty()) compute.launch.serviceAccountEmail = g.serviceAccount;
    cloud::gcp::GcsSettings storage;
    storage.endpoint = g.storageEndpoint;
    storage.bucket = bucket;
    storage.tokens = built->tokens.get();
    built->provider = std::make_unique<cloud::gcp::GcpProvider>(std::move(compute), std::move(storage), transport);
    return built;
  }
  return makeError(ErrorCode::InvalidArgument, "unknown provider \"" + provider + "\" (aws, azure, gcp, local)");
}

Result<std::optional<SpotPriceQuote>> ProviderRegistry::currentSpotPrice(const JobSpec& spec,
                                                                          const ledger::AttemptRecord& attempt) {
  if (spec.offer.provider != "aws" || attempt.zone.empty() || attempt.instanceType.empty()) {
    return std::optional<SpotPriceQuote>();
  }
  auto provider = providerFor(spec);
  if (!provider) return provider.error();
  auto* aws = dynamic_cast<cloud::aws::AwsProvider*>(*provider);
  if (!aws) return std::optional<SpotPriceQuote>();
  cloud::CallOptions options;
  options.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  // The price in effect now is the newest record; EC2 also returns the one in effect at StartTime.
  auto history = aws->compute().spotPriceHistory(attempt.region, {attempt.instanceType}, attempt.zone,
                                                 nowUnix() - std::int64_t{6} * 3600, options);
  if (!history) return history.error();
  std::optional<SpotPriceQuote> quote;
  for (const auto& p : *history) {
    // The attempt's zone is a name once the instance reported it, an ID (from the catalog) before.
    const bool sameZone = p.zone == attempt.zone || (!p.zoneId.empty() && p.zoneId == attempt.zone);
    if (p.instanceType != attempt.instanceType || !sameZone || p.timestampUnix > nowUnix()) continue;
    if (!quote || p.timestampUnix * 1000 >= quote->sinceMs) quote = SpotPriceQuote{p.pricePerHour, p.timestampUnix * 1000};
  }
  return quote;
}

double ProviderRegistry::billingTimeLapse(const JobSpec& spec) {
  return spec.offer.provider == "local" ? std::max(1.0, m_options.rehearsal.timeLapse) : 1.0;
}

std::vector<cloud::Provider*> ProviderRegistry::allProviders() {
  std::vector<cloud::Provider*> out;
  if (auto provider = local()) out.push_back(*provider);
  m_unavailable.clear();
  for (const char* p : {"aws", "azure", "gcp"}) {
    auto provider = cloud(p);
    if (provider) out.push_back(*provider);
    else if (provider.error().code != ErrorCode::NotFound) m_unavailable[p] = provider.error().message;
  }
  return out;
}

Result<cloud::local::LocalProvider*> ProviderRegistry::local() { return localFor((m_options.localRoot / "bucket").string()); }

Result<cloud::local::LocalProvider*> ProviderRegistry::localFor(const std::string& bucket) {
  auto& slot = m_local[bucket];
  if (!slot) {
    std::error_code ec;
    fs::create_directories(m_options.localRoot, ec);
    if (ec) {
      return makeError(ErrorCode::PermissionDenied,
                       "Local: cannot create " + m_options.localRoot.string() + ": " + ec.message());
    }
    cloud::local::LocalProviderOptions o;
    o.root = m_options.localRoot;
    o.bucketRoot = bucket;
    o.rehearsal = m_options.rehearsal;
    slot = std::make_unique<cloud::local::LocalProvider>(o);
  }
  return slot.get();
}

Result<std::unique_ptr<Runtime>> openRuntime(RuntimeOptions options) {
  auto runtime = std::make_unique<Runtime>();
  auto opened = ledger::Ledger::open(options.ledgerPath.empty() ? defaultLedgerPath() : options.ledgerPath);
  if (!opened) return opened.error();
  runtime->ledger = std::move(*opened);
  runtime->providers = std::make_unique<ProviderRegistry>(std::move(options.providers));
  runtime->bootstrapper = std::make_unique<AgentBootstrapper>(std::move(options.agent));
  runtime->controller = std::make_unique<Controller>(*runtime->ledger, *runtime->providers, *runtime->bootstrapper,
                                                     runtime->clock, options.controller);
  return runtime;
}

}  // namespace spotwise::jobs
