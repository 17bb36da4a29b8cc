"""Several real alerts of one ZTF object, for the objects view's tests.

The bundled packets hold one alert per object. ZTF19acihgng's alert lists its
earlier detections in ``prv_candidates``; the alert ZTF sent for each of them
is rebuilt from it by ``alertview.core.history_alerts`` (that detection as the
candidate, the history before it as ``prv_candidates``, its candid as the
alert's id; the stamps stay the newest alert's: ZTF's own are not in the packet).
"""

from __future__ import annotations

from pathlib import Path

from alertview.core.avro.encode import container_file
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.core.history_alerts import earlier_alerts
from tests.conftest import FINK_ZTF_SINGLE, raw_records

OBJECT_ID = "ZTF19acihgng"


def earlier_records(count: int) -> list[dict]:
    """The records of the alerts of ZTF19acihgng's ``count`` detections before its
    bundled alert, oldest first."""
    return earlier_alerts(raw_records(FINK_ZTF_SINGLE)[0], count)


def write_object_alerts(folder: Path, count: int) -> list[Path]:
    """Files of ``count`` earlier alerts of ZTF19acihgng and its bundled one: ``count`` + 1
    alerts of one object, written newest first (so arrival order is not time order)."""
    (alert,) = read_alerts([FINK_ZTF_SINGLE], SchemaCache())
    paths = []
    for record in reversed(earlier_records(count)):
        path = folder / f"{record['candid']}.avro"
        path.write_bytes(container_file([record], alert.packet.schema))
        paths.append(path)
    return [FINK_ZTF_SINGLE, *paths]
