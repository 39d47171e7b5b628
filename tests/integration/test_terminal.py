"""test_terminal.py - what a person sees on a terminal: collect runs under a
pseudo-terminal of a set size (TIOCSWINSZ) against the fake registry with
latency, so the progress lines are redrawn many times, and what it writes is
played on a small model of a terminal (autowrap, cursor up, clear).

The model is the point: a progress line wider than the terminal wraps, the
redraw moves up by lines, not rows, and the screen keeps stale rows. So the
tests check that nothing wrapped while progress was drawn, and that the
final screen holds each kind's line exactly once.
"""
import json
import os
import re

import harness
from harness import Case

KINDS = ["whoami", "org_users", "org_teams", "team_users", "team_packages", "org_packages",
         "user_profiles", "package_visibility", "package_collaborators", "collector_profile",
         "collector_tokens", "packuments", "attestations", "advisories"]
# The fixture's read-only token (fixtures/acme/README.md): with it collect
# has no warning to print between the progress lines.
READ_ONLY_TOKEN = "npm_FixtureReadToken0000000000000000000"
CSI = re.compile(rb"\x1b\[([0-9;]*)([A-Za-z])")


class Screen:
    """A terminal of `width` columns and unbounded height: printable bytes,
    CR, LF, CSI n A (up), CSI J (clear to the end), CSI K (clear the line).
    wraps counts the characters that went past the last column."""

    def __init__(self, width):
        self.width, self.rows, self.r, self.c, self.wraps = width, [[]], 0, 0, 0

    def _row(self):
        while len(self.rows) <= self.r:
            self.rows.append([])
        return self.rows[self.r]

    def feed(self, data):
        i = 0
        while i < len(data):
            m = CSI.match(data, i)
            if m:
                n = int(m.group(1) or b"1") if m.group(1).isdigit() else 1
                op = m.group(2)
                if op == b"A":
                    self.r = max(0, self.r - n)
                elif op in (b"J", b"K"):
                    del self._row()[self.c:]
                    if op == b"J":
                        del self.rows[self.r + 1:]
                i = m.end()
                continue
            ch = data[i:i + 1]
            i += 1
            if ch == b"\r":
                self.c = 0
            elif ch == b"\n":
                self.r += 1
                self._row()
            elif ch >= b" ":
                if self.c >= self.width:
                    self.wraps += 1
                    self.r, self.c = self.r + 1, 0
                row = self._row()
                while len(row) < self.c:
                    row.append(" ")
                if self.c < len(row):
                    row[self.c] = ch.decode("latin-1")
                else:
                    row.append(ch.decode("latin-1"))
                self.c += 1

    def text(self):
        return ["".join(r).rstrip() for r in self.rows]


