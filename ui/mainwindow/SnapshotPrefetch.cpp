#include "ui/mainwindow/SnapshotPrefetch.h"

#include <future>

namespace spotwise::ui {

namespace {
std::future<Result<pricing::Snapshot>>& prefetched() {
  static std::future<Result<pricing::Snapshot>> parse;
  return parse;
}
}  // namespace

void prefetchEmbeddedSnapshot() {
  if (!prefetched().valid()) prefetched() = std::async(std::launch::async, [] { return pricing::embeddedSnapshot(); });
}

Result<pricing::Snapshot> takeEmbeddedSnapshot() {
  if (prefetched().valid()) return prefetched().get();
  return pricing::embeddedSnapshot();
}

}  // namespace spotwise::ui
