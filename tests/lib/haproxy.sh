# Helpers for suites that drive real haproxy processes on 127.0.0.1.
# Source after tests/lib/assert.sh. Needs python3.

# free_ports N: N distinct free TCP ports on 127.0.0.1, held open together
# while chosen (so they differ) and freed just before the caller binds them.
free_ports() {
	python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# haproxy_cmd SOCKET COMMAND: sends one runtime-API command and prints the
# whole answer (haproxy closes the connection after it).
haproxy_cmd() {
	python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
data = b""
while True:
    b = s.recv(65536)
    if not b: break
    data += b
print(data.decode(), end="")
PY
}

# haproxy_share SOCKET BACKEND: the share of BACKEND's weight on its
# "green" server, 0..100, read from `show servers state`; "zero" when the
# backend's total weight is 0.
haproxy_share() {
	haproxy_cmd "$1" "show servers state $2" | python3 -c '
import sys
lines = sys.stdin.read().splitlines()
head = next(l for l in lines if l.startswith("# be_id")).split()[1:]
w = {}
for l in lines:
    f = l.split()
    if len(f) == len(head) and not l.startswith("#"):
        r = dict(zip(head, f)); w[r["srv_name"]] = int(r["srv_uweight"])
print(round(100 * w["green"] / (w["green"] + w["blue"])) if w["green"] + w["blue"] else "zero")'
}
