"""halfsend.py WHERE HOLD_S: a POST whose head promises 100 bytes of body,
and only 10 of them sent; prints "sent" and holds the connection open."""
import sys
import time

sys.path.insert(0, sys.path[0])
import engapi

s = engapi.connect(sys.argv[1])
s.sendall(b"POST /v1/plans HTTP/1.1\r\nHost: engine\r\nContent-Type: application/json\r\n"
          b"Content-Length: 100\r\n\r\n" + b'{"targets"')
print("sent", flush=True)
time.sleep(float(sys.argv[2]))
s.close()
