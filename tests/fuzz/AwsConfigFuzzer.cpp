// ~/.aws/credentials and ~/.aws/config on arbitrary bytes: parseAwsIni never crashes, and
// resolveAwsCredentials over the same text as both files (profiles, source_profile chains,
// credential_process whose output is the same text) ends with credentials or an Error, never
// loops or crashes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <unistd.h>

#include "FuzzChecks.h"
#include "core/auth/aws/AwsConfig.h"

namespace {

/** The scratch file both AWS files point at, removed at exit (never destroyed before that). */
const std::string& scratchFile() {
  static const std::string* const file = [] {
    auto* path = new std::string(
        (std::filesystem::temp_directory_path() / ("spotwise-fuzz-aws-" + std::to_string(::getpid()))).string());
    std::atexit([] { std::filesystem::remove(scratchFile()); });
    return path;
  }();
  return *file;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spotwise;
  const auto text = fuzz::asText(data, size);
  if (const auto sections = auth::aws::parseAwsIni(text, "config"); fuzz::acceptedOrExplained(sections)) {
    for (const auto& section : *sections) {
      if (section.line < 1) std::abort();
    }
  }
  const std::string& file = scratchFile();
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  auth::aws::AwsResolverOptions options;
  options.env = [&file](const std::string& name) -> std::optional<std::string> {
    if (name == "AWS_SHARED_CREDENTIALS_FILE" || name == "AWS_CONFIG_FILE") return file;
    return std::nullopt;
  };
  options.runProcess = [text](const std::string&, const std::stop_token&) -> Result<std::string> {
    return std::string(text);
  };
  options.nowUnix = 1'790'000'000;
  for (const std::optional<std::string>& profile : {std::optional<std::string>(), std::optional<std::string>("dev")}) {
    const auto resolved = auth::aws::resolveAwsCredentials(options, profile);
    if (fuzz::acceptedOrExplained(resolved) && resolved->credentials.accessKeyId.empty()) std::abort();
  }
  (void)auth::aws::listAwsProfiles(options.env);
  return 0;
}
