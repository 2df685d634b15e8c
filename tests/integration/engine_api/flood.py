"""flood.py HOST:PORT N HOLD_S: N idle TCP connections, held HOLD_S seconds
(or until killed); prints "open N" once they are all connected."""
import sys
import time

sys.path.insert(0, sys.path[0])
import engapi

socks = [engapi.connect(sys.argv[1]) for _ in range(int(sys.argv[2]))]
print("open %d" % len(socks), flush=True)
time.sleep(float(sys.argv[3]))
for s in socks:
    s.close()
