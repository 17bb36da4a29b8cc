"""Stamps decode exactly, in the right orientation; broken ones are reported."""

from __future__ import annotations

import dataclasses
import gzip
import io
import struct
import tracemalloc
import warnings
import zlib

import numpy as np
import pytest
from astropy.io import fits

from alertview.core.cutouts import (
    BLANK_MAGNITUDE,
    MAX_STAMP_BYTES,
    MAX_STAMP_PIXELS,
    decode_cutout,
    decode_cutouts,
    gunzip,
)
from alertview.core.decode import read_alerts
from alertview.core.errors import CutoutError
from alertview.core.scaling import display_limits, stretch_image
from tests.conftest import FINK_LSST_TRANSFER, PROTOTYPE, SHARED

ALERTS = None


def all_alerts(cache):
    return list(read_alerts([SHARED], cache))


def _raw_pixels(stamp: bytes) -> np.ndarray:
    """The primary image as astropy reads it (blanks as the numbers the file holds)."""
    if stamp[:2] == b"\x1f\x8b":
        stamp = gzip.decompress(stamp)
    with fits.open(io.BytesIO(stamp), ignore_missing_simple=True) as hdus:
        return np.array(hdus[0].data, dtype=np.float32)


def astropy_pixels(stamp: bytes) -> np.ndarray:
    pixels = _raw_pixels(stamp)
    pixels[np.abs(pixels) >= BLANK_MAGNITUDE] = np.nan  # ZTF's -FLT_MAX blanks
    return pixels


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
    with pytest.raises(CutoutError, match=r"truncated difference cutout"):
        decode_cutout("difference", gzip.compress(b"SIMPLE  =  T")[:-6])
    with pytest.raises(CutoutError, match="truncated"):
        decode_cutout("science", b"SIMPLE  =                    T" + b" " * 49)


def test_truncated_fits_data(cache):
    alert = next(iter(read_alerts([FINK_LSST_TRANSFER], cache)))
    stamp = alert.cutouts["science"]
    with pytest.raises(CutoutError, match="truncated"):
        decode_cutout("science", stamp[: 2880 + 100])


ZTF_BLANK_TEMPLATE = SHARED / "ztf" / "472263571115090000.avro"  # ZTF18aaxjlwy


def test_ztf_flt_max_pixels_are_blank(cache):
    """ZTF writes masked pixels as -FLT_MAX: 1183 of ZTF18aaxjlwy's template. As numbers
    they made its zscale limits -3.403e+38 ... 206.9 (the stamp drawn white)."""
    alert = next(iter(read_alerts([ZTF_BLANK_TEMPLATE], cache)))
    raw = _raw_pixels(alert.cutouts["template"])
    flt_max = raw == np.finfo(np.float32).min
    assert flt_max.sum() == 1183
    template = decode_cutouts(alert)["template"]
    assert np.isnan(template.data[flt_max]).all()
    np.testing.assert_array_equal(template.data[~flt_max], raw[~flt_max])
    lo, hi = display_limits(template.data, "zscale")
    assert 150 < lo < hi < 250  # the sky's DN, not -3.4e38
    for cutout in decode_cutouts(alert).values():
        assert not (np.abs(cutout.data) >= BLANK_MAGNITUDE).any()


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


