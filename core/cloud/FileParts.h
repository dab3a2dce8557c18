#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "core/cloud/Provider.h"
#include "core/common/Result.h"
#include "core/http/HttpClient.h"

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

/**
 * The ObjectInfo for `key` that a HEAD answer describes in its headers: Content-Length, ETag
 * (unquoted) and Last-Modified (an HTTP date), as S3 and Azure Blob both send them. A header that
 * is missing or unreadable leaves its field at 0 or empty. Never throws.
 */
ObjectInfo objectInfoFromHead(std::string_view key, const http::Response& response);

/**
 * One download as a store's call makes it: `onData` takes each chunk of the body (false aborts),
 * `onAttempt` runs before each attempt.
 */
using DownloadCall = std::function<Result<http::Response>(std::function<bool(std::string_view)> onData,
                                                          std::function<void()> onAttempt)>;

/**
 * Streams what `download` fetches into `file`, through `file` + ".part": each attempt starts the
 * partial file again, so a retried download never appends to a broken one. On failure the
 * partial file is removed and the download's Error returned, `file` untouched; on success the
 * partial file replaces `file` (an empty object gives an empty file). Internal, naming
 * `operation`, when the partial file cannot be written or renamed.
 */
Result<void> downloadToFile(std::string_view operation, const std::filesystem::path& file,
                            const DownloadCall& download);

}  // namespace spotwise::cloud
