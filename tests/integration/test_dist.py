"""test_dist.py - what travels to an air-gapped host, and what proves it
arrived intact.

  - a directory dump's SHA256SUMS passes `sha256sum -c` (and fails it when a
    file was damaged), agrees with the manifest, and transform takes the dump
    with the file in it;
  - each man page renders with `man -l` (groff where man is absent) without
    a warning, and its OPTIONS name exactly the flags --help prints (the
    OPTIONS are generated from --help by man/gen.sh; this holds the generator
    to it);
  - the bash completion offers exactly the flags --help prints, and the
    values --help names;
  - `make install` into a DESTDIR puts the stripped programs, the man pages
    and the completion there, and `make uninstall` leaves no file behind;
  - `make dist`'s tarball is named for --version and the architecture, and
    its SHA256SUMS passes `sha256sum -c` and covers every file;
  - `make deb`'s package has the files and a Depends that names the package
    of every shared library the programs link; where dpkg is present and the
    test runs as root, it installs and removes cleanly (else a visible skip).

The make targets are run for the build under test: J1NPM_BIN must be this
tree's build/rel/bin (or bin/, its links) or build/san/bin (then SAN=1).
"""
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BIN, ROOT, Case, load_json, program  # noqa: E402
from test_cli_docs import FLAG, help_options  # noqa: E402

PROGRAMS = ("collect", "transform", "upload")


def make_args():
    """make's arguments for the build under test, or None."""
    real = os.path.realpath(BIN)
    if real == os.path.join(ROOT, "build", "san", "bin"):
        return ["SAN=1"]
    if real == os.path.join(ROOT, "build", "rel", "bin"):
        return []
    return None


def build_dir():
    return os.path.dirname(os.path.realpath(BIN))


def make_env():
    """The test's environment without the outer make's (a make inside
    `make test` must not try to join its jobserver)."""
    return {k: v for k, v in os.environ.items()
            if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}


def run(cmd, cwd=None, env=None, timeout=300):
    return subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout)


def arch():
    if shutil.which("dpkg"):
        return run(["dpkg", "--print-architecture"]).stdout.decode().strip()
    return os.uname().machine


def is_stripped(path):
    """No .symtab section (what strip removes)."""
    res = run(["readelf", "-S", "-W", path])
    if res.returncode != 0:
        raise AssertionError("readelf -S %s: %r" % (path, res.stderr))
    return b".symtab" not in res.stdout


def files_under(d):
    """Every file and link under d, relative to it."""
    out = []
    for root, _, names in os.walk(d):
        out += [os.path.relpath(os.path.join(root, n), d) for n in names]
    return sorted(out)


def sha256sum_check(case, d):
    """sha256sum -c SHA256SUMS in d passes: the files it checked."""
    res = run(["sha256sum", "--strict", "-c", "SHA256SUMS"], cwd=d)
    case.assertEqual(res.returncode, 0, "sha256sum -c SHA256SUMS in %s: %s%s" % (
        d, res.stdout.decode(), res.stderr.decode()))
    lines = res.stdout.decode().splitlines()
    case.assertTrue(lines and all(l.endswith(": OK") for l in lines), lines)
    return sorted(l[:-len(": OK")] for l in lines)


class MakeCase(Case):
    def make(self, *targets, **variables):
        args = make_args()
        if args is None:
            self.skipTest("J1NPM_BIN (%s) is not this tree's build/rel/bin or build/san/bin; "
                          "make would package another build" % BIN)
        cmd = ["make", "--no-print-directory", "-C", ROOT] + args + list(targets)
        cmd += ["%s=%s" % kv for kv in variables.items()]
        res = run(cmd, env=make_env())
        self.assertEqual(res.returncode, 0, "%s failed:\n%s\n%s" % (
            " ".join(cmd), res.stdout.decode(errors="replace"),
            res.stderr.decode(errors="replace")))
        return res

    def version(self):
        res = self.run_prog("collect", "--version")
        self.assertEqual(res.rc, 0)
        return res.out.decode().split()[-1]


# ---- the dump's SHA256SUMS ---------------------------------------------------

