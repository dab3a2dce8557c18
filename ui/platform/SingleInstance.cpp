#include "ui/platform/SingleInstance.h"

#include <QCryptographicHash>
#include <QDeadlineTimer>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocalServer>
#include <QLocalSocket>
#include <QStandardPaths>
#include <QThread>

namespace spotwise::ui {

namespace {

// Wire format, one line each way: the later launch sends its arguments as a JSON array of
// strings and a newline; the primary answers "ok\n" once its window is in front.
constexpr char kReply[] = "ok\n";

}  // namespace

SingleInstance::SingleInstance(QString key, QString directory, QObject* parent)
    : QObject(parent), m_key(std::move(key)), m_directory(std::move(directory)) {
  if (m_directory.isEmpty()) m_directory = QStandardPaths::writableLocation(QStandardPaths::RuntimeLocation);
#ifdef Q_OS_WIN
  // Named pipes live in one global namespace: make the name per user folder.
  m_serverName = m_key + QLatin1Char('-') +
                 QString::fromLatin1(QCryptographicHash::hash(m_directory.toUtf8(), QCryptographicHash::Sha256)
                                         .toHex()
                                         .left(16));
#else
  m_serverName = QDir(m_directory).filePath(m_key + QStringLiteral(".socket"));
#endif
}

SingleInstance::~SingleInstance() {
  if (m_server) m_server->close();  // removes the socket file before the lock goes
}

SingleInstance::Role SingleInstance::start(const QStringList& arguments, int timeoutMs) {
  if (!QDir().mkpath(m_directory)) {
    m_error = tr("cannot create %1").arg(m_directory);
    return Role::Standalone;
  }
  m_lock = std::make_unique<QLockFile>(QDir(m_directory).filePath(m_key + QStringLiteral(".lock")));
  m_lock->setStaleLockTime(0);  // held for the app's lifetime: stale only when its process is gone
  if (m_lock->tryLock(0)) {
    if (listen()) return Role::Primary;
    return Role::Standalone;
  }
  if (m_lock->error() != QLockFile::LockFailedError) {
    m_error = tr("cannot create the lock file in %1").arg(m_directory);
    return Role::Standalone;
  }
  if (sendToPrimary(arguments, timeoutMs)) return Role::Secondary;
  return Role::Standalone;
}

bool SingleInstance::listen() {
  // We hold the lock, so a socket file here is a crashed instance's left-over.
  QLocalServer::removeServer(m_serverName);
  m_server = new QLocalServer(this);
  m_server->setSocketOptions(QLocalServer::UserAccessOption);
  if (!m_server->listen(m_serverName)) {
    m_error = tr("cannot listen on %1: %2").arg(m_serverName, m_server->errorString());
    return false;
  }
  connect(m_server, &QLocalServer::newConnection, this, &SingleInstance::acceptConnection);
  return true;
}

void SingleInstance::acceptConnection() {
  while (QLocalSocket* socket = m_server->nextPendingConnection()) {
    connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
    connect(socket, &QLocalSocket::readyRead, this, [this, socket] {
      if (!socket->canReadLine()) {
        if (socket->bytesAvailable() > kMaxMessageBytes) socket->abort();  // not one of ours
        return;
      }
      const QByteArray line = socket->readLine(kMaxMessageBytes);
      const QJsonDocument doc = QJsonDocument::fromJson(line.trimmed());
      if (!doc.isArray()) {
        socket->abort();
        return;
      }
      QStringList arguments;
      for (const auto& value : doc.array()) arguments.append(value.toString());
      Q_EMIT activationRequested(arguments);
      socket->write(kReply);
      socket->disconnectFromServer();
    });
  }
}

bool SingleInstance::sendToPrimary(const QStringList& arguments, int timeoutMs) {
  const QDeadlineTimer deadline(timeoutMs);
  QLocalSocket socket;
  // The primary may hold the lock but not listen yet (it is starting): retry until the deadline.
  while (true) {
    socket.connectToServer(m_serverName);
    if (socket.waitForConnected(static_cast<int>(qMin<qint64>(deadline.remainingTime(), 250)))) break;
    if (deadline.hasExpired()) {
      m_error = tr("another instance holds the lock but does not answer on %1").arg(m_serverName);
      return false;
    }
    socket.abort();
    QThread::msleep(50);
  }
  QByteArray message = QJsonDocument(QJsonArray::fromStringList(arguments)).toJson(QJsonDocument::Compact);
  message.append('\n');
  socket.write(message);
  QByteArray reply;
  while (!reply.contains('\n')) {
    if (!socket.waitForReadyRead(static_cast<int>(qMax<qint64>(deadline.remainingTime(), 0)))) {
      m_error = tr("the running instance did not answer");
      return false;
    }
    reply += socket.readAll();
  }
  return reply == kReply;
}

}  // namespace spotwise::ui
