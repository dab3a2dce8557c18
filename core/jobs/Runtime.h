#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/cloud/local/LocalProvider.h"
#include "core/common/Result.h"
#include "core/jobs/AgentBootstrapper.h"
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
};

/**
 * The providers the CLI and the app drive, built on first use and owned here. Local runs
 * everything on this computer: one LocalProvider per bucket folder, all sharing one instance root,
 * so listing one of them lists every Local instance.
 */
class ProviderRegistry final : public ProviderDirectory {
 public:
  explicit ProviderRegistry(ProviderRegistryOptions options);
  ~ProviderRegistry() override;
  ProviderRegistry(const ProviderRegistry&) = delete;
  ProviderRegistry& operator=(const ProviderRegistry&) = delete;

  Result<cloud::Provider*> providerFor(const JobSpec& spec) override;
  std::vector<cloud::Provider*> allProviders() override;
  /** The Local provider of the default bucket (for rehearsal controls such as "Preempt now"). */
  Result<cloud::local::LocalProvider*> local();

  [[nodiscard]] const std::filesystem::path& localRoot() const { return m_options.localRoot; }

 private:
  Result<cloud::local::LocalProvider*> localFor(const std::string& bucket);
  ProviderRegistryOptions m_options;
  std::map<std::string, std::unique_ptr<cloud::local::LocalProvider>> m_local;
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
