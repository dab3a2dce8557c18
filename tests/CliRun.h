#pragma once

// spotwise-cli run in-process through core/cli's run() (what app/'s main calls), with its exit
// code and what it wrote to stdout and stderr: the CLI tests' one way to call it.

#include <sstream>
#include <string>
#include <vector>

#include "core/cli/Cli.h"

namespace spotwise::test {

struct CliRun {
  int code = 0;
  std::string out;
  std::string err;
};

/** `spotwise-cli args...` in this process, with the test's own environment. */
inline CliRun runCli(const std::vector<std::string>& args) {
  std::vector<const char*> argv{"spotwise-cli"};
  for (const auto& arg : args) argv.push_back(arg.c_str());
  std::ostringstream out;
  std::ostringstream err;
  const int code = cli::run(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

}  // namespace spotwise::test
