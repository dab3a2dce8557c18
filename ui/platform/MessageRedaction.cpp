#include "ui/platform/MessageRedaction.h"

#include <QtGlobal>

#include <atomic>
#include <cstdio>

#include "core/common/Log.h"

namespace spotwise::ui {

namespace {

std::atomic<QtMessageHandler> g_next{nullptr};
std::atomic<bool> g_installed{false};

void redactingHandler(QtMsgType type, const QMessageLogContext& context, const QString& message) {
  const QString redacted = redactedMessage(message);
  if (const QtMessageHandler next = g_next.load()) {
    next(type, context, redacted);
    return;
  }
  const QByteArray line = qFormatLogMessage(type, context, redacted).toLocal8Bit();
  std::fprintf(stderr, "%s\n", line.constData());
}

}  // namespace

QString redactedMessage(const QString& message) {
  const QByteArray utf8 = message.toUtf8();
  const std::string redacted = redactSecrets(std::string_view(utf8.constData(), static_cast<std::size_t>(utf8.size())));
  return QString::fromUtf8(redacted.data(), static_cast<qsizetype>(redacted.size()));
}

void installRedactingMessageHandler() {
  if (g_installed.exchange(true)) return;
  g_next.store(qInstallMessageHandler(redactingHandler));
}

}  // namespace spotwise::ui
