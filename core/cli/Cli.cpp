#include "core/cli/Cli.h"

#include <ostream>

#include <CLI/CLI.hpp>

#include "core/cli/CliContext.h"
#include "core/common/Version.h"

namespace spotwise::cli {

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"Spotwise: compare, plan and run ML training on spot GPUs", "spotwise-cli"};
  app.set_version_flag("--version", std::string("spotwise-cli ") + kVersion);
  app.require_subcommand(1);
  CliContext context{out, err};

  addPricesCommands(app, context);
  addJobsCommands(app, context);
  addPlanCommands(app, context);
  addAuthCommands(app, context);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version "fail" with exit code 0; every real parse error is a usage error (2).
    return app.exit(e, out, err) == 0 ? 0 : 2;
  }
  return context.exitCode;
}

}  // namespace spotwise::cli
