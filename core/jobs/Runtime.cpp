#include "core/jobs/Runtime.h"

#include <cstdlib>
#include <system_error>

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

ProviderRegistry::ProviderRegistry(ProviderRegistryOptions options) : m_options(std::move(options)) {
  if (m_options.localRoot.empty()) m_options.localRoot = defaultLocalRoot();
}

ProviderRegistry::~ProviderRegistry() = default;

Result<cloud::Provider*> ProviderRegistry::providerFor(const JobSpec& spec) {
  if (spec.offer.provider != "local") {
    return makeError(ErrorCode::FailedPrecondition,
                     "provider " + spec.offer.provider +
                         " is not available in this build: use the Local provider (offer.provider \"local\", "
                         "storage local:///folder)");
  }
  auto location = parseStorageLocation(spec.storage);
  if (!location) return location.error();
  auto provider = localFor(location->bucket);
  if (!provider) return provider.error();
  return static_cast<cloud::Provider*>(*provider);
}

std::vector<cloud::Provider*> ProviderRegistry::allProviders() {
  auto provider = local();
  return provider ? std::vector<cloud::Provider*>{*provider} : std::vector<cloud::Provider*>{};
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
