#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/cloud/Provider.h"
#include "core/common/Result.h"

namespace spotwise::agent {

/** Limits for packing a job's code folder. */
struct CodeBundleOptions {
  std::uint64_t maxBytes = 1ull << 30;  ///< sum of the included files' sizes (before compression)
};

/** What would go into the bundle: shown to the user before launch. */
struct CodeScan {
  std::vector<std::string> files;  ///< '/'-separated, relative to the folder, sorted; files and symlinks
  std::uint64_t totalBytes = 0;    ///< sum of the files' sizes
  std::size_t ignoredEntries = 0;  ///< files and folders left out by the ignore rules (folders count once)
};

/** A packed bundle (`code.tar.gz`, pax/ustar + gzip). */
struct CodeBundle {
  std::filesystem::path archive;
  std::size_t fileCount = 0;
  std::uint64_t uncompressedBytes = 0;
  std::uint64_t archiveBytes = 0;  ///< the size that will be uploaded
  std::string sha256;              ///< hex digest of the archive
};

/**
 * Lists what packCodeFolder would include: everything under `folder` except `.git/` and what its
 * `.gitignore` / `.spotwiseignore` files exclude (see IgnoreRules). Symlinks are kept as links
 * and never followed. Errors: InvalidArgument when the folder does not exist, is not a folder or
 * exceeds options.maxBytes (with the size found); PermissionDenied when a folder cannot be read.
 */
Result<CodeScan> scanCodeFolder(const std::filesystem::path& folder, const CodeBundleOptions& options = {});

/**
 * Packs `folder` into `archive` (written to a temporary file, renamed when complete, so a failed
 * pack leaves no partial archive). Entries are sorted, owned by 0:0, keep their mode and mtime.
 * Errors: those of scanCodeFolder; PermissionDenied for an unreadable file; Internal for
 * libarchive failures; each names the file concerned.
 */
Result<CodeBundle> packCodeFolder(const std::filesystem::path& folder, const std::filesystem::path& archive,
                                  const CodeBundleOptions& options = {});

/**
 * Packs `folder` and uploads it as `<jobPrefix>/code.tar.gz`, then `<jobPrefix>/code.tar.gz.sha256`.
 * Idempotent: when the digest object already names the same bundle, nothing is uploaded again
 * (a retried launch or a relaunch re-uses it). The archive is built in `workDir` and removed.
 * Errors: those of packCodeFolder, and the store's (naming PutObject/HeadObject).
 */
Result<CodeBundle> uploadCodeBundle(const std::filesystem::path& folder, cloud::ObjectStore& store, std::string_view jobPrefix,
                                    const std::filesystem::path& workDir, const cloud::CallOptions& callOptions,
                                    const CodeBundleOptions& options = {});

/** "1.4 MB" style size for messages and the launch form (decimal units, like the clouds bill). */
std::string formatBytes(std::uint64_t bytes);

}  // namespace spotwise::agent
