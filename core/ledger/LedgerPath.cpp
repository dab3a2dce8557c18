#include "core/ledger/LedgerPath.h"

#include <cstdlib>

namespace spotwise::ledger {

std::filesystem::path dataHome() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return std::filesystem::path(xdg) / "spotwise";
  if (const char* home = std::getenv("HOME"); home && *home) return std::filesystem::path(home) / ".local" / "share" / "spotwise";
  return std::filesystem::current_path() / ".spotwise";
}

std::filesystem::path defaultLedgerPath() {
  if (const char* env = std::getenv("SPOTWISE_LEDGER"); env && *env) return env;
  return dataHome() / "ledger.sqlite";
}

}  // namespace spotwise::ledger
