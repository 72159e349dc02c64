#!/bin/sh
# man.sh — the manuals: tally(1) and libtally(3) format without a single
# groff warning (groff -man -ww, and man -l as a reader runs it), tally(1)
# describes every command and every option `tally CMD --help` lists, and
# libtally(3) every function of the public headers.
. "$TOP_SRCDIR/tests/integration/lib.sh"
need_python
command -v groff >/dev/null 2>&1 || skip "groff is not installed (./bootstrap installs groff-base)"
set -e

MAN1=$TOP_SRCDIR/man/tally.1
MAN3=$TOP_SRCDIR/man/libtally.3

for page in "$MAN1" "$MAN3"; do
    name=$(basename "$page")
    if groff -man -Tutf8 -ww -z "$page" 2>"$TMP/groff.err" && [ ! -s "$TMP/groff.err" ]; then
        pass "$name: groff -man -ww reports nothing"
    else
        fail "$name: groff warns"
        sed 's/^/     /' "$TMP/groff.err" | head -10
    fi
    if command -v man >/dev/null 2>&1; then
        if MANWIDTH=80 man --warnings=w -l "$page" >"$TMP/$name.txt" 2>"$TMP/man.err" &&
            [ ! -s "$TMP/man.err" ] && [ -s "$TMP/$name.txt" ]; then
            pass "$name: man -l renders it without warnings"
        else
            fail "$name: man -l"
            sed 's/^/     /' "$TMP/man.err" | head -10
        fi
    else
        groff -man -Tutf8 "$page" 2>/dev/null | sed 's/.\x08//g' >"$TMP/$name.txt"
    fi
    for section in NAME SYNOPSIS DESCRIPTION "SEE ALSO"; do
        grep -q "^$section" "$TMP/$name.txt" || fail "$name has no $section section"
    done
done
for section in COMMANDS OPTIONS ENVIRONMENT FILES "EXIT STATUS"; do
    check "tally.1 has a $section section" grep -q "^$section" "$TMP/tally.1.txt"
done

# Every command of `tally --help`, and every option of its --help, is in tally(1).
"$TALLY" --help >"$TMP/help.txt"
commands=$(sed -n '/^commands:/,/^$/s/^  \([a-z]*\) .*/\1/p' "$TMP/help.txt")
[ -n "$commands" ] || die "tally --help lists no command"
for c in $commands; do
    "$TALLY" "$c" --help >"$TMP/help-$c.txt"
done
py "tally(1) describes every command and every option of their --help" '
import re, sys
page, helpdir, commands = sys.argv[1], sys.argv[2], sys.argv[3].split()
text = open(page).read()
# The rendered page: a subsection "tally CMD ..." per command, its options below it.
sections = re.split(r"\n   (?=tally \w)", text)
by_command = {}
for s in sections[1:]:
    by_command.setdefault(s.split()[1], "")
    by_command[s.split()[1]] += s
missing = []
for c in commands:
    if c not in by_command:
        missing.append("command " + c)
        continue
    body = by_command[c].split("\n   tally ")[0]
    for line in open("%s/help-%s.txt" % (helpdir, c)):
        m = re.match(r"  (?:-(\w), |    )--([a-z0-9-]+)", line)
        if not m or m.group(2) == "help":
            continue
        if "--" + m.group(2) not in body:
            missing.append("tally %s --%s" % (c, m.group(2)))
        if m.group(1) and "-%s, --%s" % (m.group(1), m.group(2)) not in body:
            missing.append("tally %s -%s" % (c, m.group(1)))
top = text.split("\nOPTIONS\n", 1)[1].split("\nENVIRONMENT", 1)[0]
for line in open("%s/help.txt" % helpdir):
    m = re.match(r"  (?:-\w, |    )--([a-z0-9-]+)", line)
    if m and "--" + m.group(1) not in top:
        missing.append("tally --" + m.group(1))
assert not missing, "not in tally(1): " + ", ".join(missing)
print(len(commands), "commands")
' "$TMP/tally.1.txt" "$TMP" "$commands"

py "tally(1) lists the environment variables the code reads" '
import glob, re, sys
src, page = sys.argv[1], open(sys.argv[2]).read()
env = page.split("\nENVIRONMENT\n", 1)[1].split("\nFILES", 1)[0]
names = set()
for f in glob.glob(src + "/src/*/*.c"):
    names |= set(re.findall(r"(?:getenv|http_env_ms|option)\([^)]*\"((?:TALLY|WANDB)_[A-Z_]+|NETRC)\"", open(f).read()))
missing = sorted(n for n in names if n not in env)
assert not missing, "not in ENVIRONMENT: %s" % missing
print(len(names), "variables")
' "$TOP_SRCDIR" "$TMP/tally.1.txt"

py "libtally(3) describes every function of tally.h and tally_store.h" '
import re, sys
page = open(sys.argv[1]).read()
synopsis, rest = page.split("\nDESCRIPTION\n", 1)
missing = []
for h in sys.argv[2:]:
    src = re.sub(r"/\*.*?\*/", "", open(h).read(), flags=re.S)
    for name in re.findall(r"\b(tally_\w+)\s*\(", src):
        if name not in synopsis:
            missing.append(name + " (synopsis)")
        if name not in rest:
            missing.append(name + " (description)")
assert not missing, "not in libtally(3): %s" % sorted(set(missing))
' "$TMP/libtally.3.txt" "$TOP_SRCDIR/include/tally.h" "$TOP_SRCDIR/include/tally_store.h"
finish
