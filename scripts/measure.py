#!/usr/bin/env python3
"""measure.py - run one command and report what it cost, for the benchmarks.

    measure.py [--env K=V ...] [--stdin FILE] [--stdout FILE] [--stderr FILE] -- CMD ARGS...

Prints one JSON line on stdout: {"wall_s", "user_s", "sys_s", "maxrss_kb",
"rc"}. The command runs under GNU time (/usr/bin/time, Debian package
"time", installed by `make deps`), whose own footprint is tiny, so the peak
RSS is the command's high-water mark and not this Python process's (a
child forked from Python starts with Python's pages counted in its peak).
"""
import json
import os
import subprocess
import sys
import tempfile
import time

GNU_TIME = "/usr/bin/time"


def main():
    args = sys.argv[1:]
    env = dict(os.environ)
    stdin = stdout = stderr = None
    while args and args[0] != "--":
        if args[0] == "--env":
            k, _, v = args[1].partition("=")
            env[k] = v
            args = args[2:]
        elif args[0] == "--stdin":
            stdin = open(args[1], "rb")
            args = args[2:]
        elif args[0] == "--stdout":
            stdout = open(args[1], "wb")
            args = args[2:]
        elif args[0] == "--stderr":
            stderr = open(args[1], "wb")
            args = args[2:]
        else:
            sys.exit("measure.py: unknown option %s" % args[0])
    cmd = args[1:]
    if not cmd:
        sys.exit("usage: measure.py [--env K=V] [--stdin F] [--stdout F] -- CMD ...")
    if not os.access(GNU_TIME, os.X_OK):
        sys.exit("measure.py: %s is missing (run `make deps`)" % GNU_TIME)
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        t0 = time.monotonic()
        rc = subprocess.call([GNU_TIME, "-o", tf.name, "-f", "%U %S %M"] + cmd, env=env,
                             stdin=stdin, stdout=stdout or subprocess.DEVNULL, stderr=stderr)
        wall = time.monotonic() - t0
        fields = tf.read().split()[-3:]
    if len(fields) < 3:
        sys.exit("measure.py: GNU time reported nothing for %s" % cmd[0])
    user, sys_, rss = float(fields[0]), float(fields[1]), int(fields[2])
    print(json.dumps({"wall_s": round(wall, 3), "user_s": user, "sys_s": sys_,
                      "maxrss_kb": rss, "rc": rc}))


if __name__ == "__main__":
    main()
