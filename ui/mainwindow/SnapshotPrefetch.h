#pragma once

#include "core/common/Result.h"
#include "core/pricing/Snapshot.h"

namespace spotwise::ui {

/**
 * Starts parsing the embedded price snapshot on a thread of its own, so that the parse overlaps the
 * rest of start-up (QApplication, fonts, the window's widgets). Call it once, early in main().
 */
void prefetchEmbeddedSnapshot();

/**
 * The embedded snapshot: the prefetched parse (waiting for it to finish if need be), or, when there is
 * none, a parse now. The prefetched result is handed out once.
 */
[[nodiscard]] Result<pricing::Snapshot> takeEmbeddedSnapshot();

}  // namespace spotwise::ui
