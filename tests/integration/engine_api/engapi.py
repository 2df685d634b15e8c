"""Raw HTTP/1.1 to the cutover engine (unix socket or TCP), stdlib only:
a request head written by hand and a chunked body decoded as it arrives,
so a test controls exactly what is sent and when it reads."""
import socket
import time


def connect(where, timeout=5.0):
    """where: a unix socket path, or HOST:PORT."""
    if where.startswith("/"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(where)
    else:
        host, port = where.rsplit(":", 1)
        s = socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)
    return s


def head(path, method="GET", token=None, extra=""):
    h = "%s %s HTTP/1.1\r\nHost: engine\r\n" % (method, path)
    if token:
        h += "Authorization: Bearer %s\r\n" % token
    return (h + extra + "\r\n").encode()


class Stream:
    """Reads a response's head, then its body (chunked or not) in pieces."""

    def __init__(self, sock):
        self.s = sock
        self.buf = b""
        self.status = None
        self.headers = {}
        self.chunked = False
        self.left = None      # bytes left in the current chunk (chunked) or body
        self.eof = False      # the body (or the connection) ended

    def _fill(self, deadline):
        t = deadline - time.monotonic()
        if t <= 0:
            raise socket.timeout("deadline")
        self.s.settimeout(t)
        d = self.s.recv(65536)
        if not d:
            self.eof = True
            return False
        self.buf += d
        return True

    def read_head(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            if not self._fill(deadline):
                raise EOFError("connection closed before the response head")
        h, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = h.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        for l in lines[1:]:
            k, _, v = l.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        self.chunked = "chunked" in self.headers.get("transfer-encoding", "").lower()
        if not self.chunked and "content-length" in self.headers:
            self.left = int(self.headers["content-length"])
        return self.status

    def read_some(self, timeout):
        """Body bytes available within timeout (b"" at the body's end)."""
        deadline = time.monotonic() + timeout
        if not self.chunked:
            if self.left == 0:
                self.eof = True
                return b""
            if not self.buf and not self._fill(deadline):
                return b""
            n = len(self.buf) if self.left is None else min(self.left, len(self.buf))
            out, self.buf = self.buf[:n], self.buf[n:]
            if self.left is not None:
                self.left -= n
            return out
        out = b""
        while True:
            if self.left is None:     # a size line (or the CRLF after a chunk)
                if b"\r\n" not in self.buf:
                    if out or not self._fill(deadline):
                        return out
                    continue
                line, self.buf = self.buf.split(b"\r\n", 1)
                if not line.strip():
                    continue
                self.left = int(line.split(b";")[0], 16)
                if self.left == 0:
                    self.eof = True
                    return out
                continue
            if not self.buf:
                if out or not self._fill(deadline):
                    return out
                continue
            n = min(self.left, len(self.buf))
            out += self.buf[:n]
            self.buf = self.buf[n:]
            self.left -= n
            if self.left == 0:
                self.left = None


def request(where, path, method="GET", token=None, body=None, timeout=5.0):
    """One whole request: (status, body bytes)."""
    s = connect(where, timeout)
    extra = "Connection: close\r\n"
    if body is not None:
        extra += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
    s.sendall(head(path, method, token, extra) + (body or b""))
    st = Stream(s)
    code = st.read_head(timeout)
    out = b""
    deadline = time.monotonic() + timeout
    while not st.eof and time.monotonic() < deadline:
        try:
            out += st.read_some(deadline - time.monotonic())
        except socket.timeout:
            break
    s.close()
    return code, out


class Events:
    """An event stream: next_event() gives (monotonic time, name, data text)."""

    def __init__(self, where, token=None, timeout=5.0):
        self.s = connect(where, timeout)
        self.s.sendall(head("/v1/events", token=token))
        self.st = Stream(self.s)
        self.status = self.st.read_head(timeout)
        self.text = b""
        self.bytes = 0

    def next_event(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n\n" not in self.text:
            if self.st.eof:
                return None
            t = deadline - time.monotonic()
            if t <= 0:
                raise socket.timeout("no event")
            got = self.st.read_some(t)
            self.bytes += len(got)
            self.text += got
        block, self.text = self.text.split(b"\n\n", 1)
        name, data = None, []
        for l in block.decode().split("\n"):
            if l.startswith("event:"):
                name = l[6:].strip()
            elif l.startswith("data:"):
                data.append(l[5:].lstrip())
        return time.monotonic(), name or ":comment", "\n".join(data)
