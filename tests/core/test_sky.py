"""The sky map's geometry without Qt: projections checked against their inverse and
known points (RA grows to the left, poles, the wrap at 12h), the reference lines
against their poles, the lasso test against a plain per-point ray cast."""

from __future__ import annotations

import numpy as np
import pytest

from alertview.core import sky

ROOT2 = np.sqrt(2.0)


def hammer_inverse(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """RA/Dec from Hammer plane coordinates (the textbook inverse; x un-negated)."""
    x = -x
    z = np.sqrt(1 - (x / 4) ** 2 - (y / 2) ** 2)
    lon = 2 * np.degrees(np.arctan2(z * x, 2 * (2 * z**2 - 1)))
    return lon % 360, np.degrees(np.arcsin(z * y))


def separation(ra1, dec1, ra2, dec2) -> np.ndarray:
    """Great-circle distance in degrees."""
    ra1, dec1, ra2, dec2 = map(np.radians, (ra1, dec1, ra2, dec2))
    cos = np.sin(dec1) * np.sin(dec2) + np.cos(dec1) * np.cos(dec2) * np.cos(ra1 - ra2)
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


def test_hammer_goes_back_through_its_inverse():
    rng = np.random.default_rng(5)
    ra = rng.uniform(0, 360, 5000)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, 5000)))
    x, y = sky.project(ra, dec, "hammer")
    back_ra, back_dec = hammer_inverse(x, y)
    assert np.all(separation(ra, dec, back_ra, back_dec) < 1e-5)  # 0.04 arcsec


@pytest.mark.parametrize("projection", sky.PROJECTIONS)
def test_ra_grows_to_the_left_with_0h_at_the_centre_and_north_up(projection):
    x, y = sky.project([0, 30, 90, 330, 270], [0, 0, 0, 0, 0], projection)
    assert x[0] == pytest.approx(0) and y[0] == pytest.approx(0)
    assert x[2] < x[1] < 0 < x[3] < x[4]  # 30h and 90 left of the centre, 330 and 270 right
    _, north = sky.project([45, 45], [60, -60], projection)
    assert north[0] > 0 > north[1]


def test_known_points():
    # Hammer: RA 90 on the equator at -2·cos0·sin45°·√2/√(1+cos45°); Mollweide at -√2
    x, _ = sky.project([90], [0], "hammer")
    assert x[0] == pytest.approx(-2 * ROOT2 * np.sin(np.pi / 4) / np.sqrt(1 + np.cos(np.pi / 4)))
    x, _ = sky.project([90], [0], "mollweide")
    assert x[0] == pytest.approx(-ROOT2)
    # Mollweide's latitude: 2θ + sin 2θ = π sin φ
    _, y = sky.project([0], [45], "mollweide")
    theta = np.arcsin(y[0] / ROOT2)
    assert 2 * theta + np.sin(2 * theta) == pytest.approx(np.pi * np.sin(np.pi / 4))


@pytest.mark.parametrize("projection", sky.PROJECTIONS)
def test_poles_and_the_wrap_at_12h(projection):
    x, y = sky.project([0, 123, 250, 0, 77], [90, 90, 90, -90, -90], projection)
    assert np.allclose(x, 0, atol=1e-9)
    assert np.allclose(y, [ROOT2] * 3 + [-ROOT2] * 2)
    x, _ = sky.project([179.999, 180.001, 360, -10, 350], [0, 0, 0, 0, 0], projection)
    assert x[0] == pytest.approx(-2 * ROOT2, abs=1e-3)  # just below 12h: the left edge
    assert x[1] == pytest.approx(2 * ROOT2, abs=1e-3)  # just past it: the right edge
    assert x[2] == pytest.approx(0, abs=1e-12)
    assert x[3] == pytest.approx(x[4])


def test_missing_positions_stay_missing():
    x, y = sky.project([np.nan, 10], [5, np.nan])
    assert np.isnan(x).all() and np.isnan(y).all()


def test_the_galactic_plane_and_ecliptic_lie_90_degrees_from_their_poles():
    import astropy.units as u
    from astropy.coordinates import SkyCoord

    plane_ra, plane_dec = sky._great_circles()["galactic"]
    pole = SkyCoord(l=0 * u.deg, b=90 * u.deg, frame="galactic").icrs
    assert separation(plane_ra, plane_dec, pole.ra.deg, pole.dec.deg) == pytest.approx(
        90, abs=1e-6
    )
    # the galactic centre (Sgr A*'s neighbourhood) is on it
    assert separation(plane_ra, plane_dec, 266.405, -28.936).min() < 0.5
    _, ecl_dec = sky._great_circles()["ecliptic"]
    assert np.abs(ecl_dec).max() == pytest.approx(23.44, abs=0.01)
    x, _ = sky.reference_line("galactic", "hammer")
    assert np.isnan(x).sum() == 1  # split once, where it crosses 12h
    pieces = np.split(np.arange(len(x)), np.flatnonzero(np.isnan(x)))
    for piece in pieces:
        finite = x[piece][np.isfinite(x[piece])]
        assert np.abs(np.diff(finite)).max() < 0.1  # no stroke across the map