class DumpChecksums(Case):
    def collect_dump(self):
        srv = self.registry()
        d = self.path("dump")
        res = self.collect(srv, d, "--quiet")
        self.assertExit(res, 0)
        return d

    def test_a_dump_directory_checks_with_sha256sum(self):
        d = self.collect_dump()
        manifest = load_json(os.path.join(d, "manifest.json"))
        listed = sha256sum_check(self, d)
        self.assertEqual(listed, sorted([f["file"] for f in manifest["files"]] +
                                        ["manifest.json"]))
        with open(os.path.join(d, "SHA256SUMS"), encoding="ascii") as f:
            sums = dict(reversed(l.split("  ", 1)) for l in f.read().splitlines())
        for entry in manifest["files"]:
            self.assertEqual(sums[entry["file"]], entry["sha256"],
                             "SHA256SUMS and the manifest disagree on " + entry["file"])
        st = os.stat(os.path.join(d, "SHA256SUMS"))
        self.assertEqual(st.st_mode & 0o777, 0o600)

    def test_sha256sum_refuses_a_damaged_dump(self):
        d = self.collect_dump()
        victim = os.path.join(d, "org_users.ndjson.gz")
        with open(victim, "r+b") as f:
            b = f.read(1)
            f.seek(0)
            f.write(bytes([b[0] ^ 1]))
        res = run(["sha256sum", "-c", "SHA256SUMS"], cwd=d)
        self.assertNotEqual(res.returncode, 0)
        self.assertIn(b"org_users.ndjson.gz: FAILED", res.stdout)

    def test_sums_cover_the_manifest_as_written(self):
        d = self.collect_dump()
        with open(os.path.join(d, "manifest.json"), "rb") as f:
            want = hashlib.sha256(f.read()).hexdigest()
        with open(os.path.join(d, "SHA256SUMS"), encoding="ascii") as f:
            last = f.read().splitlines()[-1]
        self.assertEqual(last, want + "  manifest.json")

    def test_transform_takes_a_dump_that_holds_sha256sums(self):
        d = self.collect_dump()
        self.assertTrue(os.path.exists(os.path.join(d, "SHA256SUMS")))
        res = self.run_prog("transform", "--in", d, "--out", self.path("graph"), "--quiet")
        self.assertExit(res, 0)
        self.assertTrue(os.path.exists(self.path("graph", "summary.json")))

    def test_force_replaces_a_dump_with_its_sums(self):
        d = self.collect_dump()
        srv = self.registry()
        res = self.collect(srv, d, "--force", "--quiet")
        self.assertExit(res, 0)
        sha256sum_check(self, d)


# ---- man pages ---------------------------------------------------------------

def renderer():
    if shutil.which("man"):
        return "man"
    if shutil.which("groff"):
        return "groff"
    return None


def render(page, width=80):
    """(returncode, text, warnings) of page rendered as a terminal would."""
    env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH=str(width), MAN_KEEP_FORMATTING="")
    if renderer() == "man":
        res = run(["man", "--warnings", "-l", page], env=env)
    else:
        res = run(["groff", "-man", "-ww", "-Tutf8", "-P-cbou", "-rLL=%dn" % width, page],
                  env=env)
    return res.returncode, res.stdout.decode(), res.stderr.decode()


def section(text, title):
    """The lines of a rendered page's section (headings start at column 0)."""
    out, inside = [], False
    for line in text.splitlines():
        if line and not line[0].isspace():
            inside = line.strip() == title
            continue
        if inside:
            out.append(line)
    return out


