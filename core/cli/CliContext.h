#pragma once

#include <iosfwd>

namespace CLI {
class App;
}

namespace spotwise::cli {

/** Streams and exit code shared by every command of one `spotwise-cli` run. */
struct CliContext {
  std::ostream& out;
  std::ostream& err;
  int exitCode = 0;  ///< set by the command that ran: 0 ok, 1 operation failed
};

// Each command group lives in its own file and adds its subcommands (with callbacks) to the app.
void addPricesCommands(CLI::App& app, CliContext& context);
void addJobsCommands(CLI::App& app, CliContext& context);
void addPlanCommands(CLI::App& app, CliContext& context);
void addAuthCommands(CLI::App& app, CliContext& context);

}  // namespace spotwise::cli
