"""moto (the AWS fake, `moto[server]` from PyPI) as a real HTTP server for Herald's tests.

Listens on 127.0.0.1 and a port the kernel picks, prints "PORT <n>" once it accepts
connections, and exits on SIGTERM or when its parent (the test process) goes away, so a
crashed test run leaves no server behind. Signature checking is switched on by
INITIAL_NO_AUTH_ACTION_COUNT in the environment (see MotoServer.swift).
"""
import os
import signal
import time

from moto.server import ThreadedMotoServer

# Foundation's Process starts children with the spawning thread's signal mask, in which the
# test runner blocks SIGTERM: unblock it before any thread starts, or terminate() does nothing.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGHUP})
signal.signal(signal.SIGTERM, signal.SIG_DFL)

parent = os.getppid()
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(f"PORT {server.get_host_and_port()[1]}", flush=True)
while os.getppid() == parent:
    time.sleep(0.5)
os._exit(0)
