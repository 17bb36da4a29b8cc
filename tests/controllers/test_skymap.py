"""The sky map's controller without widgets, on the real packets' rows: rows
projected once as they arrive, a region's selection (and new rows landing in it),
the colours by survey, band, age or a column, the mark and the hover text."""

from __future__ import annotations

import numpy as np
import pytest

from alertview.controllers.skymap import Region, SkyMapController, hover_text
from alertview.core import sky
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.core.session.store import AlertStore
from alertview.core.table.columns import AlertColumns
from tests.conftest import SHARED


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sky")
    alerts = [a for a in read_alerts([SHARED], SchemaCache()) if not isinstance(a, Exception)]
    with AlertStore(folder / "session") as store:
        store.add(alerts)
        return store.rows()


def test_rows_are_projected_once_as_they_arrive(rows, monkeypatch):
    columns = AlertColumns()
    columns.append_rows(rows[:10])
    controller = SkyMapController()
    controller.update(columns)
    projected = []
    real = sky.project
    monkeypatch.setattr(sky, "project", lambda ra, *a: projected.append(len(ra)) or real(ra, *a))
    columns.append_rows(rows[10:])
    controller.update(columns)
    controller.update(columns)  # nothing new: nothing projected
    assert projected == [len(rows) - 10]
    ra, dec = columns.numbers["ra"].values, columns.numbers["dec"].values
    x, y = real(ra, dec)
    assert np.allclose(controller.x, x) and np.allclose(controller.y, y)


def test_a_region_selects_the_alerts_inside_it_and_the_new_ones_landing_there(rows):
    columns = AlertColumns()
    half = len(rows) // 2
    columns.append_rows(rows[:half])
    controller = SkyMapController()
    controller.update(columns)
    x, y = controller.x, controller.y
    # a box around the first alert only
    region = Region("box", (x[0] - 1e-6, x[0] + 1e-6), (y[0] - 1e-6, y[0] + 1e-6))
    chosen = controller.select(region)
    same = np.flatnonzero((np.abs(x - x[0]) <= 1e-6) & (np.abs(y - y[0]) <= 1e-6))
    assert chosen.tolist() == same.tolist() and 0 in chosen
    # later rows at the same place (the same object again) join the selection
    columns.append_rows(rows[half:])
    joined = controller.update(columns)
    all_x, all_y = controller.x, controller.y
    near = np.flatnonzero((np.abs(all_x - x[0]) <= 1e-6) & (np.abs(all_y - y[0]) <= 1e-6))
    assert joined.tolist() == near[near >= half].tolist()
    assert np.flatnonzero(controller.selected).tolist() == near.tolist()
    controller.clear_selection()
    assert controller.selected is None and controller.selected_count == 0


def test_a_lasso_around_everything_holds_every_positioned_alert(rows):
    columns = AlertColumns()
    columns.append_rows(rows)
    controller = SkyMapController("mollweide")
    controller.update(columns)
    outline = sky.outline("mollweide")
    lasso = Region("lasso", tuple(1.01 * outline[0]), tuple(1.01 * outline[1]))
    chosen = controller.select(lasso)
    positioned = np.isfinite(columns.numbers["ra"].values) & np.isfinite(
        columns.numbers["dec"].values
    )
    assert chosen.tolist() == np.flatnonzero(positioned).tolist()


def test_colours_by_survey_band_age_and_a_column(rows):
    columns = AlertColumns()
    columns.append_rows(rows)
    controller = SkyMapController()
    controller.update(columns)
    modes = controller.colour_modes(columns)
    assert modes[:3] == ["survey", "band", "age"] and "mag" in modes
    colouring = controller.colouring(columns)
    surveys = {name for name, _ in colouring.legend}
    assert surveys == set(columns.texts["survey"][p] for p in range(len(columns)))
    assert len(colouring.classes) == len(columns)
    controller.mode = "band"
    legend = dict(controller.colouring(columns).legend)
    assert legend["r"] == sky.BAND_COLOURS["r"][:3]
    controller.mode = "age"
    age = controller.colouring(columns)
    mjd = columns.numbers["mjd"].values
    newest = int(np.nanargmax(mjd))
    assert age.scale[1] == 0.0 and age.classes[newest] == 0
    controller.mode = "mag"
    mag = controller.colouring(columns)
    no_mag = np.isnan(columns.numbers["mag"].values)
    assert (mag.classes[no_mag] == sky.RAMP_STEPS).all()
    assert mag.scale[0] == "mag" and mag.scale[1] < mag.scale[2]


def test_the_image_dims_what_the_selection_leaves_out(rows):
    columns = AlertColumns()
    columns.append_rows(rows)
    controller = SkyMapController()
    controller.update(columns)
    rect, shape = (-3.0, -1.5, 6.0, 3.0), (300, 600)
    image, _ = controller.image(columns, rect, shape)
    assert (image[..., 3] == 255).any()
    controller.select(Region("box", (10.0, 11.0), (10.0, 11.0)))  # off the map: none
    dimmed, _ = controller.image(columns, rect, shape)
    drawn = dimmed[..., 3] > 0
    assert drawn.any() and (dimmed[drawn][:, 3] == 90).all()


