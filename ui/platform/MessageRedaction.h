#pragma once

#include <QString>

namespace spotwise::ui {

/**
 * Routes Qt's own messages (qDebug/qInfo/qWarning/qCritical/qFatal, including those of Qt's
 * plugins: network, TLS, D-Bus, the keychain) through the same secret redaction as Spotwise's log
 * (spotwise::redactSecrets: Authorization headers, tokens, signatures, keys and every registered
 * secret) before the handler that was installed before it prints them. Call once, first thing in
 * main(); installing it again is a no-op.
 */
void installRedactingMessageHandler();

/** What the handler passes on for `message` (exposed for tests). */
QString redactedMessage(const QString& message);

}  // namespace spotwise::ui
