// Links spotwise_core alone and uses it, so the linker keeps its dependencies; check-no-qt.sh then
// inspects what this binary loads.
#include <cstdio>

#include "core/pricing/Snapshot.h"

int main() {
  auto snapshot = spotwise::pricing::embeddedSnapshot();
  std::printf("%zu offers\n", snapshot ? snapshot->offers.size() : 0U);
  return snapshot ? 0 : 1;
}