def test_the_mark_and_the_hover_text(rows):
    columns = AlertColumns()
    columns.append_rows(rows)
    controller = SkyMapController()
    controller.update(columns)
    where = controller.mark(2)
    assert where == (pytest.approx(controller.x[2]), pytest.approx(controller.y[2]))
    assert controller.mark(None) is None
    assert controller.point_at(where, (1e-9, 1e-9)) is not None
    text = hover_text(columns, 2)
    ra, dec = columns.value(2, "ra"), columns.value(2, "dec")
    assert text.startswith(columns.value(2, "object_id") or "alert ")
    assert f"RA {ra:.4f} Dec {dec:+.4f}" in text


def test_new_rows_drawn_onto_the_last_image_match_a_whole_drawing(rows):
    half = len(rows) // 2
    rect, shape = (-3.0, -1.5, 6.0, 3.0), (150, 300)
    for mode in ("survey", "band"):
        columns = AlertColumns()
        columns.append_rows(rows[:half])
        controller = SkyMapController()
        controller.mode = mode
        controller.update(columns)
        controller.select(Region("box", (-3.0, 0.0), (-1.5, 1.5)))  # the map's left half
        before = controller.image(columns, rect, shape)[0].copy()
        columns.append_rows(rows[half:])
        controller.update(columns)
        onto, _ = controller.image(columns, rect, shape, whole=False)
        onto = onto.copy()
        whole, _ = controller.image(columns, rect, shape, whole=True)
        assert (onto == whole).all()
        assert (onto != before).any()  # the new rows were drawn
        assert (whole[..., 3] == 255).any() and (whole[..., 3] == 90).any()


def luminance(rgb) -> float:
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]


def test_by_age_the_newest_alerts_are_the_brightest(rows):
    """Issue 15 §1: the newest were the darkest purple, almost invisible on black."""
    columns = AlertColumns()
    columns.append_rows(rows)
    controller = SkyMapController()
    controller.update(columns)
    controller.mode = "age"
    age = controller.colouring(columns)
    mjd = columns.numbers["mjd"].values
    newest, oldest = int(np.nanargmax(mjd)), int(np.nanargmin(mjd))
    bright = luminance(age.colours[age.classes[newest]])
    assert bright == max(luminance(c) for c in age.colours[: sky.RAMP_STEPS])
    assert bright > luminance(age.colours[age.classes[oldest]]) + 100


def test_an_integer_column_with_few_values_is_coloured_as_categories(rows):
    """cats_class (-1 ... 20) was shown on a continuous bar '-1 … 20.52'."""
    columns = AlertColumns()
    columns.append_rows(rows)
    controller = SkyMapController()
    controller.update(columns)
    controller.mode = "cats_class"
    cats = controller.colouring(columns)
    key = columns.extras.sort_key("cats_class").astype(float)
    known = np.isfinite(key)
    values = sorted({int(v) for v in key[known]})
    assert cats.scale is None
    legend = dict(cats.legend)
    assert [name for name, _ in cats.legend] == [*map(str, values), "no value"]
    assert legend["no value"] == sky.NO_VALUE[:3]
    for position in np.flatnonzero(known)[:5]:
        colour = tuple(int(c) for c in cats.colours[cats.classes[position]][:3])
        assert colour == legend[str(int(key[position]))]
    assert len({legend[str(v)] for v in values}) == len(values)  # each its own colour
    controller.mode = "n_detections"  # integers, but too many for categories
    counts = controller.colouring(columns)
    assert counts.scale is not None
    assert counts.scale[1] == int(counts.scale[1]) and counts.scale[2] == int(counts.scale[2])


def test_points_are_bigger_when_few():
    from alertview.controllers.skymap import point_size

    sizes = [point_size(n) for n in (100, 5_000, 50_000, 250_000, 10**6)]
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[0] >= 5 and sizes[-1] == 1


def test_alerts_without_a_value_are_drawn_beneath_those_with_one(rows):
    """Coloured by cats_class, the few classified alerts were hidden under grey squares."""
    columns = AlertColumns()
    columns.append_rows(rows)
    controller = SkyMapController()
    controller.update(columns)
    controller.mode = "cats_class"
    rect, shape = (-3.0, -1.5, 6.0, 3.0), (24, 48)  # small: the squares overlap
    image, _ = controller.image(columns, rect, shape)
    key = columns.extras.sort_key("cats_class").astype(float)
    valued = np.flatnonzero(np.isfinite(key))
    column = ((controller.x[valued] + 3.0) * 8).astype(int)
    row = ((controller.y[valued] + 1.5) * 8).astype(int)
    grey = (image[row, column] == sky.NO_VALUE).all(axis=1)
    assert len(valued) and not grey.any()


def test_the_legend_names_no_value_and_shows_the_age_bar_bright_first(rows):
    from alertview.controllers.skymap import legend_html

    columns = AlertColumns()
    columns.append_rows(rows)
    controller = SkyMapController()
    controller.update(columns)
    controller.mode = "cats_class"
    text = legend_html(controller.colouring(columns))
    assert "no value" in text and "galactic plane" in text and "ecliptic" in text
    controller.mode = "age"
    text = legend_html(controller.colouring(columns))
    first = text.index("■")
    bright = "#{:02x}{:02x}{:02x}".format(*sky.ramp_colours()[sky.RAMP_STEPS - 1][:3])
    assert bright in text[first - 30 : first]
