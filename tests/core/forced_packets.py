"""ZTF's real 3.5 forced-photometry test packet, re-written with some epochs unmeasured."""

from __future__ import annotations

from pathlib import Path

import fastavro

from tests.conftest import FORCED_TEST

#: ZTF's "no value" in forced photometry.
FORCED_NULL = -99999.0


def with_unmeasured_epochs(folder: Path, count: int) -> tuple[Path, dict]:
    """The packet with ``count`` prv_candidates fluxes set to -99999, as ZTF sends an epoch
    it could not measure; everything else (schema, limits, cutouts) byte for byte the same."""
    with FORCED_TEST.open("rb") as stream:
        reader = fastavro.reader(stream)
        schema = reader.writer_schema
        (record,) = list(reader)
    for point in record["prv_candidates"][:count]:
        point["forcediffimflux"] = FORCED_NULL
        point["forcediffimfluxunc"] = FORCED_NULL
    path = folder / f"unmeasured_{count}.avro"
    with path.open("wb") as out:
        fastavro.writer(out, schema, [record])
    return path, record
