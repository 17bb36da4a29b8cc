"""An alert as a flat dict of plain values: the `inspect --json` line format.

An alert decoded from its table fields only (``Detail.TABLE``: `consume`'s
default) has the same keys, but what those fields do not hold is null: the
cutouts (they follow the history in the packet), the upper-limit and forced
counts, and ZTF's previous detections (its history mixes them with upper
limits; Rubin's count comes from the array's header). Such a summary says
``"detail": "table"``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from alertview.core.alert import CUTOUT_NAMES, Alert
from alertview.core.avro.detail import Detail
from alertview.core.cutouts import Cutout, CutoutError, decode_cutouts


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def alert_summary(
    alert: Alert, cutouts: Mapping[str, Cutout | CutoutError] | None = None
) -> dict[str, Any]:
    """Key fields of an alert; decodes the cutouts unless they are given (or not read)."""
    table_only = alert.detail is Detail.TABLE
    if cutouts is None and not table_only:
        cutouts = decode_cutouts(alert)
    summary: dict[str, Any] = {
        "source": alert.origin.source,
        "index": alert.origin.index,
        "survey": alert.survey,
        "schema": alert.schema_label,
        "alert_id": alert.alert_id,
        "object_id": alert.object_id,
        "ra": _finite(alert.ra),
        "dec": _finite(alert.dec),
        "mjd": _finite(alert.mjd),
        "time_scale": alert.time_scale,
        "band": alert.band,
        "mag": _finite(alert.mag),
        "mag_err": _finite(alert.mag_err),
        "flux": _finite(alert.flux),
        "flux_err": _finite(alert.flux_err),
        "flux_unit": alert.flux_unit,
        "n_history_detections": alert.n_history_detections,
    }
    if table_only:  # what the table's fields do not hold is null, the keys all the same
        summary.update(dict.fromkeys(_NOT_IN_TABLE))
    else:
        assert cutouts is not None
        summary.update(
            n_upper_limits=alert.n_upper_limits,
            n_forced=alert.n_forced,
            cutouts=[n for n in CUTOUT_NAMES if alert.cutouts.get(n)],
            cutout_shapes={n: list(c.shape) for n, c in cutouts.items() if isinstance(c, Cutout)},
            cutout_errors={n: str(c) for n, c in cutouts.items() if isinstance(c, CutoutError)},
        )
    summary.update(publisher=alert.publisher, framing=str(alert.packet.framing))
    if table_only:
        summary["detail"] = "table"
    _add_quality_and_origin(summary, alert)
    return summary


#: The summary's keys an alert decoded from its table fields has no value for.
_NOT_IN_TABLE = ("n_upper_limits", "n_forced", "cutouts", "cutout_shapes", "cutout_errors")


def _add_quality_and_origin(summary: dict[str, Any], alert: Alert) -> None:
    summary.update({k: _finite(v) for k, v in alert.quality.items()})
    if alert.origin.topic is not None:
        summary.update(
            topic=alert.origin.topic,
            partition=alert.origin.partition,
            offset=alert.origin.offset,
        )


def summary_line(s: Mapping[str, Any]) -> str:
    """One human-readable line for a summary."""

    def num(key: str, fmt: str) -> str:
        return "-" if s.get(key) is None else format(s[key], fmt)

    def count(key: str) -> str:
        return "?" if s.get(key) is None else str(s[key])

    photometry = f"mag {num('mag', '.3f')}±{num('mag_err', '.3f')}"
    if s.get("flux") is not None:
        photometry += f"  flux {num('flux', '.1f')}±{num('flux_err', '.1f')} {s['flux_unit']}"
    where = (
        f"{s['topic']}[{s['partition']}]@{s['offset']}"
        if "topic" in s
        else f"{s['source']}#{s['index']}"
    )
    short = {"science": "sci", "template": "tmpl", "difference": "diff"}
    if s["cutouts"] is None:  # not read (table fields only)
        stamps = "?"
    else:
        stamps = ",".join(
            f"{short[n]}{'x'.join(map(str, s['cutout_shapes'][n]))}"
            if n in s["cutout_shapes"]
            else f"{short[n]}!"
            for n in s["cutouts"]
        )
    return (
        f"{where}  {s['schema']}  id={s['alert_id']}  obj={s['object_id'] or '-'}  "
        f"ra={num('ra', '.6f')} dec={num('dec', '+.6f')}  "
        f"mjd={num('mjd', '.5f')} {str(s['time_scale']).upper()}  band={s['band'] or '-'}  "
        f"{photometry}  det={count('n_history_detections')}+1 lim={count('n_upper_limits')} "
        f"fp={count('n_forced')}  cutouts={stamps or '-'}"
    )
