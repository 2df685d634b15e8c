"""slow.py WHERE HOLD_S: attaches to /v1/events and reads nothing for HOLD_S
seconds (the engine's backlog for it grows), then drains what is left and
says whether the stream ended with a "drop" event.
Prints: bytes=N drop=yes|no ended=yes|no reason=TEXT"""
import json
import socket
import sys
import time

sys.path.insert(0, sys.path[0])
import engapi

s = engapi.connect(sys.argv[1])
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.sendall(engapi.head("/v1/events"))
print("attached", flush=True)
time.sleep(float(sys.argv[2]))
st = engapi.Stream(s)
st.read_head(10)
text = b""
deadline = time.monotonic() + 20
while not st.eof and time.monotonic() < deadline:
    try:
        text += st.read_some(deadline - time.monotonic())
    except (socket.timeout, OSError):
        break
drop = b"event: drop\n" in text
reason = ""
if drop:
    after = text.split(b"event: drop\n", 1)[1]
    line = after.split(b"\n", 1)[0].decode()
    if line.startswith("data:"):
        reason = json.loads(line[5:]).get("reason", "")
print("bytes=%d drop=%s ended=%s reason=%s" % (len(text), "yes" if drop else "no",
      "yes" if st.eof else "no", reason), flush=True)
sys.exit(0 if drop else 1)
