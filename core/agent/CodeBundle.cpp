#include "core/agent/CodeBundle.h"

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <system_error>

#include <unistd.h>

#include "core/agent/IgnoreRules.h"

namespace fs = std::filesystem;

namespace spotwise::agent {
namespace {

Result<std::string> readSmallFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(ErrorCode::PermissionDenied, "PackCode: cannot read " + path.string());
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

struct Walker {
  fs::path root;
  const CodeBundleOptions& options;
  IgnoreRules rules;
  CodeScan scan;

  Result<void> walk(const fs::path& dir, const std::string& rel) {
    for (const char* name : {".gitignore", ".spotwiseignore"}) {
      std::error_code ec;
      if (fs::is_regular_file(dir / name, ec)) {
        auto text = readSmallFile(dir / name);
        if (!text) return text.error();
        rules.add(*text, rel);
      }
    }
    std::vector<fs::directory_entry> entries;
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) return makeError(ErrorCode::PermissionDenied, "PackCode: cannot list " + dir.string() + ": " + ec.message());
    for (const auto& entry : it) entries.push_back(entry);
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
    for (const auto& entry : entries) {
      const std::string name = entry.path().filename().string();
      const std::string childRel = rel.empty() ? name : rel + "/" + name;
      const bool isLink = entry.is_symlink(ec);
      const bool isDir = !isLink && entry.is_directory(ec);
      if ((isDir && name == ".git") || rules.isIgnored(childRel, isDir)) {
        ++scan.ignoredEntries;
        continue;
      }
      if (isDir) {
        if (auto ok = walk(entry.path(), childRel); !ok) return ok;
      } else if (isLink || entry.is_regular_file(ec)) {
        scan.files.push_back(childRel);
        if (!isLink) scan.totalBytes += entry.file_size(ec);
        if (scan.totalBytes > options.maxBytes) {
          return makeError(ErrorCode::InvalidArgument,
                           "PackCode: code folder " + root.string() + " holds more than " + formatBytes(options.maxBytes) +
                               " after its ignore rules (reached at " + childRel +
                               "); leave data and outputs out with .spotwiseignore");
        }
      } else {
        ++scan.ignoredEntries;  // sockets, fifos, devices: nothing a job's code needs
      }
    }
    return {};
  }
};

struct ArchiveWriteDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};

}  // namespace

std::string formatBytes(std::uint64_t bytes) {
  static constexpr std::array<const char*, 5> kUnits{"B", "kB", "MB", "GB", "TB"};
  auto value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1000.0 && unit + 1 < kUnits.size()) {
    value /= 1000.0;
    ++unit;
  }
  char text[32];
  if (unit == 0) std::snprintf(text, sizeof text, "%llu B", static_cast<unsigned long long>(bytes));
  else std::snprintf(text, sizeof text, "%.1f %s", value, kUnits[unit]);
  return text;
}

Result<CodeScan> scanCodeFolder(const fs::path& folder, const CodeBundleOptions& options) {
  std::error_code ec;
  if (folder.empty() || !fs::exists(folder, ec))
    return makeError(ErrorCode::InvalidArgument, "PackCode: code folder '" + folder.string() + "' does not exist");
  if (!fs::is_directory(folder, ec))
    return makeError(ErrorCode::InvalidArgument, "PackCode: '" + folder.string() + "' is not a folder");
  Walker walker{fs::absolute(folder, ec), options, {}, {}};
  if (auto ok = walker.walk(walker.root, ""); !ok) return ok.error();
  return std::move(walker.scan);
}

