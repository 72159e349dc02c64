#!/bin/sh
# cli_help.sh — `tally --help` and `tally CMD --help` for every command:
# exit 0, the help on stdout and nothing on stderr, every option the parser
# accepts described (read from the option tables in src/cli, and probed on
# the real parser), and a bad option answered with a short usage on stderr
# and exit 2.
. "$TOP_SRCDIR/tests/integration/lib.sh"
need_python
set -e

# The commands, as `tally --help` lists them.
"$TALLY" --help >"$TMP/top.out" 2>"$TMP/top.err" || die "tally --help exits $?"
check "tally --help writes nothing on stderr" test ! -s "$TMP/top.err"
commands=$(sed -n '/^commands:/,/^$/s/^  \([a-z]*\) .*/\1/p' "$TMP/top.out")
[ -n "$commands" ] || die "tally --help lists no command"
check "tally -h is tally --help" sh -c '"$1" -h | cmp -s - "$2"' - "$TALLY" "$TMP/top.out"
check "tally help is tally --help" sh -c '"$1" help | cmp -s - "$2"' - "$TALLY" "$TMP/top.out"
for opt in --help --version --dir; do
    check "tally --help describes $opt" grep -q -- "^  \(-., \|    \)$opt" "$TMP/top.out"
done

# Every command of main.c is listed (and nothing else).
py "tally --help lists every command of src/cli/main.c" '
import re, sys
src = open(sys.argv[1] + "/src/cli/main.c").read()
table = re.search(r"commands\[\] = \{(.*?)\};", src, re.S).group(1)
want = sorted(re.findall(r"&cmd_(\w+)", table))
got = sorted(sys.argv[2].split())
assert want == got, "main.c has %s, --help lists %s" % (want, got)
' "$TOP_SRCDIR" "$commands"

# No command parses its options around the tables.
py "every command parses with cli_getopt, none with getopt_long directly" '
import glob, re, sys
bad = [f for f in glob.glob(sys.argv[1] + "/src/cli/cmd_*.c")
       if re.search(r"\bgetopt(_long)?\s*\(", open(f).read())]
assert not bad, bad
' "$TOP_SRCDIR"

for c in $commands; do
    set +e
    "$TALLY" "$c" --help >"$TMP/$c.out" 2>"$TMP/$c.err"
    rc=$?
    set -e
    if [ "$rc" -eq 0 ] && [ ! -s "$TMP/$c.err" ] && head -1 "$TMP/$c.out" | grep -q "^usage: tally $c"; then
        pass "tally $c --help: exit 0, usage on stdout, stderr empty"
    else
        fail "tally $c --help: exit $rc, stderr: $(head -c 200 "$TMP/$c.err")"
    fi
    check "tally help $c is tally $c --help" sh -c '"$1" help "$2" | cmp -s - "$3"' - \
        "$TALLY" "$c" "$TMP/$c.out"

    # The options of the command's table in its source file, with whether
    # they take an argument: "name:1 name:0 ...".
    opts=$(python3 -c '
import re, sys
src = open(sys.argv[1]).read()
table = re.search(r"cli_option \w+_option_table\[\] = \{(.*?)\{NULL", src, re.S).group(1)
# The options cli.h defines as macros (CLI_OPTION_DIR ...).
header = open(sys.argv[2]).read().replace("\\\n", " ")
macros = {m.group(1): (m.group(2), int(m.group(3) != "NULL")) for m in re.finditer(
    r"#define (CLI_OPTION_\w+)\s+\{\"([a-z0-9-]+)\", [^,]+, (NULL|\"[^\"]*\")", header)}
out = []
for m in re.finditer(r"(CLI_OPTION_\w+)|\{\"([a-z0-9-]+)\", [^,]+, (NULL|\"[^\"]*\")", table):
    name, arg = macros[m.group(1)] if m.group(1) else (m.group(2), int(m.group(3) != "NULL"))
    out.append("%s:%d" % (name, arg))
print(" ".join(out))
' "$TOP_SRCDIR/src/cli/cmd_$c.c" "$TOP_SRCDIR/src/cli/cli.h")
    [ -n "$opts" ] || fail "no option table found for $c"
    described=1
    for o in $opts; do
        name=${o%:*}
        grep -q -- "^  \(-., \|    \)--$name\b" "$TMP/$c.out" || {
            fail "tally $c --help does not describe --$name"
            described=0
        }
        # The parser takes it, with an argument exactly when the table says
        # so: getopt would complain before --help is reached.  (The value
        # may still be refused: that is the command's business.)
        if [ "${o#*:}" = 1 ]; then set -- "--$name" 1; else set -- "--$name"; fi
        "$TALLY" "$c" "$@" --help >/dev/null 2>"$TMP/probe.err" || true
        if grep -q "unrecognized option\|requires an argument\|allow an argument" "$TMP/probe.err"; then
            fail "tally $c does not take --$name: $(head -1 "$TMP/probe.err")"
        fi
    done
    [ "$described" -eq 0 ] || pass "tally $c --help describes its $(echo "$opts" | wc -w) options"

    # Each option line has a description, and every short option shown works.
    py "every option line of tally $c --help has a description" '
import re, sys
lines = open(sys.argv[1]).read().split("options:\n", 1)[1].split("\n\n")[0].splitlines()
for l in lines:
    if re.match(r" {7,}\S", l):
        continue  # a description wrapped onto the next line
    m = re.match(r"  (-\w, |    )--[a-z0-9-]+( [A-Z]+)?  +\S", l)
    assert m, "no description: %r" % l
    assert len(l) <= 79, "wider than 79 columns: %r" % l
' "$TMP/$c.out"
    for s in $(sed -n 's/^  -\([A-Za-z0-9]\), --[a-z0-9-]* [A-Z].*/\1:1/p; s/^  -\([A-Za-z0-9]\), --[a-z0-9-]*  .*/\1:0/p' "$TMP/$c.out"); do
        if [ "${s#*:}" = 1 ]; then set -- "-${s%:*}" 1; else set -- "-${s%:*}"; fi
        "$TALLY" "$c" "$@" --help >/dev/null 2>"$TMP/probe.err" || true
        if grep -q "invalid option\|requires an argument" "$TMP/probe.err"; then
            fail "tally $c does not take -${s%:*}: $(head -1 "$TMP/probe.err")"
        fi
    done

    # A bad option: a short usage on stderr, nothing on stdout, exit 2.
    usage_error "tally $c --no-such-option" "$TALLY" "$c" --no-such-option
    check "  the usage is short" test "$(grep -c . "$TMP/usage.err")" -le 3
done

usage_error "tally --no-such-option" "$TALLY" --no-such-option
usage_error "tally help no-such-command" "$TALLY" help no-such-command
usage_error "tally with no command off a terminal" "$TALLY"
finish
