#!/bin/sh
# python.sh — the Python package (python/): its unittest files, run against
# the build tree's package by the interpreter configure found.  They check
# each of wandb's rules against the run file read back through tally.Api
# and `tally export`.  Skipped only when the package was not built or the
# interpreter lacks numpy.
. "$TOP_SRCDIR/tests/integration/lib.sh"
set -eu

[ -n "${PYTHON:-}" ] || skip "configure found no Python with headers (apt-get install python3-dev)"
[ -f "$TOP_BUILDDIR/python/build/tally/__init__.py" ] || skip "the Python package was not built"
"$PYTHON" -c 'import numpy' 2>/dev/null || skip "$PYTHON lacks numpy (apt-get install python3-numpy)"

PYTHONPATH=$TOP_BUILDDIR/python/build${PYTHONPATH:+:$PYTHONPATH}
export PYTHONPATH
# An ASan build of the module inside an interpreter built without it.
if [ "${TALLY_SANITIZERS:-no}" = yes ]; then
    LD_PRELOAD=$(${CC:-cc} -print-file-name=libasan.so)
    ASAN_OPTIONS=detect_leaks=0
    export LD_PRELOAD ASAN_OPTIONS
fi
cd "$TMP" 2>/dev/null || cd "${TMPDIR:-/tmp}"
if "$PYTHON" -m unittest discover -s "$TOP_SRCDIR/python/tests" -p 'test_*.py' -v 2>&1; then
    pass "python unittest"
else
    fail "python unittest"
fi
finish
