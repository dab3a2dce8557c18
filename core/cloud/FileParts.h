#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/common/Result.h"

namespace spotwise::cloud {

/**
 * `length` bytes of `file` from `offset`: one part of a multipart (S3), block (Azure) or
 * resumable (GCS) upload, or the whole of a small file. Errors name `operation` and the file:
 * NotFound when it cannot be opened, DataLoss when it is shorter than expected (it changed while
 * uploading).
 */
Result<std::string> readFileRange(std::string_view operation, const std::filesystem::path& file, std::uint64_t offset,
                                  std::uint64_t length);

/** An ETag without the double quotes HTTP puts around it. */
std::string unquoteEtag(std::string etag);

}  // namespace spotwise::cloud
