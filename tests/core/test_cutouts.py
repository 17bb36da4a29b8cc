"""Stamps decode exactly, in the right orientation; broken ones are reported."""

from __future__ import annotations

import gzip
import io

import numpy as np
import pytest
from astropy.io import fits

from alertview.core.cutouts import decode_cutout, decode_cutouts
from alertview.core.decode import read_alerts
from alertview.core.errors import CutoutError
from alertview.core.scaling import display_limits, stretch_image
from tests.conftest import FINK_LSST_TRANSFER, PROTOTYPE, SHARED

ALERTS = None


def all_alerts(cache):
    return list(read_alerts([SHARED], cache))


def astropy_pixels(stamp: bytes) -> np.ndarray:
    if stamp[:2] == b"\x1f\x8b":
        stamp = gzip.decompress(stamp)
    with fits.open(io.BytesIO(stamp), ignore_missing_simple=True) as hdus:
        return np.asarray(hdus[0].data, dtype=np.float32)


def test_fast_fits_reader_gives_astropy_pixels(cache):
    checked = 0
    for alert in all_alerts(cache):
        if alert.schema_label == "ztf prototype":
            continue
        for name, cutout in decode_cutouts(alert).items():
            reference = astropy_pixels(alert.cutouts[name])
            assert cutout.kind == "fits" and cutout.data.dtype == np.float32
            np.testing.assert_array_equal(cutout.data, reference)
            checked += 1
    assert checked == 3 * 56


def test_ztf_stamps_are_63_pixels_with_a_header(cache):
    alert = next(a for a in all_alerts(cache) if a.schema_label == "ztf 3.3")
    science = decode_cutouts(alert)["science"]
    assert science.shape == (63, 63)
    assert science.header["BUNIT"] == "DN"
    # no WCS in ZTF stamps: North up is the FITS orientation (rows flipped on screen)
    assert science.wcs is None and science.north_angle == 0
    np.testing.assert_array_equal(science.north_up(), science.data[::-1])


def test_prototype_jpeg_stamps(cache):
    (alert,) = read_alerts([PROTOTYPE], cache)
    cutouts = decode_cutouts(alert)
    for name in ("science", "template", "difference"):
        assert cutouts[name].kind == "jpeg" and cutouts[name].shape == (51, 51)
        assert np.isfinite(cutouts[name].data).all() and cutouts[name].data.max() > 0


def test_rubin_stamps_orientation_and_wcs(cache):
    alerts = list(read_alerts([FINK_LSST_TRANSFER], cache))
    for alert in alerts:
        cutouts = decode_cutouts(alert)
        science = cutouts["science"]
        assert science.shape == (30, 30)
        assert science.header["BUNIT"] == "nJy"
        # the stamp is centred on the source: its WCS says so
        ra, dec = science.wcs.pixel_to_world_values(14.5, 14.5)
        assert abs(ra - alert.ra) * np.cos(np.radians(alert.dec)) < 2 / 3600
        assert abs(dec - alert.dec) < 2 / 3600
        # North is at the focal plane's position angle (ROTPA), within a degree
        delta = (science.north_angle - science.header["ROTPA"] + 180) % 360 - 180
        assert abs(delta) < 1.0
        assert science.extension("UNCERT").shape == (30, 30)
        assert science.extension("PSFIMAGE").ndim == 2


def test_rubin_north_up_resampling_puts_north_up(cache):
    alert = next(iter(read_alerts([FINK_LSST_TRANSFER], cache)))
    science = decode_cutouts(alert)["science"]
    # mark the pixel one step North of the centre and find it on screen
    wcs = science.wcs
    x, y = wcs.world_to_pixel_values(alert.ra, alert.dec + 5 * 0.2 / 3600)
    marked = science.data.copy()
    marked[:] = 0
    marked[round(float(y)), round(float(x))] = 1
    probe = type(science)(science.name, marked, science.kind, sky_transform=science.sky_transform)
    rows, cols = np.nonzero(probe.north_up() == 1)
    assert rows[0] < 14 and abs(cols[0] - 14.5) <= 1.5  # above the centre on screen


def test_missing_and_broken_stamps_are_errors_not_crashes():
    with pytest.raises(CutoutError, match="science cutout is missing"):
        decode_cutout("science", b"")
    with pytest.raises(CutoutError, match="neither FITS nor JPEG"):
        decode_cutout("template", b"\x00garbage")
    with pytest.raises(CutoutError, match="difference cutout cannot be decoded"):
        decode_cutout("difference", gzip.compress(b"SIMPLE  =  T")[:-6])
    with pytest.raises(CutoutError, match="truncated"):
        decode_cutout("science", b"SIMPLE  =                    T" + b" " * 49)


def test_truncated_fits_data(cache):
    alert = next(iter(read_alerts([FINK_LSST_TRANSFER], cache)))
    stamp = alert.cutouts["science"]
    with pytest.raises(CutoutError, match="truncated"):
        decode_cutout("science", stamp[: 2880 + 100])


def test_nan_and_inf_pixels_survive_scaling():
    data = np.array([[np.nan, 1.0], [np.inf, 3.0]], dtype=np.float32)
    lo, hi = display_limits(data, "minmax")
    assert (lo, hi) == (1.0, 3.0)
    out = stretch_image(data, (lo, hi), "asinh")
    assert np.isnan(out[0, 0]) and out[1, 1] == pytest.approx(1.0)


@pytest.mark.parametrize("method", ["zscale", "minmax", "percentile"])
@pytest.mark.parametrize("stretch", ["linear", "asinh", "log"])
def test_scaling_is_safe_on_empty_and_constant_stamps(method, stretch):
    for data in (np.full((5, 5), np.nan), np.full((5, 5), 7.0), np.zeros((0, 0))):
        lo, hi = display_limits(data, method)
        assert np.isfinite([lo, hi]).all() and hi > lo
        out = stretch_image(data, (lo, hi), stretch)
        assert out.shape == data.shape
        assert np.all((out[np.isfinite(out)] >= 0) & (out[np.isfinite(out)] <= 1))


def test_symmetric_limits_for_difference_images(cache):
    alert = next(iter(read_alerts([FINK_LSST_TRANSFER], cache)))
    diff = decode_cutouts(alert)["difference"].data
    lo, hi = display_limits(diff, "zscale", symmetric=True)
    assert lo == -hi and hi > 0
