#pragma once

#include <iosfwd>

namespace spotwise::cli {

/**
 * Runs `spotwise-cli` with the given arguments, writing results to `out` and diagnostics to `err`.
 * Returns the process exit code: 0 success, 1 operation failed, 2 usage error.
 * In-process and free of globals, so tests drive it directly.
 */
int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace spotwise::cli
