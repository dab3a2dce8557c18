#include "core/common/AtomicFile.h"

#include <atomic>
#include <cerrno>
#include <string>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

namespace spotwise {

namespace {

Error fileError(std::string_view operation, const std::string& what, const std::filesystem::path& path, int error) {
  ErrorCode code = ErrorCode::Unavailable;
  if (error == ENOSPC || error == EDQUOT || error == EFBIG) code = ErrorCode::ResourceExhausted;
  if (error == EACCES || error == EPERM || error == EROFS) code = ErrorCode::PermissionDenied;
  if (error == ENOENT || error == ENOTDIR) code = ErrorCode::NotFound;
  std::string reason = std::error_code(error, std::generic_category()).message();
  if (code == ErrorCode::ResourceExhausted) reason += " (disk full?)";
  return makeError(code, std::string(operation) + ": " + what + " " + path.string() + ": " + reason);
}

Result<void> writeAll(std::string_view operation, const std::filesystem::path& path, int fd, std::string_view bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fileError(operation, "writing", path, errno);
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

// A device, pipe or socket (/dev/stdout, a fifo): written in place, there is nothing to replace.
Result<void> writeInPlace(std::string_view operation, const std::filesystem::path& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fileError(operation, "cannot write", path, errno);
  auto written = writeAll(operation, path, fd, bytes);
  if (::close(fd) != 0 && written) return fileError(operation, "flushing", path, errno);
  return written;
}

}  // namespace

Result<void> writeFileAtomically(std::string_view operation, const std::filesystem::path& path,
                                 std::string_view bytes) {
  std::error_code ec;
  // Replace what a symbolic link points to, not the link.
  const std::filesystem::path target =
      std::filesystem::is_symlink(path, ec) ? std::filesystem::weakly_canonical(path, ec) : path;
  const auto status = std::filesystem::status(target, ec);
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    if (std::filesystem::is_directory(status)) {
      return makeError(ErrorCode::InvalidArgument, std::string(operation) + ": " + target.string() + " is a folder");
    }
    return writeInPlace(operation, target, bytes);
  }
  static std::atomic<unsigned> counter{0};
  const std::filesystem::path tmp =
      target.parent_path() /
      ("." + target.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return fileError(operation, "cannot write", target, errno);
  const auto fail = [&](const std::string& what, int error) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return fileError(operation, what, target, error);
  };
  if (auto written = writeAll(operation, target, fd, bytes); !written) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return written;
  }
  if (::fsync(fd) != 0) return fail("flushing", errno);
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(tmp.c_str());
    return fileError(operation, "flushing", target, error);
  }
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    const int error = errno;
    ::unlink(tmp.c_str());
    return fileError(operation, "cannot replace", target, error);
  }
  return {};
}

}  // namespace spotwise
