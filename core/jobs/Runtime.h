#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/auth/TokenSource.h"
#include "core/cloud/local/LocalProvider.h"
#include "core/common/Result.h"
#include "core/http/HttpClient.h"
#include "core/jobs/AgentBootstrapper.h"
#include "core/jobs/CloudAccounts.h"
#include "core/jobs/Clock.h"
#include "core/jobs/Controller.h"
#include "core/ledger/Ledger.h"

namespace spotwise::jobs {

/** $XDG_DATA_HOME/spotwise, else ~/.local/share/spotwise (the ledger and the Local provider live here). */
std::filesystem::path defaultDataHome();
/** $SPOTWISE_LEDGER, else <data home>/ledger.sqlite. */
std::filesystem::path defaultLedgerPath();
/** $SPOTWISE_LOCAL_ROOT, else <data home>/local. */
std::filesystem::path defaultLocalRoot();

/** What the providers of a runtime are built from. */
struct ProviderRegistryOptions {
  std::filesystem::path localRoot;             ///< the Local provider's instances; empty = defaultLocalRoot()
  cloud::local::PreemptionRehearsal rehearsal;  ///< notices for Local instances launched from here
  /** AWS, Azure and GCP account settings; empty fields come from the environment, then defaults. */
  CloudSettings clouds;
  /**
   * The embedding program's secrets (the app: its keychain). Null, or a field left empty: the
   * cloud's standard chain (AWS environment/profiles/STS, Azure service-principal environment,
   * GCP GOOGLE_APPLICATION_CREDENTIALS/ADC).
   */
  CredentialsSource credentials;
  EnvironmentLookup environment;           ///< null: the process environment
  http::HttpClient* httpClient = nullptr;  ///< null: a libcurl client owned by the registry
};

/**
 * The providers the CLI and the app drive, built on first use and owned here. Local runs
 * everything on this computer: one LocalProvider per bucket folder, all sharing one instance root,
 * so listing one of them lists every Local instance. AWS, Azure and GCP providers are built from
 * the settings and credentials (one per job bucket / storage account; temporary AWS credentials
 * are resolved again shortly before they expire). A cloud that is not configured gives a clear
 * error naming what to set ("AWS: no credentials: set AWS_PROFILE ... or add an account in Accounts").
 */
class ProviderRegistry final : public ProviderDirectory {
 public:
  explicit ProviderRegistry(ProviderRegistryOptions options);
  ~ProviderRegistry() override;
  ProviderRegistry(const ProviderRegistry&) = delete;
  ProviderRegistry& operator=(const ProviderRegistry&) = delete;

  Result<cloud::Provider*> providerFor(const JobSpec& spec) override;
  /**
   * Local, plus one provider for each cloud whose credentials are found (for reconciliation: each
   * cloud is listed once). A cloud whose configuration is broken is left out and named in unavailable().
   */
  std::vector<cloud::Provider*> allProviders() override;
  /** AWS: the latest DescribeSpotPriceHistory record for the attempt's type in its zone; nullopt elsewhere. */
  Result<std::optional<SpotPriceQuote>> currentSpotPrice(const JobSpec& spec, const ledger::AttemptRecord& attempt) override;
  /** Local: the rehearsal's time-lapse (simulated seconds per real second); 1 on the clouds. */
  double billingTimeLapse(const JobSpec& spec) override;
  /** The Local provider of the default bucket (for rehearsal controls such as "Preempt now"). */
  Result<cloud::local::LocalProvider*> local();
  /** A cloud's provider without a job bucket (compute and listing only): "aws", "azure", "gcp". */
  Result<cloud::Provider*> cloud(std::string_view provider);
  /** Clouds left out of the last allProviders() and why ("aws" → "AWS: profile 'x' is not in ..."). */
  [[nodiscard]] const std::map<std::string, std::string>& unavailable() const { return m_unavailable; }

  [[nodiscard]] const std::filesystem::path& localRoot() const { return m_options.localRoot; }
  [[nodiscard]] const CloudSettings& cloudSettings() const { return m_settings; }

 private:
  struct Built;
  Result<cloud::local::LocalProvider*> localFor(const std::string& bucket);
  Result<cloud::Provider*> cloudFor(const std::string& provider, const std::string& bucket);
  Result<std::unique_ptr<Built>> build(const std::string& provider, const std::string& bucket);

  ProviderRegistryOptions m_options;
  CloudSettings m_settings;
  std::unique_ptr<http::HttpClient> m_ownedClient;
  http::HttpClient* m_client = nullptr;
  std::map<std::string, std::unique_ptr<cloud::local::LocalProvider>> m_local;
  std::map<std::string, std::unique_ptr<Built>> m_clouds;  ///< "aws|bucket" → provider
  std::vector<std::unique_ptr<Built>> m_retired;          ///< replaced after a credential refresh; kept alive for callers' pointers
  std::map<std::string, std::string> m_unavailable;
};

/** Options of a jobs runtime (ledger + providers + controller). */
struct RuntimeOptions {
  std::filesystem::path ledgerPath;  ///< empty = defaultLedgerPath()
  ProviderRegistryOptions providers;
  AgentBootstrapOptions agent;
  ControllerConfig controller;
};

/**
 * Everything that supervises jobs, wired together: the ledger, the providers, the agent
 * bootstrapper, the system clock and the controller. One per process (CLI command or app);
 * several processes may share the ledger. Thread-compatible, like the Controller.
 */
struct Runtime {
  std::unique_ptr<ledger::Ledger> ledger;
  std::unique_ptr<ProviderRegistry> providers;
  std::unique_ptr<AgentBootstrapper> bootstrapper;
  SystemClock clock;
  std::unique_ptr<Controller> controller;
};

/** Opens (creating when missing) the ledger and builds the runtime. */
Result<std::unique_ptr<Runtime>> openRuntime(RuntimeOptions options);

}  // namespace spotwise::jobs
