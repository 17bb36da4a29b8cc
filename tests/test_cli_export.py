"""`alertview export` as a user runs it: the files it wrote on stdout, nothing else."""

from __future__ import annotations

import subprocess
import sys

from astropy.io import fits
from astropy.table import Table

from tests.conftest import FINK_LSST_TRANSFER, ZTF_FILES


def _export(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "alertview", "export", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_cutouts_of_both_surveys_quietly_with_every_hdu(tmp_path):
    """ZTF's non-standard 'SIMPLE  =  T' is repaired without a warning on the terminal;
    Rubin's stamps keep their uncertainty and PSF images."""
    out = tmp_path / "stamps"
    result = _export(str(ZTF_FILES[-1]), str(FINK_LSST_TRANSFER), "--format", "cutouts",
                     "--out", str(out))  # fmt: skip
    assert result.returncode == 0 and result.stderr == ""
    written = result.stdout.splitlines()
    assert len(written) == 2 * 3 * (1 + 7)  # FITS and PNG of three stamps, eight alerts
    rubin = sorted(out.glob("lsst_*_difference.fits"))
    assert len(rubin) == 7
    for path in rubin:
        with fits.open(path) as hdus:
            assert [h.name for h in hdus] == ["PRIMARY", "UNCERT", "PSFIMAGE"]


def test_votable_of_ztf_alerts_says_utc(tmp_path):
    out = tmp_path / "ztf.xml"
    result = _export(*map(str, ZTF_FILES), "--format", "votable", "--out", str(out))
    assert result.returncode == 0, result.stderr
    table = Table.read(out, format="votable")
    assert len(table) == len(ZTF_FILES) and str(table["mjd"].unit) == "d"
    assert "(UTC)" in table["mjd"].description
