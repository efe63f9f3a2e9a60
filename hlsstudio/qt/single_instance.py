"""One running app per job store: a second start hands its files to the first and exits.

Two windows over one job database would both run its queue and encode the same jobs twice, and a
second start that opened the store would mark the first one's running jobs INTERRUPTED and delete
their working folders. So the app takes a lock file in the data folder (``InstanceLock``) before it
opens the job store, and holds it until it exits; a lock left by an app that died (its process is
gone) is taken over. The lock holder listens on a local socket (a named pipe on Windows) named after
the data folder; a later start (``hlsstudio FILE…``, "Open with" in a file manager) that cannot take
the lock connects, sends the absolute paths of its files as one JSON line, waits for the answer and
exits without ever opening the store. The running window queues the files and comes to the front.
Only the user's own account may connect (``UserAccessOption``).
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QLockFile, QObject, Signal
from PySide6.QtNetwork import QAbstractSocket, QLocalServer, QLocalSocket

from hlsstudio.core import paths

log = logging.getLogger(__name__)

HANDOVER_TIMEOUT_MS = 3000
LOCK_NAME = "hlsstudio.lock"
ACK = b"ok\n"
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


def server_name() -> str:
    """The socket name for this user and data folder (short: some systems limit socket paths)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name known to the system
        user = "user"
    digest = hashlib.sha256(f"{user}\0{paths.data_dir()}".encode()).hexdigest()[:16]
    return f"hlsstudio-{digest}"


def lock_path() -> Path:
    """The lock file of this data folder (and so of its job store)."""
    return paths.data_dir() / LOCK_NAME


class InstanceLock:
    """The data folder's lock, held by the one running app that uses its job store.

    A ``QLockFile`` that is never stale by age (the app holds it for its whole life); a lock whose
    process is gone (the app crashed or was killed) is detected as stale and taken over.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or lock_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = QLockFile(str(self.path))
        self._lock.setStaleLockTime(0)

    def acquire(self) -> bool:
        """Take the lock now (no waiting); False while another live process holds it."""
        return bool(self._lock.tryLock(0))

    def release(self) -> None:
        """Give the lock up (the file is removed); nothing happens when it is not held."""
        if self._lock.isLocked():
            self._lock.unlock()

    def holder(self) -> int | None:
        """The process id written in the lock file (the running app), when it can be read."""
        info = self._lock.getLockInfo()  # (pid, host name, app name); pid 0 when unreadable
        pid = int(info[0]) if isinstance(info, tuple) and info else 0
        return pid if pid > 0 else None


def hand_over(files: list[Path], timeout_ms: int = HANDOVER_TIMEOUT_MS) -> bool:
    """Give ``files`` to a running app. True when one took them; False when none is running.

    Blocks for at most about ``3 * timeout_ms`` (it runs before any window exists).
    """
    socket = QLocalSocket()
    socket.connectToServer(server_name())
    if not socket.waitForConnected(timeout_ms):
        return False
    message = json.dumps([str(p.expanduser().absolute()) for p in files]).encode() + b"\n"
    socket.write(QByteArray(message))
    answered = socket.waitForBytesWritten(timeout_ms) and socket.waitForReadyRead(timeout_ms)
    reply = bytes(socket.readAll().data()) if answered else b""
    socket.disconnectFromServer()
    return reply.startswith(ACK)


class InstanceServer(QObject):
    """Listens for later starts; ``files_received`` carries what each one sent (maybe nothing)."""

    files_received = Signal(list)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_connection)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        """Start listening; a socket left by an app that crashed is replaced. False when impossible."""
        name = server_name()
        if self._server.listen(name):
            return True
        if self._server.serverError() == QAbstractSocket.SocketError.AddressInUseError:
            QLocalServer.removeServer(name)  # this app holds the lock: no live app owns the socket
            if self._server.listen(name):
                return True
        log.warning("cannot listen for other starts of the app: %s", self._server.errorString())
        return False

    def close(self) -> None:
        """Stop listening (the socket is removed)."""
        self._server.close()

    def _on_connection(self) -> None:
        while (socket := self._server.nextPendingConnection()) is not None:
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._on_ready(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))

    def _on_ready(self, socket: QLocalSocket) -> None:
        data = self._buffers.get(socket, b"") + bytes(socket.readAll().data())
        if b"\n" not in data:
            if len(data) > MAX_MESSAGE_BYTES:
                socket.abort()
            self._buffers[socket] = data
            return
        line = data.split(b"\n", 1)[0]
        self._buffers[socket] = b""
        try:
            names = json.loads(line)
        except ValueError:
            names = None
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            log.warning("ignored a malformed message from another start of the app")
            socket.abort()
            return
        socket.write(QByteArray(ACK))
        socket.flush()
        self.files_received.emit([Path(n) for n in names])

    def _forget(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        socket.deleteLater()
