#pragma once

#include <QLockFile>
#include <QObject>
#include <QString>
#include <QStringList>

#include <memory>

class QLocalServer;

namespace spotwise::ui {

/**
 * One running app per user. The first instance holds a lock file and listens on a local socket
 * (both in the per-user runtime folder, readable by that user only); a later launch finds the
 * lock taken, hands its command-line arguments to the first instance over the socket and exits,
 * and the first instance brings its window to the front (activationRequested).
 *
 * A lock left by a crashed instance is stale (its process is gone) and taken over, as is a
 * left-over socket file. If the first instance does not answer in time, the new one runs on its
 * own (Standalone) rather than not starting at all.
 */
class SingleInstance : public QObject {
  Q_OBJECT

 public:
  enum class Role {
    Primary,     ///< this process is the one instance; it will receive activationRequested
    Secondary,   ///< another instance received our arguments and came to the front: exit now
    Standalone,  ///< neither worked (see errorString()); run anyway, alone
  };

  /** `key`: the application id; `directory`: where the lock and socket live (default: the
   *  user's runtime folder, XDG_RUNTIME_DIR on Linux). */
  explicit SingleInstance(QString key, QString directory = {}, QObject* parent = nullptr);
  ~SingleInstance() override;

  /** Becomes the primary instance, or hands `arguments` to the running one and waits up to
   *  `timeoutMs` for its answer. Blocking (call once, before the event loop starts). */
  Role start(const QStringList& arguments, int timeoutMs = 3000);

  /** What went wrong when start() returned Standalone. */
  [[nodiscard]] QString errorString() const { return m_error; }
  /** The local socket's name (a path on Unix). */
  [[nodiscard]] QString serverName() const { return m_serverName; }

  /** The largest message accepted from a later launch; longer ones are dropped unanswered. */
  static constexpr qint64 kMaxMessageBytes = 64 * 1024;

 Q_SIGNALS:
  /** A later launch asked this instance to come to the front, passing its arguments. */
  void activationRequested(const QStringList& arguments);

 private:
  bool listen();
  bool sendToPrimary(const QStringList& arguments, int timeoutMs);
  void acceptConnection();

  QString m_key;
  QString m_directory;
  QString m_serverName;
  QString m_error;
  std::unique_ptr<QLockFile> m_lock;
  QLocalServer* m_server = nullptr;
};

}  // namespace spotwise::ui