class ManPages(Case):
    @classmethod
    def setUpClass(cls):
        cls.tool = renderer()

    def page(self, name):
        if not self.tool:
            self.skipTest("neither man nor groff is installed")
        out = self.path("j1-npm-%s.1" % name)
        with open(out, "wb") as f:
            res = subprocess.run([os.path.join(ROOT, "man", "gen.sh"),
                                  os.path.join(ROOT, "man", "j1-npm-%s.1.in" % name),
                                  program(name), "9.9.9", "2026-01-02"],
                                 stdout=f, stderr=subprocess.PIPE, env=self.env(), timeout=60)
        self.assertEqual(res.returncode, 0, "man/gen.sh for %s: %r" % (name, res.stderr))
        return out

    def test_each_man_page_renders_without_warnings(self):
        for name in PROGRAMS:
            with self.subTest(program=name):
                rc, text, warnings = render(self.page(name))
                self.assertEqual(rc, 0, "%s failed on j1-npm-%s.1: %s" % (self.tool, name,
                                                                           warnings))
                self.assertEqual(warnings, "", "%s warns about j1-npm-%s.1" % (self.tool, name))
                for title in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS",
                              "SEE ALSO"):
                    self.assertTrue(section(text, title), "no %s in j1-npm-%s.1" % (title, name))
                self.assertIn("j1-npm 9.9.9", text)
                self.assertIn("2026-01-02", text)
                with open(self.path("j1-npm-%s.1" % name), encoding="utf-8") as f:
                    roff = "".join(l for l in f if not l.startswith('.\\"'))
                self.assertNotRegex(roff, r"@[A-Z]+@", "a placeholder left unfilled")

    def test_man_page_options_are_exactly_the_flags_of_help(self):
        for name in PROGRAMS:
            with self.subTest(program=name):
                _, text, _ = render(self.page(name), width=250)
                tags = [l for l in section(text, "OPTIONS") if re.match(r"^ {7}-", l)]
                in_page = set()
                for t in tags:
                    in_page |= set(FLAG.findall(t.strip().split("   ")[0]))
                res = self.run_prog(name, "--help")
                self.assertEqual(res.rc, 0)
                in_help = set(help_options(res.out.decode()))
                self.assertEqual(sorted(in_page), sorted(in_help),
                                 "j1-npm-%s.1's OPTIONS and --help's flags" % name)

    def test_man_page_describes_each_option_as_help_does(self):
        res = self.run_prog("upload", "--help")
        _, text, _ = render(self.page("upload"), width=250)
        opts = section(text, "OPTIONS")
        i = next(i for i, l in enumerate(opts) if l.strip().startswith("--batch-bytes N"))
        self.assertIn("most bytes of JSON in one batch (default 5000000)", opts[i + 1])
        self.assertIn(b"most bytes of JSON in one batch", res.out)


# ---- bash completion -----------------------------------------------------------

COMPLETE = r'''
source "$1"; shift
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
_j1_npm "$1"
printf '%s\n' "${COMPREPLY[@]}"
'''


