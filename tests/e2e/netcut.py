"""A TCP proxy between the browser and the app server that can cut the network
for real: `down()` closes the listening socket (new connections are refused)
and resets every open connection, so the page's *and the service worker's*
fetches fail, unlike Playwright's `context.set_offline`, which Chromium does
not apply to service-worker requests. `up()` listens again on the same port."""

import socket
import threading


class SwitchableProxy:
    def __init__(self, upstream_port: int, host: str = "127.0.0.1"):
        self.host = host
        self.upstream_port = upstream_port
        with socket.socket() as probe:
            probe.bind((host, 0))
            self.port = probe.getsockname()[1]
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._stop = threading.Event()
        self._acceptor: threading.Thread | None = None
        self.connections_accepted = 0
        # When set, requests still reach the server but every answer is lost on
        # the way back (the connection is reset): "sent, but did it arrive?".
        self.swallow_responses = False
        self.up()

    @property
    def is_up(self) -> bool:
        return self._listener is not None

    def up(self) -> None:
        if self._listener is not None:
            return
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(64)
        listener.settimeout(0.05)
        self._stop = threading.Event()
        self._listener = listener
        self._acceptor = threading.Thread(target=self._accept_loop, args=(listener, self._stop), daemon=True)
        self._acceptor.start()

    def down(self) -> None:
        if self._listener is None:
            return
        self._stop.set()
        self._acceptor.join(timeout=5)
        self._listener.close()
        self._listener = None
        with self._lock:
            connections, self._connections = self._connections, set()
        for conn in connections:
            self._kill(conn)

    def close(self) -> None:
        self.down()

    @staticmethod
    def _kill(conn: socket.socket) -> None:
        try:
            # Reset rather than a polite close: the browser sees the connection fail at once.
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        except OSError:
            pass
        try:
            # shutdown() also wakes the pump thread blocked in recv() on this socket;
            # close() alone would leave the connection working until that recv returns.
            conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            conn.close()
        except OSError:
            pass

    def _accept_loop(self, listener: socket.socket, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                upstream = socket.create_connection((self.host, self.upstream_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                self._kill(client)
                continue
            with self._lock:
                if stop.is_set():
                    self._kill(client)
                    self._kill(upstream)
                    return
                self._connections.update((client, upstream))
                self.connections_accepted += 1
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, answers: bool = False) -> None:
        try:
            while True:
                chunk = source.recv(65536)
                if not chunk:
                    break
                if answers and self.swallow_responses:
                    self._kill(target)
                    break
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            # HTTP never half-closes: when one side is done, so is the connection.
            for conn in (source, target):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                try:
                    conn.close()
                except OSError:
                    pass
            with self._lock:
                self._connections.discard(source)
                self._connections.discard(target)