Result<CodeBundle> packCodeFolder(const fs::path& folder, const fs::path& archivePath, const CodeBundleOptions& options) {
  auto scan = scanCodeFolder(folder, options);
  if (!scan) return scan.error();
  const fs::path root = fs::absolute(folder);
  const fs::path tmp = archivePath.string() + ".partial";
  std::unique_ptr<archive, ArchiveWriteDeleter> a(archive_write_new());
  auto fail = [&](ErrorCode code, const std::string& what) {
    // Copied first: the string lives inside the archive object that archive_write_free() releases.
    const char* error = archive_error_string(a.get());
    const std::string detail = error ? std::string(": ") + error : std::string();
    archive_write_free(a.release());
    std::error_code ec;
    fs::remove(tmp, ec);
    return makeError(code, "PackCode: " + what + detail);
  };
  archive_write_set_format_pax_restricted(a.get());
  archive_write_add_filter_gzip(a.get());
  archive_write_set_filter_option(a.get(), "gzip", "timestamp", nullptr);
  if (archive_write_open_filename(a.get(), tmp.c_str()) != ARCHIVE_OK)
    return fail(ErrorCode::PermissionDenied, "cannot write " + tmp.string());

  CodeBundle bundle;
  std::vector<char> buffer(1 << 16);
  for (const std::string& rel : scan->files) {
    const fs::path path = root / rel;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return fail(ErrorCode::PermissionDenied, "cannot stat " + path.string());
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(entry.get(), rel.c_str());
    archive_entry_set_perm(entry.get(), st.st_mode & 0777);
    archive_entry_set_mtime(entry.get(), st.st_mtim.tv_sec, 0);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    if (S_ISLNK(st.st_mode)) {
      std::error_code ec;
      const fs::path target = fs::read_symlink(path, ec);
      if (ec) return fail(ErrorCode::PermissionDenied, "cannot read link " + path.string());
      archive_entry_set_filetype(entry.get(), AE_IFLNK);
      archive_entry_set_symlink(entry.get(), target.c_str());
      if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK) return fail(ErrorCode::Internal, "writing " + rel);
      ++bundle.fileCount;
      continue;
    }
    std::FILE* in = std::fopen(path.c_str(), "rb");
    if (!in) return fail(ErrorCode::PermissionDenied, "cannot read " + path.string());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_size(entry.get(), st.st_size);
    if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK) {
      (void)std::fclose(in);  // opened for reading: nothing to flush
      return fail(ErrorCode::Internal, "writing " + rel);
    }
    std::uint64_t written = 0;
    for (std::size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), in)) > 0;) {
      // A file that grew since stat() is cut at its declared size: the tar header is already out.
      n = static_cast<std::size_t>(std::min<std::uint64_t>(n, static_cast<std::uint64_t>(st.st_size) - written));
      if (n == 0) break;
      if (archive_write_data(a.get(), buffer.data(), n) < 0) {
        (void)std::fclose(in);
        return fail(ErrorCode::Internal, "writing " + rel);
      }
      written += n;
    }
    const bool readError = std::ferror(in) != 0;
    (void)std::fclose(in);
    if (readError) return fail(ErrorCode::PermissionDenied, "cannot read " + path.string());
    bundle.uncompressedBytes += written;
    ++bundle.fileCount;
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) return fail(ErrorCode::Internal, "finishing " + tmp.string());
  a.reset();

  // Digest of the finished archive: lets the uploader skip an identical bundle.
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr);
  std::FILE* in = std::fopen(tmp.c_str(), "rb");
  if (!in) return makeError(ErrorCode::Internal, "PackCode: cannot reopen " + tmp.string());
  for (std::size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), in)) > 0;) {
    EVP_DigestUpdate(md.get(), buffer.data(), n);
    bundle.archiveBytes += n;
  }
  const bool digestReadError = std::ferror(in) != 0;
  (void)std::fclose(in);
  if (digestReadError) return makeError(ErrorCode::Internal, "PackCode: cannot read back " + tmp.string());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digestLength = 0;
  EVP_DigestFinal_ex(md.get(), digest, &digestLength);
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < digestLength; ++i) {
    bundle.sha256 += kHex[digest[i] >> 4];
    bundle.sha256 += kHex[digest[i] & 15];
  }
  std::error_code ec;
  fs::rename(tmp, archivePath, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return makeError(ErrorCode::PermissionDenied, "PackCode: cannot create " + archivePath.string() + ": " + ec.message());
  }
  bundle.archive = archivePath;
  return bundle;
}

Result<CodeBundle> uploadCodeBundle(const fs::path& folder, cloud::ObjectStore& store, std::string_view jobPrefix,
                                    const fs::path& workDir, const cloud::CallOptions& callOptions, const CodeBundleOptions& options) {
  std::error_code ec;
  fs::create_directories(workDir, ec);
  const std::string prefix = jobPrefix.empty() ? std::string() : std::string(jobPrefix) + "/";
  const fs::path archive = workDir / ("code-" + std::to_string(::getpid()) + ".tar.gz");
  auto bundle = packCodeFolder(folder, archive, options);
  if (!bundle) return bundle.error();
  struct Cleanup {
    fs::path path;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove(path, ignored);
    }
  } cleanup{archive};
  auto existing = store.get(prefix + "code.tar.gz.sha256", callOptions);
  if (existing && *existing == bundle->sha256) {
    auto head = store.head(prefix + "code.tar.gz", callOptions);
    if (head && head->size == bundle->archiveBytes) return std::move(*bundle);  // already there
  }
  if (auto ok = store.putFile(prefix + "code.tar.gz", archive, callOptions); !ok) return ok.error();
  if (auto ok = store.put(prefix + "code.tar.gz.sha256", bundle->sha256, callOptions); !ok) return ok.error();
  return std::move(*bundle);
}

}  // namespace spotwise::agent
