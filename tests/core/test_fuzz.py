"""Thousands of damaged packets, each ending in alerts or one clear error, in bounded
time and memory (the harness is ``fuzzing.py``; it runs in a child process whose
address space is capped, so an unbounded allocation fails here, not the machine)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO

#: Address space of the child: Python with numpy and astropy maps ~1 GB; a case
#: that inflated past the 512 MB gzip cap, or built a list of 2**40 nulls, would not fit.
MEMORY_LIMIT = 2 * 2**30


def test_mutated_packets_end_in_alerts_or_errors():
    done = subprocess.run(
        [sys.executable, "-m", "tests.core.fuzzing", "20261201", "9", str(MEMORY_LIMIT)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr == ""  # nothing printed behind the errors' backs (astropy warnings)
    counts = json.loads(done.stdout.splitlines()[-1])
    print(counts)  # shown with -s: the figures of the run
    assert counts["cases"] > 900
    assert counts["escaped"] == 0, counts.get("examples")
    assert counts["internal"] == 0, counts.get("examples")
    assert counts["too slow"] == 0, counts.get("examples")
    assert counts["alerts"] > 100  # the harmless mutations still decode
    assert counts["errors"] > 300
