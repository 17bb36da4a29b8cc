"""The objects controller without widgets: the table it shows, the chosen object's
decode off the calling thread (stale results dropped), the filmstrip and the blink;
and the merged light curve's DC series."""

from __future__ import annotations

import threading
from unittest.mock import MagicMock

import numpy as np
import pytest

from alertview.controllers import objects as objects_module
from alertview.controllers.object_lightcurve import DC_KIND, ObjectLightcurveController
from alertview.controllers.objects import ObjectLoaded, ObjectsController, ObjectsView
from alertview.controllers.views import LightcurveView
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.core.object_lightcurve import merge_lightcurve
from alertview.core.session.store import AlertStore
from alertview.core.surveys import SURVEY_FIELDS
from alertview.core.table.columns import AlertColumns
from alertview.core.table.rows import ROW_FIELDS as SURVEY_ROW_FIELDS
from tests.conftest import FINK_ZTF_MULTI, FINK_ZTF_SINGLE
from tests.core.object_packets import OBJECT_ID, write_object_alerts

EARLIER = 4


def fake_view() -> MagicMock:
    """The view, recording what it is asked; ``loaded`` keeps the decode thread's results
    (and the thread they came from) for the test to hand back as the GUI would."""
    view = MagicMock(spec=ObjectsView)
    view.results, view.threads = [], set()

    def loaded(result: ObjectLoaded) -> None:
        view.threads.add(threading.current_thread().name)
        view.results.append(result)

    view.loaded.side_effect = loaded
    return view


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("objects")
    paths = [FINK_ZTF_MULTI, *write_object_alerts(folder, EARLIER)]
    alerts = [a for a in read_alerts(paths, SchemaCache()) if not isinstance(a, Exception)]
    with AlertStore(folder / "session") as store:
        store.add(alerts)
        yield store


@pytest.fixture
def controller(store):
    controller = ObjectsController(fake_view(), store, SchemaCache(fields=SURVEY_FIELDS))
    columns = AlertColumns()
    columns.append_rows(store.rows())
    controller.rebuild(columns)
    yield controller
    controller.shutdown()


def row_of(controller, object_id) -> int:
    return int(np.flatnonzero(controller.table.object_id[controller.order] == object_id)[0])


def deliver(controller) -> list[ObjectLoaded]:
    """Wait for the decode thread, then hand its results back as the GUI thread does."""
    assert controller.wait_idle()
    results, controller.view.results = controller.view.results, []
    for result in results:
        controller.show_loaded(result)
    return results


def test_the_table_is_shown_newest_first_and_sorted_on_request(controller):
    table, order = controller.view.show_table.call_args.args
    assert len(table) == 12  # 11 Fink alerts of distinct objects, and ZTF19acihgng
    assert list(table.last_mjd[order]) == sorted(table.last_mjd, reverse=True)
    controller.sort("n_alerts", descending=True)
    table, order = controller.view.show_table.call_args.args
    assert table.object_id[order[0]] == OBJECT_ID and table.n_alerts[order[0]] == EARLIER + 1
    positions = table.positions(order[0])
    newest = positions[np.argmax(controller.columns.numbers["mjd"].values[positions])]
    assert controller.latest_alert_id(0) == controller.columns.alert_id.values[newest]


def test_choosing_an_object_decodes_it_off_the_calling_thread(controller):
    controller.choose(row_of(controller, OBJECT_ID))
    results = deliver(controller)
    view = controller.view
    assert [r.frames is None for r in results] == [True, False]
    assert view.threads and threading.current_thread().name not in view.threads
    lightcurve, note = view.show_lightcurve.call_args.args
    assert lightcurve.n_alerts == EARLIER + 1 and note == ""
    assert lightcurve.object_id == OBJECT_ID
    frames, note = view.show_frames.call_args.args
    assert [f.mjd for f in frames] == sorted(f.mjd for f in frames)
    assert len({f.alert_id for f in frames}) == EARLIER + 1
    assert all(f.stamps["science"].image.shape == (63, 63) for f in frames)
    # the blink panel: the newest frame's science, then its template, and back
    assert view.show_blink.call_args.args == (frames[-1], "science")
    controller.set_blinking(True)
    controller.blink_step()
    assert view.show_blink.call_args.args == (frames[-1], "template")
    controller.set_blinking(False)
    assert view.show_blink.call_args.args == (frames[-1], "science")
    controller.show_frame(0)
    assert view.show_blink.call_args.args == (frames[0], "science")
    # the chosen object keeps its place through a rebuild, and leaves with the filter
    row = controller.row_of_chosen()
    assert controller.table.object_id[controller.entry(row)] == OBJECT_ID
    positions = controller.table.positions(controller.entry(row))
    newest = positions[np.argmax(controller.columns.numbers["mjd"].values[positions])]
    assert controller.latest_alert(row) == controller.columns.row.values[newest]
    objects = controller.columns.texts["object_id"]
    mask = objects.tail().code_mask(lambda v: v != OBJECT_ID)
    controller.rebuild(controller.columns, mask)
    assert controller.row_of_chosen() is None


