"""Seeded mutations of the real shared packets, run through the public reading API.

Run by ``test_fuzz.py`` in a child process whose address space is capped, so a
case that allocates without bound fails the test instead of the machine.
Every case must end in alerts or the project's own one-line errors
(``DecodeError``, ``CutoutError``), never an "internal error", within a time
bound. Prints one JSON line with the counts.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import resource
import signal
import sys
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from alertview.core.alert import Origin
from alertview.core.avro.codecs import MAX_INFLATED_BYTES
from alertview.core.avro.encode import confluent_frame, rubin_native_record, schemaless_body
from alertview.core.avro.schemas import SchemaCache
from alertview.core.cutouts import decode_cutouts
from alertview.core.decode import decode_bytes, read_alerts
from alertview.core.errors import CutoutError, DecodeError
from tests.conftest import FINK_LSST_TRANSFER, FINK_ZTF_MULTI, ZTF_FILES, raw_records
from tests.core.helpers import avro_long

#: Seconds one case may take (the slowest real packet decodes in ~10 ms).
CASE_SECONDS = 5.0


class CaseTooSlow(BaseException):
    """Raised by the alarm: not an Exception, so nothing under test can swallow it."""


def seeds(cache: SchemaCache) -> list[tuple[str, bytes, bytes | None]]:
    """(name, message value, key) of real packets in every framing."""
    found = [(p.name, p.read_bytes(), None) for p in ZTF_FILES]
    found.append(("fink-multi", FINK_ZTF_MULTI.read_bytes(), None))
    rubin = cache.by_id(1000)
    for i, raw in enumerate(raw_records(FINK_LSST_TRANSFER)[:2]):
        body = schemaless_body(rubin_native_record(raw), rubin)
        found.append((f"rubin-{i}", confluent_frame(body, 1000), None))
        found.append((f"rubin-fink-{i}", body, rubin.json.encode()))
    found.append(("ztf-gzip", gzip.compress(ZTF_FILES[1].read_bytes()), None))
    return found


def mutations(rng: random.Random, data: bytes) -> Iterator[tuple[str, bytes]]:
    """One mutated copy per kind of damage seen in real streams and in fuzzing."""
    n = len(data)
    flipped = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        flipped[rng.randrange(n)] ^= 1 << rng.randrange(8)
    yield "bit flips", bytes(flipped)
    yield "truncated", data[: rng.randrange(n)]
    at = rng.randrange(n)
    yield "insertion", data[:at] + rng.randbytes(rng.randint(1, 64)) + data[at:]
    at = rng.randrange(n)
    yield "deletion", data[:at] + data[at + rng.randint(1, 64) :]
    at = rng.randrange(n)
    huge = avro_long(rng.choice([2**31, 2**40, 2**62, -(2**40), -1]))
    yield "huge length", data[:at] + huge + data[at + len(huge) :]
    yield "bad magic", rng.randbytes(4) + data[4:]
    yield "nested gzip", gzip.compress(gzip.compress(data))
    yield "gzip then garbage", gzip.compress(data) + rng.randbytes(32)
    yield "second gzip member", gzip.compress(data) + gzip.compress(data[: n // 2])


def gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes gzipped, built in pieces (a 1 GB bomb is ~1 MB)."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    piece = bytes(16 * 2**20)
    out = [squeeze.compress(piece) for _ in range(size // len(piece))]
    return b"".join([*out, squeeze.flush()])


def tar_cases(folder: Path, good: bytes, rng: random.Random) -> list[Path]:
    """Archives with oddities: truncated, a member cut short, links and folders,
    a member declared far larger than its bytes."""
    paths = []

    def archive(name: str, members: list[tuple[tarfile.TarInfo, bytes | None]], mode="w"):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode=mode) as tar:
            for info, data in members:
                tar.addfile(info, io.BytesIO(data) if data is not None else None)
        path = folder / name
        path.write_bytes(buffer.getvalue())
        paths.append(path)
        return path

    def file_info(name: str, size: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.size = size
        return info

    link = tarfile.TarInfo("link.avro")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    folder_info = tarfile.TarInfo("sub")
    folder_info.type = tarfile.DIRTYPE
    members = [(file_info("a.avro", len(good)), good), (link, None), (folder_info, None)]
    whole = archive("odd.tar.gz", [*members, (file_info("b.avro", len(good)), good)], "w:gz")
    cut = whole.read_bytes()
    (folder / "cut.tar.gz").write_bytes(cut[: rng.randrange(len(cut))])
    paths.append(folder / "cut.tar.gz")
    plain = archive("plain.tar", [(file_info("a.avro", len(good)), good)])
    raw = bytearray(plain.read_bytes())
    raw[124:136] = b"77777777777\0"  # the member's size field: ~8 GB
    (folder / "liar.tar").write_bytes(bytes(raw))
    paths.append(folder / "liar.tar")
    flipped = bytearray(whole.read_bytes())
    flipped[rng.randrange(10, len(flipped))] ^= 0xFF
    (folder / "flipped.tar.gz").write_bytes(bytes(flipped))
    paths.append(folder / "flipped.tar.gz")
    return paths


def run_case(run: Callable[[], Iterator], counts: dict[str, int], name: str) -> None:
    signal.setitimer(signal.ITIMER_REAL, CASE_SECONDS)
    try:
        for item in run():
            if isinstance(item, DecodeError):
                counts["errors"] += 1
                if item.reason.startswith("internal error") or item.cause is not None:
                    counts["internal"] += 1
                    counts.setdefault("examples", []).append(f"{name}: {item}")
                continue
            counts["alerts"] += 1
            stamps = decode_cutouts(item).values()
            counts["cutout errors"] += sum(isinstance(s, CutoutError) for s in stamps)
    except DecodeError:
        counts["errors"] += 1
    except CaseTooSlow:
        counts["too slow"] += 1
        counts.setdefault("examples", []).append(f"{name}: over {CASE_SECONDS} s")
    except Exception as exc:  # the point of the exercise: none may get here
        counts["escaped"] += 1
        counts.setdefault("examples", []).append(f"{name}: {type(exc).__name__}: {exc}")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def main(seed: int, rounds: int, memory_limit: int) -> dict:
    resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

    def alarm(*_):
        raise CaseTooSlow

    signal.signal(signal.SIGALRM, alarm)
    rng = random.Random(seed)
    counts = dict.fromkeys(
        ("cases", "alerts", "errors", "cutout errors", "internal", "escaped", "too slow"), 0
    )
    started = time.perf_counter()
    cache = SchemaCache()
    packets = seeds(cache)
    for round_ in range(rounds):
        for name, data, key in packets:
            for kind, mutated in mutations(rng, data):
                counts["cases"] += 1
                origin = Origin(f"{name} {kind} #{round_}")
                run_case(
                    lambda m=mutated, o=origin, k=key: decode_bytes(m, cache, origin=o, key=k),
                    counts,
                    origin.source,
                )
    bomb = gzip_bomb(MAX_INFLATED_BYTES + 16 * 2**20)
    bombs = [("gzip bomb", bomb), ("bomb in a second member", gzip.compress(packets[0][1]) + bomb)]
    for name, data in bombs:
        counts["cases"] += 1
        origin = Origin(name)
        run_case(lambda d=data, o=origin: decode_bytes(d, cache, origin=o), counts, name)
    with tempfile.TemporaryDirectory() as folder:
        for path in tar_cases(Path(folder), packets[0][1], rng):
            counts["cases"] += 1
            run_case(lambda p=path: read_alerts([p], cache), counts, path.name)
    counts["seconds"] = round(time.perf_counter() - started, 2)
    counts["peak RSS MB"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return counts


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))))
