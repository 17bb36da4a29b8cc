"""The earlier alerts an object's history implies, rebuilt from one real packet.

Public alert samples are single packets, one per object, yet the Objects
view, its merged light curve and its filmstrip are about objects seen many
times. A real packet's history holds the object's earlier detections: each
was, on its night, the detection of an alert whose own history was what came
before it. This rebuilds those alerts (for the demo, the screenshots and the
tests), honestly derived: every measured value comes from the real packet;
fields a history entry does not carry (ZTF's ``drb``, PS1 neighbours) are the
latest alert's, and the three cutouts are the latest alert's stamps.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import fastavro

log = logging.getLogger(__name__)


def _ztf_alerts(record: Mapping[str, Any], count: int) -> list[dict[str, Any]]:
    history = sorted(record.get("prv_candidates") or [], key=lambda p: p.get("jd") or 0.0)
    detections = [p for p in history if p.get("candid") is not None]
    latest = record["candidate"]
    alerts = []
    for entry in detections[-count:]:
        candidate = dict(latest)
        candidate.update({k: v for k, v in entry.items() if k in latest})
        before = [p for p in history if (p.get("jd") or 0.0) < entry["jd"]]
        alert = dict(record)
        alert.update(candid=entry["candid"], candidate=candidate, prv_candidates=before)
        alerts.append(alert)
    return alerts


def _rubin_alerts(record: Mapping[str, Any], count: int) -> list[dict[str, Any]]:
    sources = sorted(record.get("prvDiaSources") or [], key=lambda s: s["midpointMjdTai"])
    forced = record.get("prvDiaForcedSources") or []
    latest = record["diaSource"]
    alerts = []
    for source in sources[-count:]:
        mjd = source["midpointMjdTai"]
        dia_source = dict(latest)
        dia_source.update({k: v for k, v in source.items() if k in latest})
        alert = dict(record)
        alert.update(
            diaSourceId=source["diaSourceId"],
            diaSource=dia_source,
            prvDiaSources=[s for s in sources if s["midpointMjdTai"] < mjd],
            prvDiaForcedSources=[f for f in forced if (f.get("midpointMjdTai") or 0.0) < mjd],
        )
        alerts.append(alert)
    return alerts


def earlier_alerts(record: Mapping[str, Any], count: int) -> list[dict[str, Any]]:
    """Up to ``count`` alerts of the object before ``record`` (oldest first), in the
    same writer schema as ``record``; empty when it holds no history it can read."""
    if isinstance(record.get("candidate"), Mapping):
        return _ztf_alerts(record, count)
    if isinstance(record.get("diaSource"), Mapping):
        return _rubin_alerts(record, count)
    return []


def write_history_files(
    paths: Iterable[str | os.PathLike], folder: str | os.PathLike, count: int = 6
) -> list[Path]:
    """For each alert in the Avro container files under ``paths``, up to ``count``
    earlier alerts of its object, one container file each (oldest first) in ``folder``.

    The demo replays them before the real packets, so its objects have several
    alerts spread over their real nights. A file that cannot be read is skipped.
    """
    out = Path(folder)
    written: list[Path] = []
    files = [
        path
        for root in map(Path, paths)
        for path in (sorted(root.rglob("*.avro")) if root.is_dir() else [root])
    ]
    for index, path in enumerate(files):  # (two files may share a name in two folders)
        try:
            with path.open("rb") as stream:
                reader = fastavro.reader(stream)
                schema = reader.writer_schema
                records = list(reader)
        except Exception as exc:  # a damaged file has no history to give; the others do
            log.debug("no history from %s: %r", path, exc)
            continue
        for number, record in enumerate(records):
            if not isinstance(record, Mapping):
                continue
            try:
                alerts = earlier_alerts(record, count)
            except (KeyError, TypeError) as exc:  # a history without its times
                log.debug("no history from %s #%d: %r", path, number, exc)
                continue
            for step, alert in enumerate(alerts):
                target = out / f"{index:04d}-{path.stem}-{number}-{step}.avro"
                with target.open("wb") as sink:
                    fastavro.writer(sink, schema, [alert])
                written.append(target)
    return written