def test_a_result_for_an_object_no_longer_chosen_is_dropped(controller):
    controller.choose(row_of(controller, OBJECT_ID))
    other = next(r for r in range(len(controller.order)) if r != row_of(controller, OBJECT_ID))
    controller.choose(other)
    assert controller.wait_idle()
    results = controller.view.results
    stale = [r for r in results if r.object_id == OBJECT_ID]
    assert all(not controller.show_loaded(r) for r in stale)
    fresh = [r for r in results if r.object_id != OBJECT_ID]
    assert fresh and all(controller.show_loaded(r) for r in fresh)
    lightcurve, _ = controller.view.show_lightcurve.call_args.args
    assert lightcurve.object_id != OBJECT_ID and lightcurve.n_alerts == 1


def test_the_chosen_object_leaving_the_table_empties_its_panels(controller):
    """A filter drops the chosen object: its light curve, frames and blink go, with the
    prompt to choose one, and its decode's late results are not shown."""
    controller.choose(row_of(controller, OBJECT_ID))
    deliver(controller)
    view = controller.view
    assert view.show_lightcurve.call_args.args[0].object_id == OBJECT_ID
    controller.set_blinking(True)
    # a rebuild that keeps it: nothing is emptied
    controller.rebuild(controller.columns)
    assert controller.chosen == (OBJECT_ID, "ztf")
    assert view.show_lightcurve.call_args.args[0].object_id == OBJECT_ID
    assert controller.current_frame is not None
    # running again, then the filter drops it before its results are handed back
    running = controller.choose(row_of(controller, OBJECT_ID))
    shown = view.show_lightcurve.call_args.args[0]
    objects = controller.columns.texts["object_id"]
    controller.rebuild(controller.columns, objects.tail().code_mask(lambda v: v != OBJECT_ID))
    assert controller.chosen is None and controller.row_of_chosen() is None
    assert view.show_lightcurve.call_args.args == (None, "Select an object.")
    assert view.show_frames.call_args.args == ((), "")
    assert view.show_blink.call_args.args == (None, "science")
    assert controller.current_frame is None and not controller.blinking
    assert controller.wait_idle()
    # (the decode may have stopped at the change of generation, or not: either way)
    late = [*view.results, ObjectLoaded(running, OBJECT_ID, shown)]
    assert not any(controller.show_loaded(r) for r in late)
    assert view.show_lightcurve.call_args.args == (None, "Select an object.")


def test_the_filmstrip_keeps_the_newest_frames_and_says_so(controller, monkeypatch):
    monkeypatch.setattr(objects_module, "MAX_FRAMES", 2)
    controller.choose(row_of(controller, OBJECT_ID))
    deliver(controller)
    frames, note = controller.view.show_frames.call_args.args
    assert len(frames) == 2 and note == f"the newest 2 of {EARLIER + 1} alerts"
    lightcurve, _ = controller.view.show_lightcurve.call_args.args
    assert frames[-1].alert_id == lightcurve.alert.alert_id


def test_dc_magnitudes_are_their_own_series_in_the_magnitude_view():
    (alert,) = read_alerts([FINK_ZTF_SINGLE], SchemaCache())
    lightcurve = merge_lightcurve([alert])
    plot = ObjectLightcurveController(MagicMock(spec=LightcurveView))
    plot.show_object(lightcurve)
    dc = {s.key: s.count for s in plot.plot.series if s.kind == DC_KIND}
    bands = {b: int((lightcurve.dc.band == b).sum()) for b in ("g", "r")}
    assert dc == {"dc g": bands["g"], "dc r": bands["r"]} and sum(dc.values()) == 33
    assert "r DC mag (18)" in plot.legend_lines()
    plot.set_dc(False)
    assert not any(s.kind == DC_KIND for s in plot.plot.series)
    plot.set_dc(True)
    plot.set_flux(True)  # a difference flux view: no apparent magnitudes in it
    assert not any(s.kind == DC_KIND for s in plot.plot.series)
    assert plot.counts["detections r"] == 18
    plot.show_object(None)
    assert plot.plot.series == []