class TerminalTest(Case):
    def run_on_terminal(self, width, resize_to=None):
        """collect on a pseudo-terminal `width` columns wide (narrowed to
        resize_to once the first progress lines are out). Returns stderr."""
        srv = self.registry("--latency-ms", "40", "--token", READ_ONLY_TOKEN)
        return self.on_terminal(["collect", "--org", "acme", "--registry", srv.url, "--out",
                                 self.path("d%d" % width), "--concurrency", "2"],
                                self.env(NPM_TOKEN=READ_ONLY_TOKEN, TERM="xterm"), width, resize_to)

    def on_terminal(self, argv, env, width, resize_to=None):
        rc, err, resized = harness.run_on_terminal(argv, env, width, resize_to)
        text = err.decode("utf-8", "replace")
        self.assertEqual(rc, 0, text)
        self.assertIsNone(harness.sanitizer_report(err))
        if resize_to:
            self.assertTrue(resized, "no progress was drawn before the run ended")
        return err

    @staticmethod
    def last_frame(err):
        """The progress lines of the last redraw (after its clear), up to and
        including the run's line, and what came before that frame ends."""
        start = err.rindex(b"\x1b[J") + len(b"\x1b[J")
        m = re.compile(rb"^ *all [^\r\n]*\r?\n", re.M).search(err, start)
        return err[start:m.start()].splitlines() + [err[m.start():m.end()].rstrip()], \
            err[:m.end()]

    @staticmethod
    def frames(err):
        """Every redraw's progress lines: from a clear to the run's line."""
        out = []
        for m in re.finditer(rb"\x1b\[J(.*?^ *all [^\r\n]*)", err, re.M | re.S):
            out.append([CSI.sub(b"", l).decode("utf-8", "replace")
                        for l in m.group(1).splitlines()])
        return out

    def test_progress_lines_fit_the_terminal_at_40_80_and_120_columns(self):
        for width in (40, 80, 120):
            with self.subTest(width=width):
                err = self.run_on_terminal(width)
                _, drawn = self.last_frame(err)
                screen = Screen(width)
                screen.feed(drawn)
                self.assertEqual(screen.wraps, 0,
                                 "a progress line wrapped at %d columns:\n%s" %
                                 (width, "\n".join(screen.text())))
                for f in self.frames(err):
                    for line in f:
                        self.assertLess(len(line), width, "a line of %d columns at width %d: %r"
                                        % (len(line), width, line))
                rows = screen.text()
                for kind in KINDS:
                    mine = [r for r in rows if re.match(r" *%s +\d" % kind, r)]
                    self.assertEqual(len(mine), 1, "%s's line %d times on the screen:\n%s" %
                                     (kind, len(mine), "\n".join(rows)))
                    self.assertRegex(mine[0], r" (\d+)/\1\b", "%s did not end whole" % kind)
                run = [r for r in rows if re.match(r" *all +\d", r)]
                self.assertEqual(len(run), 1, "\n".join(rows))
                self.assertRegex(run[0], r"all +75/75 +done in \d+\.\d s",
                                 "the run's line counts every request")

    def test_progress_follows_a_terminal_narrowed_during_the_run(self):
        err = self.run_on_terminal(120, resize_to=40)
        frame, _ = self.last_frame(err)
        self.assertGreaterEqual(len(frame), len(KINDS) + 1, frame)
        for line in frame:
            self.assertLess(len(line), 40, "a line of %d columns after narrowing to 40: %r" %
                            (len(line), line))

    def test_a_growing_total_is_never_shown_as_100_percent(self):
        err = self.run_on_terminal(120).decode("utf-8", "replace")
        self.assertRegex(err, r"all +\d+/\d+\+ ", "no growing total was ever drawn")
        for line in err.splitlines():
            m = re.search(r"(\d+)/(\d+)\+", line)
            if m:
                self.assertNotIn("%", line, "a growing total with a percent: %r" % line)
                self.assertNotIn("ETA", line, "a growing total with an ETA: %r" % line)
        self.assertNotRegex(err, r"\b(\d+)/(?!\1\b)\d+\+? +100%",
                            "100% on a count that is not done")

    def test_upload_shows_input_read_and_no_percent_while_its_totals_grow(self):
        srv = self.registry()
        res = self.collect(srv, self.path("dump"))
        self.assertExit(res, 0)
        res = self.run_prog("transform", "--in", self.path("dump"), "--out", self.path("graph"))
        self.assertExit(res, 0)
        size = sum(os.path.getsize(os.path.join(d, f))
                   for d, _, fs in os.walk(self.path("graph", "graph")) for f in fs)
        # Answers that fail now and then keep the upload going long enough
        # for many redraws while the input is still being read.
        j1 = self.j1("--fault-rate", "0.3", "--faults", "503", "--seed", "7")
        env = self.env(JUPITERONE_API_KEY="test-api-key-0123456789",
                       JUPITERONE_ACCOUNT="acct-1", TERM="xterm")
        err = self.on_terminal(["upload", "--api-base-url", j1.url, "-i",
                                "11111111-2222-4333-8444-555555555555", "--in",
                                self.path("graph"), "--batch-bytes", "6000"], env, 80)
        frame, drawn = self.last_frame(err)
        frames = self.frames(err)
        self.assertGreater(len(frames), 1, "one redraw at most")
        for f in frames:
            for line in f:
                self.assertLess(len(line), 80, "a progress line of %d columns: %r" %
                                (len(line), line))
        rows = Screen(80)
        rows.feed(drawn)
        for name in ("entities", "relationships", "batches", "input read", "all"):
            mine = [r for r in rows.text() if re.match(r" *%s +\d" % name, r)]
            self.assertEqual(len(mine), 1, "%s's line %d times on the screen:\n%s" %
                             (name, len(mine), "\n".join(rows.text())))
        text = err.decode("utf-8", "replace")
        self.assertRegex(text, r"(entities|relationships|batches) +\d+/\d+\+ ",
                         "no total was drawn as still growing")
        for line in text.splitlines():
            if re.search(r"\d/\d+\+", line):
                self.assertNotIn("%", line, "a growing total with a percent: %r" % line)
                self.assertNotIn("ETA", line, "a growing total with an ETA: %r" % line)
        last = b"\n".join(frame).decode("utf-8", "replace")
        kib = "%.1f KiB" % (size / 1024.0)
        self.assertIn("input read    %s/%s" % (kib, kib), last,
                      "the input's size is %d bytes" % size)
        counts = {"entities": 0, "relationships": 0}
        for d, _, fs in os.walk(self.path("graph", "graph")):
            for f in fs:
                with open(os.path.join(d, f)) as fh:
                    doc = json.load(fh)
                for k in counts:
                    counts[k] += len(doc.get(k, []))
        for k, n in counts.items():
            self.assertRegex(last, r"%s +%d/%d +done in" % (k, n, n))