def ray_cast(px: float, py: float, xs, ys) -> bool:
    """A point's even-odd test, one edge at a time (the textbook loop)."""
    inside = False
    for i in range(len(xs)):
        x1, y1, x2, y2 = xs[i], ys[i], xs[(i + 1) % len(xs)], ys[(i + 1) % len(xs)]
        if (y1 > py) != (y2 > py) and px < x1 + (py - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def test_inside_polygon_matches_a_ray_cast_for_a_star_and_a_self_crossing_loop():
    rng = np.random.default_rng(9)
    x, y = rng.uniform(-3, 3, 4000), rng.uniform(-1.5, 1.5, 4000)
    angle = np.linspace(0, 2 * np.pi, 30, endpoint=False)
    reach = np.where(np.arange(30) % 2, 1.0, 0.4)
    star = (2 * reach * np.cos(angle), reach * np.sin(angle))
    bow = (np.array([-2, 2, 2, -2]), np.array([-1, 1, -1, 1]))  # crosses itself
    for xs, ys in (star, bow):
        got = sky.inside_polygon(x, y, xs, ys)
        expected = [ray_cast(a, b, xs, ys) for a, b in zip(x, y, strict=True)]
        assert got.tolist() == expected
        assert 0 < got.sum() < len(x)


def test_inside_polygon_edge_cases():
    square = (np.array([0, 1, 1, 0]), np.array([0, 0, 1, 1]))
    got = sky.inside_polygon(np.array([0.5, np.nan, 2.0]), np.array([0.5, 0.5, 0.5]), *square)
    assert got.tolist() == [True, False, False]
    assert not sky.inside_polygon(np.array([0.5]), np.array([0.5]), [0, 1], [0, 1]).any()
    box = sky.inside_box(np.array([0.5, 1.5]), np.array([0.5, 0.5]), (1, 1), (0, 0))
    assert box.tolist() == [True, False]


def test_rasterise_puts_each_point_in_its_pixel_rows_from_the_bottom():
    colours = np.array([[255, 0, 0, 255], [0, 0, 255, 255]], dtype=np.uint8)
    x, y = np.array([0.1, 0.9, 0.5, 5.0]), np.array([0.1, 0.9, 0.5, 0.5])
    classes = np.array([0, 1, -1, 0], dtype=np.int32)  # -1: not drawn; the last is outside
    image = sky.rasterise(x, y, colours, classes, (0, 0, 1, 1), (4, 4))
    assert image.shape == (4, 4, 4)
    assert image[0, 0].tolist() == [255, 0, 0, 255]  # bottom-left
    assert image[3, 3].tolist() == [0, 0, 255, 255]  # top-right
    assert int((image[..., 3] > 0).sum()) == 2
    big = sky.rasterise(x[:1], y[:1], colours, classes[:1], (0, 0, 1, 1), (10, 10), size=3)
    assert int((big[..., 3] > 0).sum()) == 9


def test_nearest_and_colour_helpers():
    x, y = np.array([0.0, 1.0, 1.05]), np.array([0.0, 1.0, 1.0])
    assert sky.nearest(x, y, (1.04, 1.0), (0.1, 0.1)) == 2
    assert sky.nearest(x, y, (0.5, 0.5), (0.1, 0.1)) is None
    classes = sky.ramp_classes(np.array([0.0, 10.0, 20.0, np.nan]), 0.0, 10.0)
    assert classes.tolist() == [0, sky.RAMP_STEPS - 1, sky.RAMP_STEPS - 1, sky.RAMP_STEPS]
    assert len(sky.ramp_colours()) == sky.RAMP_STEPS + 1
    colours = sky.category_colours(["ztf", "r", None])
    assert tuple(colours[1]) == sky.BAND_COLOURS["r"]
    assert sky.value_range(np.array([np.nan, 3.0, 3.0])) == (3.0, 4.0)


def test_mollweide_solves_its_equation_up_to_the_poles():
    dec = np.concatenate([np.linspace(-90, 90, 2001), [89.9999999, -89.99999, 89.99]])
    _, y = sky.project(np.zeros_like(dec), dec, "mollweide")
    theta = np.arcsin(np.clip(y / ROOT2, -1, 1))
    residual = 2 * theta + np.sin(2 * theta) - np.pi * np.sin(np.radians(dec))
    assert np.abs(residual).max() < 1e-12


def test_each_survey_keeps_its_colour_whatever_order_they_came_in():
    """Issue 15 §1: lsst was orange in one session and blue in another."""
    one = sky.category_colours(["ztf", "lsst", "fink", None])
    other = sky.category_colours(["fink", "lsst", "ztf"])
    assert tuple(one[0]) == tuple(other[2]) == sky.SURVEY_COLOURS["ztf"]
    assert tuple(one[1]) == tuple(other[1]) == sky.SURVEY_COLOURS["lsst"]
    assert tuple(one[2]) not in sky.SURVEY_COLOURS.values()
    assert tuple(other[0]) not in sky.SURVEY_COLOURS.values()
    assert tuple(one[3]) == sky.NO_VALUE


def test_ramp_reversed_starts_bright_and_missing_stays_grey():
    forward, backward = sky.ramp_colours(), sky.ramp_colours(reverse=True)
    assert (backward[: sky.RAMP_STEPS] == forward[: sky.RAMP_STEPS][::-1]).all()
    assert tuple(backward[sky.RAMP_STEPS]) == sky.NO_VALUE


def test_overlapping_points_the_later_one_is_drawn_whole_on_top():
    colours = np.array([[255, 0, 0, 255], [0, 0, 255, 255]], dtype=np.uint8)
    x, y = np.array([0.45, 0.55]), np.array([0.45, 0.55])
    image = sky.rasterise(x, y, colours, np.array([0, 1]), (0, 0, 1, 1), (20, 20), size=6)
    blue = (image == colours[1]).all(axis=-1)
    assert blue.sum() == 36  # the later point's whole square, none of it under the first
