#pragma once

#include <filesystem>

namespace spotwise::ledger {

/** Spotwise's data folder for the CLI and the app: $XDG_DATA_HOME/spotwise, else ~/.local/share/spotwise. */
std::filesystem::path dataHome();

/** The job ledger every tool shares: $SPOTWISE_LEDGER, else dataHome()/ledger.sqlite. */
std::filesystem::path defaultLedgerPath();

}  // namespace spotwise::ledger
