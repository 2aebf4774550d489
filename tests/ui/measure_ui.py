#!/usr/bin/env python3
"""measure_ui.py BINARY MODEL: numbers for the workbench's promises, measured on the real binary in a pty
(no tmux in between): key acknowledgement latency (key written -> first screen update read back), redraws per
second while measuring (at most 10), and CPU time when idle and of the UI thread while measuring.
Not a CTest test (timings on a shared machine are noisy); run it by hand:
    python3 tests/ui/measure_ui.py build/edgetune fixtures/models/demo.onnx
Standard library only. Keys are sent as xterm sends them in keypad mode (ESC O A for Up)."""
import fcntl, os, pty, select, statistics, struct, sys, tempfile, termios, time

TICK = os.sysconf("SC_CLK_TCK")


def ticks(pid, tid=None):
    path = f"/proc/{pid}/task/{tid}/stat" if tid else f"/proc/{pid}/stat"
    f = open(path).read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])  # utime + stime


class Term:
    def __init__(self, argv, env):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(argv[0], argv, env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.buf = b""

    def read(self, timeout):
        """Bytes that arrive within timeout seconds (b"" if none); returns (bytes, arrival time)."""
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return b"", None
        t = time.monotonic()
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            return b"", None
        self.buf += data
        return data, t

    def drain(self, quiet=0.3):
        while self.read(quiet)[0]:
            pass

    def wait_for(self, text, timeout=60):
        end = time.monotonic() + timeout
        while text.encode() not in self.buf:
            if time.monotonic() > end:
                raise SystemExit(f"timeout waiting for {text!r}")
            self.read(0.1)

    def key(self, s):
        t = time.monotonic()
        os.write(self.fd, s.encode())
        return t


def main():
    binary, model = sys.argv[1], sys.argv[2]
    db = os.path.join(tempfile.mkdtemp(), "runs.db")
    env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8", EDGETUNE_DB=db)
    t = Term([binary, "tui", model, "--seconds", "2"], env)
    t.wait_for("settled: stored as run 1")
    t.drain()

    # idle: no output, (almost) no CPU
    c0, t0 = ticks(t.pid), time.monotonic()
    idle_out = b""
    while time.monotonic() - t0 < 10:
        idle_out += t.read(0.5)[0]
    idle_ticks = ticks(t.pid) - c0
    print(f"idle 10 s: {idle_ticks} ticks of CPU ({idle_ticks / TICK * 1000:.0f} ms, "
          f"{idle_ticks / TICK / 10 * 100:.2f} % of a core), {len(idle_out)} bytes written")

    # key acknowledgement: Down/Up move the knob selection (UI only), Right/Left change a knob (worker too)
    for name, keys in (("Down/Up (select a knob)", ["\x1bOB", "\x1bOA"]),
                       ("Right/Left on threads (knob change)", ["\x1bOC", "\x1bOD"])):
        if name.startswith("Right"):
            t.key("\x1bOF")  # End: the last knob (first/last layer); then Up to threads
            t.key("\x1bOA")
            t.drain()
        lat = []
        for i in range(20):
            t.drain(0.25)
            sent = t.key(keys[i % 2])
            data, when = t.read(2.0)
            if when is not None:
                lat.append((when - sent) * 1000)
        lat.sort()
        print(f"key ack, {name}: median {statistics.median(lat):.1f} ms, max {lat[-1]:.1f} ms "
              f"over {len(lat)} keys")

    # while measuring: redraws per second and the UI thread's CPU
    t.drain()
    t.key("r")
    t0 = time.monotonic()
    bursts, last = [], 0.0
    main0, all0 = ticks(t.pid, t.pid), ticks(t.pid)
    while time.monotonic() - t0 < 1.5:
        data, when = t.read(0.05)
        if when is not None and when - last > 0.02:
            bursts.append(when)
        if when is not None:
            last = when
    main1, all1 = ticks(t.pid, t.pid), ticks(t.pid)
    span = time.monotonic() - t0
    gaps = [b - a for a, b in zip(bursts, bursts[1:])]
    print(f"measuring {span:.1f} s: {len(bursts)} screen updates ({len(bursts) / span:.1f} per s, "
          f"shortest gap {min(gaps) * 1000 if gaps else 0:.0f} ms); CPU: UI thread {main1 - main0} ticks, "
          f"whole process {all1 - all0} ticks")
    t.key("q")
    os.waitpid(t.pid, 0)


main()
