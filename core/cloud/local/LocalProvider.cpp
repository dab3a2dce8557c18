#include "core/cloud/local/LocalProvider.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <system_error>
#include <thread>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
using nlohmann::json;

namespace spotwise::cloud::local {
namespace embedded {
std::string_view localInstance();  // resources/local/local_instance.py (EmbedFile.cmake)
}  // namespace embedded

std::string_view localInstanceScript() { return embedded::localInstance(); }

namespace {

constexpr std::string_view kRegion = "local";
constexpr std::string_view kPriceTag = "spotwise-price-per-hour";
/** How long a sandbox whose instance has not recorded its pid yet counts as launching. */
constexpr double kLaunchGraceSeconds = 30.0;

double nowUnix() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Result<void> checkCall(std::string_view operation, const CallOptions& options) {
  if (options.stop.stop_requested()) return makeError(ErrorCode::Cancelled, std::string(operation) + ": cancelled");
  if (std::chrono::steady_clock::now() > options.deadline)
    return makeError(ErrorCode::DeadlineExceeded, std::string(operation) + ": deadline passed before the call");
  return {};
}

std::string errnoText(int error) { return std::error_code(error, std::generic_category()).message(); }

/** Writes a file next to its final name, fsyncs it and renames it into place. */
Result<void> writeAtomic(std::string_view operation, const fs::path& path, std::string_view bytes) {
  static std::atomic<unsigned> counter{0};
  const fs::path tmp = path.parent_path() / ("." + path.filename().string() + ".spotwise-tmp-" + std::to_string(::getpid()) +
                                             "-" + std::to_string(counter++));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return makeError(errno == EACCES || errno == EROFS ? ErrorCode::PermissionDenied : ErrorCode::Unavailable,
                               std::string(operation) + ": cannot write " + path.string() + ": " + errnoText(errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return makeError(ErrorCode::Unavailable, std::string(operation) + ": writing " + path.string() + ": " + errnoText(error));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return makeError(ErrorCode::Unavailable, std::string(operation) + ": flushing " + path.string() + ": " + errnoText(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(tmp.c_str());
    return makeError(ErrorCode::PermissionDenied, std::string(operation) + ": cannot replace " + path.string() + ": " + errnoText(error));
  }
  return {};
}

Result<std::string> readFile(std::string_view operation, const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return makeError(ErrorCode::NotFound, std::string(operation) + ": " + path.string() + " does not exist");
    return makeError(ErrorCode::PermissionDenied, std::string(operation) + ": cannot read " + path.string());
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool isTempName(const std::string& name) {
  return name.find(".spotwise-tmp-") != std::string::npos || name.find(".part-") != std::string::npos ||
         name.find(".tmp-") != std::string::npos;
}

/** /proc/<pid>/stat fields we need; nullopt when the process does not exist. */
struct ProcStat {
  char state = '?';
  int sid = 0;
  unsigned long long startTicks = 0;
};

std::optional<ProcStat> procStat(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!in || !std::getline(in, text)) return std::nullopt;
  const std::size_t close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 2));
  std::vector<std::string> f;
  for (std::string field; fields >> field;) f.push_back(field);
  if (f.size() < 20) return std::nullopt;
  ProcStat st;
  st.state = f[0].empty() ? '?' : f[0][0];
  st.sid = std::stoi(f[3]);
  st.startTicks = std::stoull(f[19]);
  return st;
}

std::vector<int> sessionMembers(int sid) {
  std::vector<int> pids;
  if (sid <= 1) return pids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const int pid = std::stoi(name);
    auto st = procStat(pid);
    if (st && st->sid == sid && st->state != 'Z' && pid != ::getpid()) pids.push_back(pid);
  }
  return pids;
}

/** Kills every process of a session until none is left (bounded). */
void killSession(int sid) {
  for (int round = 0; round < 200; ++round) {
    auto pids = sessionMembers(sid);
    if (pids.empty()) return;
    for (int pid : pids) ::kill(pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

EndReason parseEndReason(const std::string& text) {
  if (text == "user") return EndReason::User;
  if (text == "spot-interruption") return EndReason::SpotInterruption;
  if (text == "error") return EndReason::Error;
  if (text == "none") return EndReason::None;
  return EndReason::Unknown;
}

std::optional<json> readJson(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  json doc = json::parse(in, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  return doc;
}

std::string randomHex(std::size_t digits) {
  std::random_device device;
  std::string out;
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < digits; ++i) out += kHex[device() & 15];
  return out;
}

int launcherPid(const fs::path& dir) {
  std::ifstream in(dir / "launcher.pid");
  int pid = 0;
  return (in >> pid) ? pid : 0;
}

bool safeInstanceId(std::string_view id) {
  return !id.empty() && id.size() < 80 && id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string_view::npos;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// LocalObjectStore

LocalObjectStore::LocalObjectStore(fs::path root) : m_root(std::move(root)) {}

Result<fs::path> LocalObjectStore::pathFor(std::string_view operation, std::string_view key) const {
  const std::string op(operation);
  if (key.empty() || key.front() == '/' || key.back() == '/' || key.find('\0') != std::string_view::npos)
    return makeError(ErrorCode::InvalidArgument, op + ": key '" + std::string(key) + "' is not a valid object key");
  std::size_t start = 0;
  while (start <= key.size()) {
    std::size_t slash = key.find('/', start);
    if (slash == std::string_view::npos) slash = key.size();
    const std::string_view part = key.substr(start, slash - start);
    if (part.empty() || part == "." || part == ".." || isTempName(std::string(part)))
      return makeError(ErrorCode::InvalidArgument, op + ": key '" + std::string(key) + "' is not a valid object key");
    start = slash + 1;
  }
  std::error_code ec;
  if (!fs::is_directory(m_root, ec))
    return makeError(ErrorCode::NotFound, op + ": bucket folder " + m_root.string() + " does not exist");
  return m_root / fs::path(std::string(key));
}

Result<void> LocalObjectStore::put(std::string_view key, std::string_view bytes, const CallOptions& options) {
  if (auto ok = checkCall("PutObject", options); !ok) return ok;
  auto path = pathFor("PutObject", key);
  if (!path) return path.error();
  std::error_code ec;
  fs::create_directories(path->parent_path(), ec);
  if (ec) return makeError(ErrorCode::PermissionDenied, "PutObject: cannot create " + path->parent_path().string() + ": " + ec.message());
  return writeAtomic("PutObject", *path, bytes);
}

Result<void> LocalObjectStore::putFile(std::string_view key, const fs::path& file, const CallOptions& options) {
  auto bytes = readFile("PutObject", file);
  if (!bytes) return bytes.error();
  return put(key, *bytes, options);
}

Result<std::string> LocalObjectStore::get(std::string_view key, const CallOptions& options) {
  if (auto ok = checkCall("GetObject", options); !ok) return ok.error();
  auto path = pathFor("GetObject", key);
  if (!path) return path.error();
  std::error_code ec;
  if (!fs::is_regular_file(*path, ec))
    return makeError(ErrorCode::NotFound, "GetObject: no object '" + std::string(key) + "' in " + m_root.string());
  return readFile("GetObject", *path);
}

Result<void> LocalObjectStore::getFile(std::string_view key, const fs::path& file, const CallOptions& options) {
  auto bytes = get(key, options);
  if (!bytes) return bytes.error();
  std::error_code ec;
  if (file.has_parent_path()) fs::create_directories(file.parent_path(), ec);
  return writeAtomic("GetObject", file, *bytes);
}

Result<ObjectInfo> LocalObjectStore::head(std::string_view key, const CallOptions& options) {
  if (auto ok = checkCall("HeadObject", options); !ok) return ok.error();
  auto path = pathFor("HeadObject", key);
  if (!path) return path.error();
  struct stat st {};
  if (::stat(path->c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return makeError(ErrorCode::NotFound, "HeadObject: no object '" + std::string(key) + "' in " + m_root.string());
  ObjectInfo info;
  info.key = std::string(key);
  info.size = static_cast<std::uint64_t>(st.st_size);
  info.modifiedUnix = st.st_mtim.tv_sec;
  info.etag = std::to_string(st.st_size) + "-" + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) +
              "-" + std::to_string(st.st_ino);
  return info;
}

Result<std::vector<ObjectInfo>> LocalObjectStore::list(std::string_view prefix, const CallOptions& options) {
  if (auto ok = checkCall("ListObjects", options); !ok) return ok.error();
  std::error_code ec;
  if (!fs::is_directory(m_root, ec))
    return makeError(ErrorCode::NotFound, "ListObjects: bucket folder " + m_root.string() + " does not exist");
  std::vector<ObjectInfo> out;
  // Start at the deepest folder the prefix names, so listing one job does not walk the bucket.
  fs::path start = m_root;
  const std::size_t lastSlash = prefix.rfind('/');
  if (lastSlash != std::string_view::npos) start = m_root / std::string(prefix.substr(0, lastSlash));
  if (!fs::is_directory(start, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(start, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec) || isTempName(it->path().filename().string())) continue;
    const std::string key = fs::relative(it->path(), m_root, ec).generic_string();
    if (!key.starts_with(prefix)) continue;
    auto info = head(key, options);
    if (info) out.push_back(std::move(*info));
  }
  if (ec) return makeError(ErrorCode::PermissionDenied, "ListObjects: cannot list " + start.string() + ": " + ec.message());
  std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

Result<void> LocalObjectStore::remove(std::string_view key, const CallOptions& options) {
  if (auto ok = checkCall("DeleteObject", options); !ok) return ok;
  auto path = pathFor("DeleteObject", key);
  if (!path) return path.error();
  std::error_code ec;
  fs::remove(*path, ec);
  if (ec) return makeError(ErrorCode::PermissionDenied, "DeleteObject: cannot remove " + path->string() + ": " + ec.message());
  return {};
}

// ---------------------------------------------------------------------------------------------
// LocalCompute

LocalCompute::LocalCompute(LocalProviderOptions options) : m_options(std::move(options)) {}

fs::path LocalCompute::sandbox(std::string_view instanceId) const { return instancesDir() / std::string(instanceId); }

Result<Instance> LocalCompute::read(std::string_view instanceId) const {
  Instance inst;
  inst.id = std::string(instanceId);
  inst.region = std::string(kRegion);
  if (!safeInstanceId(instanceId)) {
    inst.state = InstanceState::Terminated;
    inst.endReason = EndReason::Unknown;
    inst.stateMessage = "no such local instance";
    return inst;
  }
  const fs::path dir = sandbox(instanceId);
  auto meta = readJson(dir / "instance.json");
  if (!meta) {
    inst.state = InstanceState::Terminated;
    inst.endReason = EndReason::Unknown;
    inst.stateMessage = "no such local instance";
    return inst;
  }
  inst.zone = "local-a";
  inst.instanceType = meta->value("instanceType", "");
  inst.jobId = meta->value("jobId", "");
  inst.attempt = meta->value("attempt", 0);
  inst.spot = meta->value("spot", true);
  inst.launchedAtUnix = static_cast<std::int64_t>(meta->value("launchedAtUnix", 0.0));

  auto runtime = readJson(dir / "runtime.json");
  std::error_code ec;
  const bool terminating = fs::exists(dir / "control" / "terminate", ec);
  if (!runtime) {
    // Not booted yet: alive while the launcher's pid is. Without a pid yet, the launch is still
    // between its fork and the instance's first write: pending for a while, not gone (calling it
    // Terminated let a stop close the job while the machine was about to boot — an orphan).
    const int pid = launcherPid(dir);
    auto st = pid > 0 ? procStat(pid) : std::nullopt;
    const bool launching = pid == 0 && nowUnix() - meta->value("launchedAtUnix", 0.0) < kLaunchGraceSeconds;
    if ((st && st->state != 'Z') || launching) {
      inst.state = terminating ? InstanceState::Stopping : InstanceState::Pending;
      inst.stateMessage = launching ? "launching" : "booting";
    } else {
      inst.state = InstanceState::Terminated;
      inst.endReason = EndReason::Error;
      inst.stateMessage = "the local instance process exited before booting (see " + (dir / "hypervisor.log").string() + ")";
    }
    return inst;
  }
  const std::string state = runtime->value("state", "pending");
  const int pid = runtime->value("pid", 0);
  auto st = pid > 0 ? procStat(pid) : std::nullopt;
  const bool supervisorAlive = st && st->state != 'Z' && st->startTicks == runtime->value("startTicks", 0ULL);
  if (state == "terminated") {
    // Terminated means nothing is left: until the supervisor itself has exited, it is Stopping.
    inst.state = supervisorAlive ? InstanceState::Stopping : InstanceState::Terminated;
    inst.endReason = supervisorAlive ? EndReason::None : parseEndReason(runtime->value("endReason", "unknown"));
    inst.stateMessage = runtime->value("stateMessage", "");
    if (!supervisorAlive && (*runtime)["endedAtUnix"].is_number()) {
      inst.endedAtMs = static_cast<std::int64_t>((*runtime)["endedAtUnix"].get<double>() * 1000.0);
    }
    return inst;
  }
  if (!supervisorAlive) {
    inst.state = InstanceState::Terminated;
    inst.endReason = EndReason::Unknown;
    inst.stateMessage = "the local instance process vanished";
    return inst;
  }
  inst.state = terminating ? InstanceState::Stopping : (state == "running" ? InstanceState::Running : InstanceState::Pending);
  inst.stateMessage = runtime->value("stateMessage", "");
  return inst;
}

Result<Instance> LocalCompute::launch(const LaunchSpec& spec, const CallOptions& options) {
  if (auto ok = checkCall("RunInstances", options); !ok) return ok.error();
  if (spec.jobId.empty() || spec.attempt < 1)
    return makeError(ErrorCode::InvalidArgument, "RunInstances: a job id and an attempt >= 1 are required");
  if (spec.startupScript.empty()) return makeError(ErrorCode::InvalidArgument, "RunInstances: the startup script is empty");
  if (m_options.root.empty()) return makeError(ErrorCode::InvalidArgument, "RunInstances: the Local provider has no root folder");
  std::error_code ec;
  fs::create_directories(instancesDir(), ec);
  if (ec) return makeError(ErrorCode::PermissionDenied, "RunInstances: cannot create " + instancesDir().string() + ": " + ec.message());

  // Idempotent per (job, attempt): a retried launch returns the instance the first one started.
  const std::string token = spec.clientToken();
  for (const auto& entry : fs::directory_iterator(instancesDir(), ec)) {
    auto meta = readJson(entry.path() / "instance.json");
    if (meta && meta->value("clientToken", "") == token) return read(entry.path().filename().string());
  }

  const fs::path script = m_options.root / "local_instance.py";
  auto current = readFile("RunInstances", script);
  if (!current || *current != localInstanceScript()) {
    if (auto ok = writeAtomic("RunInstances", script, localInstanceScript()); !ok) return ok.error();
  }

  const std::string id = "local-" + randomHex(12);
  const fs::path dir = sandbox(id);
  fs::create_directories(dir / "control", ec);
  if (ec) return makeError(ErrorCode::PermissionDenied, "RunInstances: cannot create " + dir.string() + ": " + ec.message());
  if (auto ok = writeAtomic("RunInstances", dir / "user-data.sh", spec.startupScript); !ok) return ok.error();

  double price = spec.maxPricePerHour.value_or(0.0);
  if (auto it = spec.extraTags.find(std::string(kPriceTag)); it != spec.extraTags.end()) {
    try {
      price = std::stod(it->second);
    } catch (...) {
      return makeError(ErrorCode::InvalidArgument, "RunInstances: tag " + std::string(kPriceTag) + " '" + it->second + "' is not a number");
    }
  }
  json tags = json::object();
  for (const auto& [k, v] : spec.extraTags) tags[k] = v;
  tags[std::string(kJobTag)] = spec.jobId;
  tags[std::string(kAttemptTag)] = std::to_string(spec.attempt);
  json rehearsal = {{"hazardPerHour", m_options.rehearsal.hazardPerHour},
                    {"timeLapse", m_options.rehearsal.timeLapse},
                    {"noticeSeconds", m_options.rehearsal.noticeSeconds}};
  if (m_options.rehearsal.seed) rehearsal["seed"] = *m_options.rehearsal.seed;
  json env = json::object();
  for (const auto& [k, v] : m_options.instanceEnvironment) env[k] = v;
  const double launchedAt = nowUnix();

  json meta = {{"id", id},
               {"jobId", spec.jobId},
               {"attempt", spec.attempt},
               {"clientToken", token},
               {"instanceType", spec.instanceType.empty() ? "local" : spec.instanceType},
               {"spot", spec.spot},
               {"image", spec.image},
               {"pricePerHour", price},
               {"launchedAtUnix", launchedAt},
               {"tags", tags},
               {"rehearsal", rehearsal},
               {"environment", env}};
  if (auto ok = writeAtomic("RunInstances", dir / "instance.json", meta.dump(1)); !ok) return ok.error();

  // Double fork: the instance runs in its own session, is not our child (no zombie, survives us).
  int pipeFds[2];
  if (::pipe2(pipeFds, O_CLOEXEC) != 0) return makeError(ErrorCode::Unavailable, "RunInstances: pipe: " + errnoText(errno));
  const std::string logPath = (dir / "hypervisor.log").string();
  const std::string scriptPath = script.string();
  const std::string dirPath = dir.string();
  const std::string pidPath = (dir / "launcher.pid").string();
  const std::string pidTmpPath = pidPath + ".tmp";
  const pid_t child = ::fork();
  if (child < 0) {
    ::close(pipeFds[0]);
    ::close(pipeFds[1]);
    return makeError(ErrorCode::Unavailable, "RunInstances: fork: " + errnoText(errno));
  }
  if (child == 0) {
    const pid_t grandchild = ::fork();
    if (grandchild != 0) ::_exit(grandchild < 0 ? 1 : 0);
    ::setsid();
    const int devnull = ::open("/dev/null", O_RDONLY);
    const int log = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (devnull >= 0) ::dup2(devnull, 0);
    if (log >= 0) {
      ::dup2(log, 1);
      ::dup2(log, 2);
    }
    const pid_t self = ::getpid();
    // The instance records its own pid before it runs anything: a launching process killed
    // from here on (SIGKILL between fork and its own bookkeeping) cannot leave a machine that
    // describe() mistakes for one that never started. Only async-signal-safe calls until exec.
    char digits[16];
    int n = 0;
    for (pid_t v = self; v > 0 && n < 15; v /= 10) digits[n++] = static_cast<char>('0' + v % 10);
    char text[16];
    for (int i = 0; i < n; ++i) text[i] = digits[n - 1 - i];
    const int pidFd = ::open(pidTmpPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (pidFd >= 0) {
      (void)!::write(pidFd, text, static_cast<std::size_t>(n));
      ::close(pidFd);
      // Best effort: the parent records the pid again below, checked.
      if (::rename(pidTmpPath.c_str(), pidPath.c_str()) != 0) ::unlink(pidTmpPath.c_str());
    }
    (void)!::write(pipeFds[1], &self, sizeof self);
    const char* argv[] = {m_options.python.c_str(), scriptPath.c_str(), "--sandbox", dirPath.c_str(), nullptr};
    ::execvp(argv[0], const_cast<char* const*>(argv));
    const int error = errno;
    (void)!::write(pipeFds[1], &error, sizeof error);
    ::_exit(127);
  }
  ::close(pipeFds[1]);
  int status = 0;
  ::waitpid(child, &status, 0);
  pid_t instancePid = 0;
  int execError = 0;
  const bool gotPid = ::read(pipeFds[0], &instancePid, sizeof instancePid) == sizeof instancePid;
  const bool execFailed = ::read(pipeFds[0], &execError, sizeof execError) == sizeof execError;
  ::close(pipeFds[0]);
  if (!gotPid || execFailed) {
    fs::remove_all(dir, ec);
    return makeError(ErrorCode::FailedPrecondition,
                     "RunInstances: cannot start '" + m_options.python + "' for the local instance: " + errnoText(execFailed ? execError : ECHILD));
  }

  if (auto ok = writeAtomic("RunInstances", dir / "launcher.pid", std::to_string(instancePid)); !ok) {
    ::kill(instancePid, SIGKILL);
    return ok.error();
  }
  return read(id);
}

Result<std::vector<Instance>> LocalCompute::describe(const std::vector<InstanceRef>& refs, const CallOptions& options) {
  if (auto ok = checkCall("DescribeInstances", options); !ok) return ok.error();
  std::vector<Instance> out;
  for (const InstanceRef& ref : refs) {
    auto inst = read(ref.id);
    if (!inst) return inst.error();
    // A machine that is gone takes its processes with it, even when its supervisor was killed
    // (when the supervisor recorded the end itself, it already killed everything).
    if (inst->state == InstanceState::Terminated && inst->stateMessage == "the local instance process vanished") {
      auto runtime = readJson(sandbox(ref.id) / "runtime.json");
      if (runtime) killSession(runtime->value("sid", 0));
    }
    out.push_back(std::move(*inst));
  }
  return out;
}

Result<std::vector<Instance>> LocalCompute::listByTag(std::string_view jobId, const std::vector<std::string>& regions,
                                                      const CallOptions& options) {
  if (auto ok = checkCall("DescribeInstances", options); !ok) return ok.error();
  std::vector<Instance> out;
  if (!regions.empty() && std::find(regions.begin(), regions.end(), kRegion) == regions.end()) return out;
  std::error_code ec;
  if (!fs::is_directory(instancesDir(), ec)) return out;
  std::vector<std::string> ids;
  for (const auto& entry : fs::directory_iterator(instancesDir(), ec)) ids.push_back(entry.path().filename().string());
  std::sort(ids.begin(), ids.end());
  for (const std::string& id : ids) {
    auto inst = read(id);
    if (!inst || inst->stateMessage == "no such local instance") continue;
    if (!jobId.empty() && inst->jobId != jobId) continue;
    out.push_back(std::move(*inst));
  }
  return out;
}

Result<void> LocalCompute::terminate(const std::vector<InstanceRef>& refs, const CallOptions& options) {
  if (auto ok = checkCall("TerminateInstances", options); !ok) return ok;
  for (const InstanceRef& ref : refs) {
    if (!safeInstanceId(ref.id)) return makeError(ErrorCode::InvalidArgument, "TerminateInstances: '" + ref.id + "' is not a local instance id");
    const fs::path dir = sandbox(ref.id);
    std::error_code ec;
    if (!fs::exists(dir / "instance.json", ec)) continue;  // unknown: nothing to stop, as the clouds answer
    if (auto ok = writeAtomic("TerminateInstances", dir / "control" / "terminate", "terminate\n"); !ok) return ok;
    auto runtime = readJson(dir / "runtime.json");
    const int pid = runtime ? runtime->value("pid", 0) : launcherPid(dir);
    auto st = pid > 0 ? procStat(pid) : std::nullopt;
    const bool alive = st && st->state != 'Z' && (!runtime || st->startTicks == runtime->value("startTicks", 0ULL));
    if (alive) {
      ::kill(pid, SIGTERM);  // the instance kills its whole session and records the end itself
    } else if (runtime && runtime->value("state", "") != "terminated") {
      // Its supervisor is gone: stop what is left of the machine here and record the end.
      killSession(runtime->value("sid", 0));
      (*runtime)["state"] = "terminated";
      (*runtime)["endReason"] = "user";
      (*runtime)["stateMessage"] = "Client.UserInitiatedShutdown: terminated by request";
      (*runtime)["endedAtUnix"] = nowUnix();
      if (auto ok = writeAtomic("TerminateInstances", dir / "runtime.json", runtime->dump(1)); !ok) return ok;
    }
  }
  return {};
}

Result<void> LocalCompute::preemptNow(std::string_view instanceId) {
  auto inst = read(instanceId);
  if (!inst) return inst.error();
  if (inst->stateMessage == "no such local instance")
    return makeError(ErrorCode::NotFound, "PreemptNow: no local instance '" + std::string(instanceId) + "'");
  if (inst->state == InstanceState::Terminated)
    return makeError(ErrorCode::FailedPrecondition, "PreemptNow: instance " + std::string(instanceId) + " has already ended");
  return writeAtomic("PreemptNow", sandbox(instanceId) / "control" / "preempt", "preempt\n");
}

Result<RehearsalSpend> LocalCompute::spend(std::string_view instanceId) const {
  if (!safeInstanceId(instanceId)) return makeError(ErrorCode::NotFound, "RehearsalSpend: no local instance '" + std::string(instanceId) + "'");
  auto meta = readJson(sandbox(instanceId) / "instance.json");
  if (!meta) return makeError(ErrorCode::NotFound, "RehearsalSpend: no local instance '" + std::string(instanceId) + "'");
  auto runtime = readJson(sandbox(instanceId) / "runtime.json");
  const double start = runtime ? runtime->value("startedAtUnix", meta->value("launchedAtUnix", 0.0)) : meta->value("launchedAtUnix", 0.0);
  double end = nowUnix();
  if (runtime && (*runtime)["endedAtUnix"].is_number()) end = (*runtime)["endedAtUnix"].get<double>();
  RehearsalSpend s;
  s.realSeconds = std::max(0.0, end - start);
  s.simulatedSeconds = s.realSeconds * meta->value("/rehearsal/timeLapse"_json_pointer, 1.0);
  s.pricePerHour = meta->value("pricePerHour", 0.0);
  s.dollars = s.simulatedSeconds * s.pricePerHour / 3600.0;
  return s;
}

std::vector<int> LocalCompute::livePids(std::string_view instanceId) const {
  if (!safeInstanceId(instanceId)) return {};
  auto runtime = readJson(sandbox(instanceId) / "runtime.json");
  return runtime ? sessionMembers(runtime->value("sid", 0)) : std::vector<int>{};
}

// ---------------------------------------------------------------------------------------------
// LocalProvider

namespace {
LocalProviderOptions withDefaults(LocalProviderOptions options) {
  if (options.bucketRoot.empty()) options.bucketRoot = options.root / "bucket";
  return options;
}
}  // namespace

LocalProvider::LocalProvider(const LocalProviderOptions& options)
    : m_compute(withDefaults(options)), m_storage(withDefaults(options).bucketRoot) {
  // The default bucket is ours to create; a bucket folder the user named must already exist.
  if (options.bucketRoot.empty() && !options.root.empty()) {
    std::error_code ec;
    fs::create_directories(options.root / "bucket", ec);
  }
}

Result<InstanceAccess> LocalProvider::issueInstanceAccess(std::string_view jobId, std::string_view prefix, std::int64_t expiresUnix,
                                                          const CallOptions& options) {
  if (auto ok = checkCall("IssueInstanceAccess", options); !ok) return ok.error();
  if (jobId.empty()) return makeError(ErrorCode::InvalidArgument, "IssueInstanceAccess: a job id is required");
  std::error_code ec;
  if (!fs::is_directory(m_storage.root(), ec))
    return makeError(ErrorCode::NotFound, "IssueInstanceAccess: bucket folder " + m_storage.root().string() + " does not exist");
  fs::path path = m_storage.root();
  if (!prefix.empty()) {
    if (prefix.front() == '/' || prefix.find("..") != std::string_view::npos)
      return makeError(ErrorCode::InvalidArgument, "IssueInstanceAccess: prefix '" + std::string(prefix) + "' must be relative");
    path /= std::string(prefix);
  }
  fs::create_directories(path, ec);
  if (ec) return makeError(ErrorCode::PermissionDenied, "IssueInstanceAccess: cannot create " + path.string() + ": " + ec.message());
  InstanceAccess access;
  access.kind = "local-path";
  access.values["path"] = path.string();
  access.expiresUnix = expiresUnix;
  return access;
}

}  // namespace spotwise::cloud::local
