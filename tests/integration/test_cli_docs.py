"""test_cli_docs.py - README's flag tables say what each program's --help says.

--help is generated from each program's option table (common/cli.h), so it
cannot drift from the code; this test holds README.md to it. For each
program, README's section "## j1-npm-<name>" has a usage synopsis (its first
``` block) and a flag table (| flag | ... |); the options every program has
are in the table of the section "## Options of all three programs". Then:

  - the flags of --help are exactly the flags of the program's table and the
    shared table (a flag added to the code but not to README, or left in
    README after it went, fails);
  - every flag in the synopsis is a real one, and every row of the
    program's table has one of its flags in the synopsis;
  - where --help shows "(default X)", README's default column says X.

Flags are -x and --long-name words; each table row's first column names
the flags it is about (`--in DIR` / `--in -`: one flag, two rows).
"""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, Case  # noqa: E402

PROGRAMS = ("collect", "transform", "upload")
SHARED_SECTION = "Options of all three programs"
FLAG = re.compile(r"(?<![\w-])(--?[A-Za-z][A-Za-z0-9-]*)")


def flags(text):
    return set(FLAG.findall(text))


def readme_sections():
    """{title: text} of README's "## " sections."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    parts = re.split(r"^## +(.+?)\s*$", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def flag_table(section):
    """The section's first table whose header starts with "flag": a list of
    (flags of the row, default cell or None) per row."""
    lines = section.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|") and cells(line)[0] == "flag":
            header = cells(line)
            d = header.index("default") if "default" in header else None
            rows = []
            for row in lines[i + 2:]:
                if not row.startswith("|"):
                    break
                c = cells(row.replace("\\|", "\0"))
                rows.append((flags(c[0]), c[d].replace("`", "").replace("\0", "|")
                             if d is not None else None))
            return rows
    return None


def synopsis(section):
    m = re.search(r"^```\n(.*?)^```", section, flags=re.S | re.M)
    return m.group(1) if m else None


def help_options(out):
    """{flag: default or None} from a --help text: option lines start with
    "  -", the names end at two spaces, the description runs on over the
    lines indented below it."""
    entries = []  # [names, description]
    current = None
    for line in out.splitlines():
        if line.startswith("  -"):
            names, _, desc = line.strip().partition("  ")
            current = [names, desc.strip()]
            entries.append(current)
        elif current and re.match(r"^ {4,}\S", line):
            current[1] += " " + line.strip()
        else:
            current = None
    opts = {}
    for names, desc in entries:
        m = re.search(r"\(default (.*)\)$", desc)
        for f in flags(names):
            opts[f] = m.group(1) if m else None
    return opts


class ReadmeFlagTablesMatchHelp(Case):
    @classmethod
    def setUpClass(cls):
        cls.sections = readme_sections()
        cls.shared = flag_table(cls.sections.get(SHARED_SECTION, ""))

    def help_options(self, name):
        res = self.run_prog(name, "--help")
        self.assertEqual(res.rc, 0, "j1-npm-%s --help: %r" % (name, res))
        return help_options(res.out.decode())

    def program_docs(self, name):
        section = self.sections.get("j1-npm-" + name)
        self.assertIsNotNone(section, "README has no section '## j1-npm-%s'" % name)
        table, syn = flag_table(section), synopsis(section)
        self.assertIsNotNone(table, "README's j1-npm-%s section has no | flag | table" % name)
        self.assertIsNotNone(syn, "README's j1-npm-%s section has no ``` synopsis" % name)
        self.assertIsNotNone(self.shared, "README has no flag table under '## %s'"
                             % SHARED_SECTION)
        return table, syn

    def test_readme_tables_list_exactly_the_flags_of_help(self):
        for name in PROGRAMS:
            with self.subTest(program=name):
                table, _ = self.program_docs(name)
                documented = set().union(*(f for f, _ in table + self.shared))
                shown = set(self.help_options(name))
                self.assertEqual(
                    sorted(shown - documented), [],
                    "j1-npm-%s --help shows flags README's tables do not list" % name)
                self.assertEqual(
                    sorted(documented - shown), [],
                    "README's tables list flags j1-npm-%s --help does not show" % name)

    def test_readme_synopsis_names_real_flags_and_every_row_of_the_table(self):
        for name in PROGRAMS:
            with self.subTest(program=name):
                table, syn = self.program_docs(name)
                shown = set(self.help_options(name))
                self.assertEqual(sorted(flags(syn) - shown), [],
                                 "README's j1-npm-%s synopsis names flags --help does not "
                                 "show" % name)
                missing = [sorted(f) for f, _ in table if f and not f & flags(syn)]
                self.assertEqual(missing, [], "rows of README's j1-npm-%s table that its "
                                 "synopsis leaves out" % name)

    def test_readme_defaults_are_the_defaults_help_shows(self):
        for name in PROGRAMS:
            with self.subTest(program=name):
                table, _ = self.program_docs(name)
                for flag, default in self.help_options(name).items():
                    if default is None:
                        continue
                    cells_of_flag = [d for f, d in table + self.shared if flag in f]
                    self.assertIn(default, cells_of_flag,
                                  "j1-npm-%s --help says %s defaults to %r; README's default "
                                  "column says %r" % (name, flag, default, cells_of_flag))


if __name__ == "__main__":
    unittest.main()