class BashCompletion(Case):
    def complete(self, *words, cwd=None):
        if not shutil.which("bash"):
            self.skipTest("bash is not installed")
        env = self.env(PATH=BIN + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"))
        res = run(["bash", "-c", COMPLETE, "complete",
                   os.path.join(ROOT, "packaging", "j1-npm.bash")] +
                  ["j1-npm-" + words[0]] + list(words[1:]), cwd=cwd, env=env)
        self.assertEqual(res.returncode, 0, res.stderr)
        return [l for l in res.stdout.decode().splitlines() if l]

    def test_completion_offers_exactly_the_flags_of_help(self):
        for name in PROGRAMS:
            with self.subTest(program=name):
                res = self.run_prog(name, "--help")
                flags = set(help_options(res.out.decode()))
                self.assertEqual(sorted(self.complete(name, "-")), sorted(flags))
                self.assertEqual(sorted(self.complete(name, "--")),
                                 sorted(f for f in flags if f.startswith("--")))

    def test_completion_completes_a_prefix_after_other_options(self):
        self.assertEqual(self.complete("upload", "--dry-run", "--in", "x", "--batch"),
                         ["--batch-bytes"])

    def test_completion_offers_the_values_help_names(self):
        self.assertEqual(sorted(self.complete("transform", "--log-format", "")),
                         ["json", "text"])
        self.assertEqual(self.complete("transform", "--log-format", "=", "j"), ["json"])
        os.makedirs(self.path("w", "dump-acme"))
        with open(self.path("w", "notes.txt"), "w") as f:
            f.write("x")
        self.assertEqual(sorted(self.complete("transform", "--in", "", cwd=self.path("w"))),
                         ["-", "dump-acme"])
        self.assertEqual(sorted(self.complete("collect", "--token-file", "", cwd=self.path("w"))),
                         ["dump-acme", "notes.txt"])
        self.assertEqual(self.complete("collect", "--org", "", cwd=self.path("w")), [])


# ---- make install / uninstall, dist, deb ----------------------------------------

class Install(MakeCase):
    def test_make_install_then_uninstall_into_a_destdir_leaves_no_file(self):
        dest = self.path("dest")
        self.make("install", DESTDIR=dest, PREFIX="/opt/j1")
        want = sorted(["opt/j1/bin/j1-npm-%s" % p for p in PROGRAMS] +
                      ["opt/j1/share/man/man1/j1-npm-%s.1" % p for p in PROGRAMS] +
                      ["opt/j1/share/bash-completion/completions/j1-npm-%s" % p
                       for p in PROGRAMS])
        self.assertEqual(files_under(dest), want)
        for p in PROGRAMS:
            exe = os.path.join(dest, "opt/j1/bin/j1-npm-" + p)
            self.assertTrue(is_stripped(exe), exe + " is not stripped")
            self.assertEqual(os.stat(exe).st_mode & 0o777, 0o755)
            res = run([exe, "--version"], env=self.env())
            self.assertEqual(res.stdout.decode().strip(), "j1-npm-%s %s" % (p, self.version()))
            rc, _, warnings = render(os.path.join(dest, "opt/j1/share/man/man1/j1-npm-%s.1" % p))
            self.assertEqual((rc, warnings), (0, ""))
        self.make("uninstall", DESTDIR=dest, PREFIX="/opt/j1")
        self.assertEqual(files_under(dest), [], "make uninstall left files behind")


class Dist(MakeCase):
    def test_make_dist_builds_a_tarball_whose_sums_check(self):
        res = self.make("dist")
        name = "j1-npm-%s-linux-%s" % (self.version(), arch())
        tgz = os.path.join(build_dir(), "dist", name + ".tar.gz")
        self.assertIn(name + ".tar.gz", res.stdout.decode())
        self.assertTrue(os.path.exists(tgz), tgz)
        out = self.path("x")
        with tarfile.open(tgz) as t:
            members = t.getmembers()
            self.assertTrue(all(m.name == name or m.name.startswith(name + "/")
                                for m in members), "files outside %s/ in the tarball" % name)
            self.assertTrue(all(m.uid == 0 and m.gid == 0 for m in members))
            t.extractall(out)
        top = os.path.join(out, name)
        listed = sha256sum_check(self, top)
        self.assertEqual(listed, [f for f in files_under(top) if f != "SHA256SUMS"])
        self.assertEqual(files_under(top), sorted(
            ["README.md", "SHA256SUMS"] + ["bin/j1-npm-%s" % p for p in PROGRAMS] +
            ["share/man/man1/j1-npm-%s.1" % p for p in PROGRAMS] +
            ["share/bash-completion/completions/j1-npm-%s" % p for p in PROGRAMS]))
        for p in PROGRAMS:
            exe = os.path.join(top, "bin", "j1-npm-" + p)
            self.assertTrue(is_stripped(exe), exe + " is not stripped")
            res = run([exe, "--version"], env=self.env())
            self.assertEqual(res.returncode, 0)


def needed_packages(exe):
    """The Debian packages that ship the shared libraries exe names as
    NEEDED (readelf -d), found by their paths (ldd) with dpkg -S."""
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(\S+)\]",
                        run(["readelf", "-d", exe]).stdout.decode())
    paths = dict(re.findall(r"^\s*(\S+) => (/\S+)", run(["ldd", exe]).stdout.decode(), re.M))
    pkgs = set()
    for soname in needed:
        path = paths.get(soname)
        if not path:
            raise AssertionError("ldd does not resolve %s of %s" % (soname, exe))
        # a merged-/usr system may register the library under /lib or /usr/lib
        candidates = {path, os.path.realpath(path)}
        candidates |= {re.sub(r"^/usr/lib/", "/lib/", c) for c in candidates}
        candidates |= {re.sub(r"^/lib/", "/usr/lib/", c) for c in candidates}
        for c in sorted(candidates):
            q = run(["dpkg", "-S", c])
            if q.returncode == 0:
                pkgs.add(q.stdout.decode().split(":")[0])
                break
        else:
            raise AssertionError("dpkg -S finds no package that ships %s (%s)" % (soname, path))
    return pkgs


DEB_FILES = sorted(["/usr/bin/j1-npm-%s" % p for p in PROGRAMS] +
                   ["/usr/share/man/man1/j1-npm-%s.1.gz" % p for p in PROGRAMS] +
                   ["/usr/share/bash-completion/completions/j1-npm-%s" % p for p in PROGRAMS] +
                   ["/usr/share/doc/j1-npm/README.md", "/usr/share/doc/j1-npm/copyright"])


@unittest.skipUnless(shutil.which("dpkg-deb"), "dpkg-deb is not installed: no .deb to test")
@unittest.skipUnless(shutil.which("dpkg-shlibdeps") or os.geteuid() == 0,
                     "dpkg-dev is not installed and we are not root to install it (make deb)")