# -- sizes announced by a stamp are bounded before anything is allocated ----------------
def fits_header(*cards: tuple[str, object], xtension: bool = False) -> bytes:
    first = ("XTENSION", "'IMAGE   '") if xtension else ("SIMPLE", "T")
    text = b"".join(f"{k:<8}= {v!s:>20}".ljust(80).encode() for k, v in (first, *cards))
    text += b"END".ljust(80)
    return text.ljust(-(-len(text) // 2880) * 2880, b" ")


def image_cards(width: int, height: int, *extra: tuple[str, object]) -> list:
    return [("BITPIX", -32), ("NAXIS", 2), ("NAXIS1", width), ("NAXIS2", height), *extra]


def gzip_of_zeros(size: int, head: bytes = b"") -> bytes:
    """``head`` then ``size`` zero bytes, gzipped a MB at a time (never held whole)."""
    packer = zlib.compressobj(9, wbits=31)
    parts = [packer.compress(head)]
    zeros = bytes(2**20)
    for _ in range(size // len(zeros)):
        parts.append(packer.compress(zeros))
    return b"".join([*parts, packer.flush()])


def peak_memory(run) -> int:
    """Peak bytes Python allocated while ``run`` ran (zlib's and numpy's buffers included)."""
    tracemalloc.start()
    try:
        run()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_gzip_bomb_stamp_is_refused_at_the_cap():
    bomb = gzip_of_zeros(200 * 2**20, fits_header(*image_cards(8000, 6500)))
    assert len(bomb) < 2**20  # 200 MB of stamp in a few hundred KB of packet
    errors = []

    def decode():
        with pytest.raises(CutoutError, match="science cutout inflates past 64 MB") as caught:
            decode_cutout("science", bomb)
        errors.append(caught.value)

    peak = peak_memory(decode)
    assert errors and MAX_STAMP_BYTES == 64 * 2**20
    # what was inflated up to the cap, and no more: not the 200 MB the stamp claims
    assert peak < MAX_STAMP_BYTES + 8 * 2**20, f"peak {peak / 2**20:.1f} MB"


def test_concatenated_gzip_members_share_the_cap():
    member = gzip_of_zeros(40 * 2**20)  # each under the cap, two together over it
    assert len(gunzip("template", member)) == 40 * 2**20
    with pytest.raises(CutoutError, match="template cutout inflates past 64 MB"):
        decode_cutout("template", member + member)


def test_stamp_split_into_gzip_members_decodes_whole(cache):
    alert = next(a for a in all_alerts(cache) if a.schema_label == "ztf 3.3")
    fits_bytes = gzip.decompress(alert.cutouts["science"])
    half = len(fits_bytes) // 2
    split = gzip.compress(fits_bytes[:half]) + gzip.compress(fits_bytes[half:])
    whole = decode_cutout("science", alert.cutouts["science"])
    np.testing.assert_array_equal(decode_cutout("science", split).data, whole.data)


def test_fits_header_claiming_a_huge_image_is_refused_before_allocating():
    stamp = fits_header(*image_cards(100000, 100000)) + bytes(2880)
    errors = []

    def decode():
        with pytest.raises(CutoutError, match="announces 40000000000 bytes of data, 2880 are"):
            decode_cutout("science", stamp)
        errors.append(True)

    assert peak_memory(decode) < 2**20 and errors
    with pytest.raises(CutoutError, match="announces 40000000000 bytes"):
        decode_cutout("science", gzip.compress(stamp))


def test_huge_claims_on_the_astropy_route_are_refused_without_warnings():
    """Cubes and extensions are read by astropy, which warns of truncation, then fails;
    the sizes are checked first, so no warning escapes and the reason is stated."""
    cube = fits_header(*image_cards(5000, 5000), ("NAXIS3", 9)).replace(
        b"NAXIS   =                    2", b"NAXIS   =                    3"
    )
    primary = fits_header(("BITPIX", 8), ("NAXIS", 0))
    extension = fits_header(*image_cards(100000, 100000, ("PCOUNT", 0)), xtension=True)
    negative = fits_header(*image_cards(-4, 4))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for stamp in (cube, primary + extension):
            with pytest.raises(CutoutError, match=r"FITS header announces \d+ bytes of data"):
                decode_cutout("difference", stamp + bytes(2880))
        with pytest.raises(CutoutError, match="negative FITS axis"):
            decode_cutout("difference", negative + bytes(2880))
    assert not caught, [str(w.message) for w in caught]


def test_rubin_extension_claiming_more_than_present_is_refused(cache):
    alert = next(iter(read_alerts([FINK_LSST_TRANSFER], cache)))
    science = decode_cutouts(alert)["science"]
    assert science.extension("UNCERT").shape == (30, 30)
    huge = fits_header(*image_cards(100000, 100000, ("EXTNAME", "'HUGE'")), xtension=True)
    grown = dataclasses.replace(science, raw=science.raw + huge + bytes(2880))
    with pytest.raises(CutoutError, match="announces 40000000000 bytes"):
        grown.extension("UNCERT")


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real 8x8 JPEG whose frame header (SOF0) claims another size."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(buffer, "JPEG")
    data = buffer.getvalue()
    sof = data.index(b"\xff\xc0")
    return data[: sof + 5] + struct.pack(">HH", height, width) + data[sof + 9 :]


@pytest.mark.parametrize(
    ("width", "height"),
    [(5000, 5000), (10000, 10000), (20000, 20000)],
    ids=["over the stamp cap", "Pillow warns", "Pillow raises"],
)
def test_jpeg_bombs_are_cutout_errors_without_warnings(width, height):
    assert decode_cutout("science", jpeg_claiming(8, 8)).shape == (8, 8)
    assert width * height > MAX_STAMP_PIXELS
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(CutoutError, match="science cutout is too large for a stamp"):
            decode_cutout("science", jpeg_claiming(width, height))
    assert not caught, [str(w.message) for w in caught]


# -- what the display needs: pixel scale, orientation, a negative difference, limits ---------
def test_cached_limits_are_astropys_zscale_exactly_and_fitted_once(cache):
    from astropy.visualization import ZScaleInterval

    from alertview.core.stamp_limits import LimitsCache

    limits = LimitsCache()
    checked = 0
    for alert in all_alerts(cache):
        for name, cutout in decode_cutouts(alert).items():
            pixels = cutout.data[np.isfinite(cutout.data)].astype(np.float64)
            lo, hi = (float(v) for v in ZScaleInterval().get_limits(pixels))
            if name == "difference":
                lo, hi = -max(abs(lo), abs(hi)), max(abs(lo), abs(hi))
            assert limits.limits(cutout, "zscale", name == "difference") == (lo, hi)
            checked += 1
    fitted = limits.computed
    assert checked == 3 * 57 and fitted <= checked
    for alert in all_alerts(cache):  # decoded again: new arrays, same stamps
        for name, cutout in decode_cutouts(alert).items():
            limits.limits(cutout, "zscale", name == "difference")
    assert limits.computed == fitted


def test_limits_cache_keeps_the_most_recent(cache):
    from alertview.core.stamp_limits import LimitsCache, stamp_key

    limits = LimitsCache(keep=2)
    stamps = list(decode_cutouts(all_alerts(cache)[0]).values())
    for stamp in stamps:
        limits.limits(stamp)
    assert (stamp_key(stamps[0]), "zscale", False) not in limits
    assert (stamp_key(stamps[2]), "zscale", False) in limits


def test_pixel_scale_and_orientation_from_the_wcs(cache):
    from astropy.wcs.utils import proj_plane_pixel_scales

    alerts = all_alerts(cache)
    rubin = decode_cutouts(next(a for a in alerts if a.survey == "lsst"))["science"]
    expected = float(np.mean(proj_plane_pixel_scales(rubin.wcs))) * 3600
    assert rubin.oriented and rubin.arcsec_per_pixel == pytest.approx(expected, rel=1e-6)
    ztf = decode_cutouts(next(a for a in alerts if a.schema_label == "ztf 3.3"))["science"]
    assert not ztf.oriented and ztf.wcs is None
    assert ztf.arcsec_per_pixel == 1.01  # ZTF's nominal scale: its stamps carry no WCS


def test_negative_difference_is_noted_on_the_difference_stamp_only(cache):
    for alert in all_alerts(cache):
        cutouts = decode_cutouts(alert)
        note = cutouts["difference"].note
        assert cutouts["science"].note == cutouts["template"].note == ""
        if alert.is_positive is False:
            assert ("isdiffpos = f" in note) == (alert.survey == "ztf") and note
        else:
            assert note == ""