def test_more_alerts_of_the_chosen_object_reload_its_panels(store):
    """A stream adds alerts of the chosen object: the rebuild that counts them decodes it
    again (its light curve and filmstrip were left at the old count: 20 alerts below a
    row of 26), keeping the frame picked for the blink; one decode at a time."""
    rows = store.rows()
    field = {name: i for i, name in enumerate(SURVEY_ROW_FIELDS)}
    ours = [r for r in rows if r[field["object_id"]] == OBJECT_ID]
    first = [r for r in rows if r not in ours[-2:]]  # its two newest arrive later
    controller = ObjectsController(fake_view(), store, SchemaCache(fields=SURVEY_FIELDS))
    try:
        columns = AlertColumns()
        columns.append_rows(first)
        controller.rebuild(columns)
        controller.choose(row_of(controller, OBJECT_ID))
        deliver(controller)
        view = controller.view
        assert len(view.show_frames.call_args.args[0]) == EARLIER - 1
        controller.show_frame(0)  # the user picks the oldest frame to blink
        picked = controller.current_frame
        # a rebuild with nothing new of it: nothing decoded again
        generation = controller.generation
        controller.rebuild(columns)
        assert controller.generation == generation and not controller.loading
        # its two newer alerts arrive: the next rebuild decodes it again
        columns.append_rows(ours[-2:])
        controller.rebuild(columns)
        assert controller.generation == generation + 1 and controller.loading
        results = deliver(controller)
        assert all(r.refresh for r in results) and not controller.loading
        lightcurve, _ = view.show_lightcurve.call_args.args
        assert lightcurve.n_alerts == EARLIER + 1
        frames, _ = view.show_frames.call_args.args
        assert len(frames) == EARLIER + 1
        assert controller.current_frame.alert_id == picked.alert_id  # the blink stays put
        assert controller.chosen == (OBJECT_ID, "ztf")
    finally:
        controller.shutdown()


def test_alerts_arriving_during_a_decode_are_decoded_after_it(store):
    rows = store.rows()
    field = {name: i for i, name in enumerate(SURVEY_ROW_FIELDS)}
    ours = [r for r in rows if r[field["object_id"]] == OBJECT_ID]
    first = [r for r in rows if r is not ours[-1]]
    controller = ObjectsController(fake_view(), store, SchemaCache(fields=SURVEY_FIELDS))
    try:
        columns = AlertColumns()
        columns.append_rows(first)
        controller.rebuild(columns)
        controller.choose(row_of(controller, OBJECT_ID))
        generation = controller.generation
        columns.append_rows([ours[-1]])
        controller.rebuild(columns)  # a decode runs: this one waits for it
        assert controller.generation == generation
        deliver(controller)  # its end sees the new count and decodes again
        assert controller.generation == generation + 1
        deliver(controller)
        frames, _ = controller.view.show_frames.call_args.args
        assert len(frames) == EARLIER + 1
        # the newest frame was shown: the newest stays shown
        assert controller.current_frame is frames[-1]
    finally:
        controller.shutdown()


def test_a_filter_that_swaps_the_chosen_objects_alerts_reloads_it(controller):
    """A filter keeping as many of its alerts but other ones (the count unchanged) left
    the panels on the alerts no longer shown."""
    columns = controller.columns
    ours = np.flatnonzero(columns.texts["object_id"].tail().materialise() == OBJECT_ID)
    keep_old = np.ones(len(columns), dtype=bool)
    keep_old[ours[-1]] = False  # all but its newest
    keep_new = np.ones(len(columns), dtype=bool)
    keep_new[ours[0]] = False  # all but its first: as many alerts, not the same
    controller.rebuild(columns, keep_old)
    controller.choose(row_of(controller, OBJECT_ID))
    deliver(controller)
    generation = controller.generation
    controller.rebuild(columns, keep_new)
    assert controller.generation == generation + 1  # decoded again
    deliver(controller)
    frames, _ = controller.view.show_frames.call_args.args
    shown = {f.row for f in frames}
    assert int(columns.row.values[ours[0]]) not in shown
    assert int(columns.row.values[ours[-1]]) in shown