class DebianPackage(MakeCase):
    @classmethod
    def setUpClass(cls):
        cls.deb = None

    def build_deb(self):
        if DebianPackage.deb is None:
            self.make("deb")
            debs = glob.glob(os.path.join(build_dir(), "dist", "j1-npm_%s_%s.deb" % (
                self.version(), arch())))
            self.assertEqual(len(debs), 1, debs)
            DebianPackage.deb = debs[0]
        return DebianPackage.deb

    def field(self, name):
        res = run(["dpkg-deb", "-f", self.build_deb(), name])
        self.assertEqual(res.returncode, 0, res.stderr)
        return res.stdout.decode().strip()

    def test_deb_control_names_the_package_and_its_library_dependencies(self):
        self.assertEqual(self.field("Package"), "j1-npm")
        self.assertEqual(self.field("Version"), self.version())
        self.assertEqual(self.field("Architecture"), arch())
        depends = {d.strip().split()[0] for d in self.field("Depends").split(",")}
        want = set()
        for p in PROGRAMS:
            want |= needed_packages(program(p))
        self.assertEqual(sorted(want - depends), [],
                         "Depends (%s) misses packages of linked libraries" % self.field("Depends"))
        self.assertTrue({"libc6", "zlib1g"} <= depends, depends)
        self.assertTrue(any(d.startswith("libcurl") for d in depends), depends)

    def test_deb_holds_the_programs_man_pages_completion_and_docs(self):
        res = run(["dpkg-deb", "-c", self.build_deb()])
        self.assertEqual(res.returncode, 0)
        files = {}
        for line in res.stdout.decode().splitlines():
            cols = line.split()
            if not cols[0].startswith("d"):
                files[cols[-1].lstrip(".")] = (cols[0], cols[1])
        self.assertEqual(sorted(files), DEB_FILES)
        for f, (mode, owner) in files.items():
            self.assertEqual(owner, "root/root", f)
            self.assertEqual(mode, "-rwxr-xr-x" if "/bin/" in f else "-rw-r--r--", f)

    def status(self):
        """dpkg's status of j1-npm ("install ok installed"), "" when unknown."""
        q = run(["dpkg-query", "-W", "-f=${Status}", "j1-npm"])
        return q.stdout.decode().strip() if q.returncode == 0 else ""

    @unittest.skipUnless(hasattr(os, "geteuid") and os.geteuid() == 0,
                         "not root: the .deb is built and inspected, not installed")
    @unittest.skipUnless(shutil.which("dpkg"), "dpkg is not installed")
    def test_deb_installs_and_removes_cleanly(self):
        if self.status().endswith(" installed"):
            self.skipTest("j1-npm is installed on this machine already; not replacing it")
        deb = self.build_deb()
        try:
            res = run(["dpkg", "-i", deb], timeout=120)
            self.assertEqual(res.returncode, 0, "dpkg -i: %s" % res.stderr.decode())
            self.assertEqual(self.status(), "install ok installed")
            for p in PROGRAMS:
                res = run(["/usr/bin/j1-npm-" + p, "--version"], env=self.env())
                self.assertEqual(res.stdout.decode().strip(), "j1-npm-%s %s" % (p, self.version()))
                rc, _, warnings = render("/usr/share/man/man1/j1-npm-%s.1.gz" % p)
                self.assertEqual((rc, warnings), (0, ""))
            listed = run(["dpkg", "-L", "j1-npm"]).stdout.decode().splitlines()
            owned = sorted(f for f in listed if os.path.isfile(f))
            self.assertEqual(owned, DEB_FILES, "dpkg -L j1-npm")
            res = run(["dpkg", "--verify", "j1-npm"])
            self.assertEqual((res.returncode, res.stdout), (0, b""),
                             "dpkg --verify j1-npm: %r" % res)
        finally:
            res = run(["dpkg", "-r", "j1-npm"], timeout=120)
        self.assertEqual(res.returncode, 0, "dpkg -r: %s" % res.stderr.decode())
        self.assertFalse(self.status().endswith(" installed"), self.status())
        left = [f for f in owned if os.path.exists(f)]
        self.assertEqual(left, [], "dpkg -r left files behind")


if __name__ == "__main__":
    unittest.main()
