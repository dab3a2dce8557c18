#pragma once

#include <filesystem>
#include <string_view>

#include "core/common/Result.h"

namespace spotwise {

/**
 * Replaces the file at `path` with `bytes` so that it is never seen half-written: the bytes go to
 * a temporary file in the same folder, are flushed to disk (fsync) and renamed over `path`.
 *
 * On failure the old file is untouched and the temporary file removed. Errors name `operation`,
 * the path and the reason: ResourceExhausted when the disk (or quota, or file-size limit) is full,
 * PermissionDenied for a read-only file system or folder, NotFound for a missing folder,
 * Unavailable otherwise. Thread-safe; concurrent writers of one path: the last rename wins.
 */
Result<void> writeFileAtomically(std::string_view operation, const std::filesystem::path& path,
                                 std::string_view bytes);

}  // namespace spotwise
