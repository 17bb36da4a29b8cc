"""Writer schemas, each parsed exactly once.

Parsing an alert schema costs far more than decoding one alert (ZTF's is
~20 KB of JSON with nested records), so every route to a schema goes
through one cache: container headers and Fink keys by their text, Confluent
frames by schema id, user files by path.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fastavro
import fastavro.schema

from alertview.core.avro.compiled import CompileError, Reader, compile_reader, named_types
from alertview.core.avro.projection import NO_PROJECTION, Projection, SurveyFields
from alertview.core.errors import DecodeError, SchemaNotFound
from alertview.core.urls import redact_url

if TYPE_CHECKING:
    from alertview.core.avro.registry import RegistryClient

_LSST_NAME = re.compile(r"lsst\.v(\d+)_(\d+)")
#: JSON nesting of a writer schema beyond which it is refused (ZTF's and Rubin's are
#: ~12 deep); a schema nested hundreds deep would exhaust the parsers' recursion.
MAX_SCHEMA_DEPTH = 100
#: Schemas kept by text (container headers, Fink keys) and by id: a stream of
#: messages each with its own schema must not grow the cache without end.
MAX_CACHED_SCHEMAS = 64
MAX_CACHED_TEXT_BYTES = 32 * 1024 * 1024
MAX_CACHED_IDS = 1024


@dataclass(frozen=True, eq=False)
class WriterSchema:
    """A writer schema ready for decoding, shared by all alerts written with it."""

    raw: Mapping[str, Any] = field(repr=False)
    parsed: Any = field(repr=False)
    name: str
    schema_id: int | None = None
    origin: str = ""
    #: What the table's and the light curve's decodes keep (the cache's surveys).
    projection: Projection = field(default=NO_PROJECTION, repr=False)

    @cached_property
    def json(self) -> str:
        """The schema as JSON text, e.g. to write an Avro container file or a Fink key."""
        return json.dumps(self.raw)

    @cached_property
    def table_prefix(self) -> Any | None:
        """This schema cut after the record the table reads (the first table record
        the surveys declare: ZTF ``candidate``, Rubin ``diaSource``), with the kind of
        the field that follows, or None.

        Decoding stops there, skipping the history that makes up most of a
        packet's decode time (table fields ~40 us vs a whole ZTF packet ~0.3 ms, Rubin ~8 ms).
        Named types are defined before use in Avro, so the cut schema parses.
        """
        fields = (self.raw.get("fields") if isinstance(self.raw, Mapping) else None) or []
        cut = self.projection.table_cut(fields)
        if cut is None or cut == len(fields):
            return None
        try:
            parsed = fastavro.parse_schema({**self.raw, "fields": fields[:cut]}, named_schemas={})
        except Exception:  # fastavro raises several unrelated types here
            return None
        return parsed, _array_branch(fields[cut].get("type"))

    @cached_property
    def light_curve_reader(self) -> Reader | None:
        """A compiled reader keeping of the history records only the fields the surveys
        declare for the light curve; None when this schema has none of those records
        (ZTF: its whole packet decodes in ~0.15 ms anyway)."""
        keep = self.projection.light_curve_keep(named_types(self.parsed))
        if not keep:
            return None
        try:
            return compile_reader(self.parsed, keep)
        except CompileError:
            return None

    @cached_property
    def reader(self) -> Reader | None:
        """This schema's compiled reader (``compiled``), None where it cannot compile."""
        return _compiled(self.parsed)

    @cached_property
    def table_reader(self) -> Reader | None:
        """The compiled reader of ``table_prefix``, keeping of the table record only the
        fields the survey declares for the table (~10 of ~100: a live ZTF stream's
        decoding ~40 % faster); then a broker's fields after the history, where the
        schema has them (``extra_reader``)."""
        prefix = self.table_prefix
        if prefix is None:
            return None
        try:
            reader = compile_reader(prefix[0], self.projection.table_keep(prefix[0]["fields"]))
        except CompileError:
            return None
        extra = self.extra_reader
        return reader if extra is None else _then(reader, extra)

    @cached_property
    def extra_reader(self) -> Reader | None:
        """A compiled reader of the fields after the table record up to the last extra
        field the surveys declare (a broker's scores, after the history and the
        cutouts), keeping only those; None when this schema has none."""
        fields = (self.raw.get("fields") if isinstance(self.raw, Mapping) else None) or []
        cut = self.projection.table_cut(fields)
        stop = None if cut is None else self.projection.table_suffix(fields, cut)
        if cut is None or stop is None:
            return None
        try:  # named types inlined: the fields skipped may name types defined before the cut
            expanded: Any = fastavro.parse_schema(dict(self.raw), named_schemas={}, expand=True)
            rest = expanded["fields"][cut:stop]
            wanted = frozenset(f["name"] for f in rest) & self.projection.extra_fields
            suffix = {"type": "record", "name": "alertview.extra", "fields": rest}
            return compile_reader(suffix, {"alertview.extra": wanted})
        except (CompileError, RecursionError):
            return None
        except Exception:  # fastavro raises several unrelated types here
            return None

    @property
    def lsst_version(self) -> tuple[int, int] | None:
        """(major, minor) when this is a Rubin ``lsst.vM_m`` schema."""
        match = _LSST_NAME.search(self.name)
        return (int(match[1]), int(match[2])) if match else None


def _then(table: Reader, extra: Reader) -> Reader:
    """``table``, then ``extra`` read on from where it ended, into the same record. The
    position returned is the table record's end, where the history's length is read."""

    def read(data: bytes, pos: int) -> tuple[Any, int]:
        record, end = table(data, pos)
        with contextlib.suppress(Exception):  # a damaged history: the table's fields show
            record.update(extra(data, end)[0])  # (the full decode reports the damage)
        return record, end

    return read


def _compiled(parsed: Any) -> Reader | None:
    try:
        return compile_reader(parsed)
    except (CompileError, RecursionError):
        return None  # fastavro reads it


def _array_branch(avro_type: Any) -> int | None:
    """-1 for an array field, the union branch of the array for a nullable one, else None."""
    if isinstance(avro_type, Mapping) and avro_type.get("type") == "array":
        return -1
    if isinstance(avro_type, list):
        for branch, member in enumerate(avro_type):
            if isinstance(member, Mapping) and member.get("type") == "array":
                return branch
    return None


def lsst_schema_id(major: int, minor: int) -> int:
    """Rubin's registry id of ``lsst.vMAJOR_MINOR.alert``: MAJOR*100+MINOR."""
    return major * 100 + minor


def lsst_package_root() -> Path | None:
    """Where lsst-alert-packet keeps its schemas, found without importing it."""
    try:
        spec = importlib.util.find_spec("lsst.alert.packet")
    except ModuleNotFoundError:
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "schema"


def lsst_published_versions() -> list[tuple[int, int]]:
    """Every (major, minor) schema version the installed lsst-alert-packet ships."""
    root = lsst_package_root()
    if root is None:
        return []
    versions = []
    for alert in root.glob("*/*/lsst.v*_*.alert.avsc"):
        match = _LSST_NAME.search(alert.name)
        if match:
            versions.append((int(match[1]), int(match[2])))
    return sorted(versions)


class SchemaCache:
    """Parse each distinct writer schema once; thread-safe.

    Parameters
    ----------
    registry_url
        A Confluent-compatible schema registry, asked for ids first.
    registry_config
        Extra settings for confluent-kafka's registry client (auth, TLS).
    use_lsst_package
        Fall back to the schemas shipped by ``lsst-alert-packet`` for Rubin ids,
        so Rubin alerts decode offline.
    fields
        What each survey's mapping reads (``alertview.core.surveys.SURVEY_FIELDS``),
        so that decodes for the table and the light curve read only that; without
        them every decode reads the whole record.
    """

    def __init__(
        self,
        registry_url: str | None = None,
        registry_config: Mapping[str, Any] | None = None,
        use_lsst_package: bool = True,
        fields: Sequence[SurveyFields] = (),
    ) -> None:
        self.registry_url = registry_url
        self.projection = Projection(tuple(fields)) if fields else NO_PROJECTION
        self._registry_config = dict(registry_config or {})
        self._registry_client: RegistryClient | None = None
        self.use_lsst_package = use_lsst_package
        self._by_text: OrderedDict[bytes, WriterSchema] = OrderedDict()
        self._text_bytes = 0
        self._by_id: OrderedDict[int, WriterSchema | SchemaNotFound] = OrderedDict()
        self._by_path: dict[Path, WriterSchema] = {}
        self._headers: dict[bytes, tuple[WriterSchema, str]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._by_text) + len(self._by_id) + len(self._by_path)

    def known_header(self, data: bytes) -> tuple[WriterSchema, str, int] | None:
        """(schema, codec, header length) when ``data`` starts with a container header
        seen before: one comparison instead of parsing ~10 KB of metadata again."""
        for header, (schema, codec) in list(self._headers.items()):
            if data.startswith(header):
                return schema, codec, len(header)
        return None

    def remember_header(self, header: bytes, schema: WriterSchema, codec: str) -> None:
        """A container header (magic and metadata, without the sync marker)."""
        with self._lock:
            self._headers[header] = (schema, codec)
            while len(self._headers) > 8:
                del self._headers[next(iter(self._headers))]

    def use_registry(self, url: str | None, config: Mapping[str, Any] | None = None) -> None:
        """Ask this registry (``url`` without credentials; they go in ``config``, e.g.
        ``basic.auth.user.info``) from now on; ids it failed to find are asked again."""
        with self._lock:
            self.registry_url = url
            self._registry_config = dict(config or {})
            self._registry_client = None
            for schema_id, cached in list(self._by_id.items()):
                if isinstance(cached, SchemaNotFound):
                    del self._by_id[schema_id]

    @property
    def registry_config(self) -> dict[str, Any]:
        """The registry client's extra settings (e.g. to make a like cache elsewhere)."""
        return dict(self._registry_config)

    # -- by text (container headers, Fink keys) ---------------------------------
    def from_text(self, text: bytes, origin: str = "") -> WriterSchema:
        """The schema whose JSON text is ``text`` (cached by the exact bytes)."""
        cached = self._by_text.get(text)
        if cached is not None:
            return cached
        raw = _load_json(text)
        schema = self._make(raw, origin=origin)
        with self._lock:
            text = bytes(text)
            if text not in self._by_text:
                self._text_bytes += len(text)
            self._by_text[text] = schema
            while len(self._by_text) > 1 and (
                len(self._by_text) > MAX_CACHED_SCHEMAS or self._text_bytes > MAX_CACHED_TEXT_BYTES
            ):  # the oldest first: a stream's own schema is seen again and re-added
                old, _ = self._by_text.popitem(last=False)
                self._text_bytes -= len(old)
        return schema

    # -- by id (Confluent wire format) ------------------------------------------
    def by_id(self, schema_id: int) -> WriterSchema:
        """The schema registered under ``schema_id``; negative answers are cached too."""
        cached = self._by_id.get(schema_id)
        if cached is None:
            try:
                cached = self._resolve_id(schema_id)
            except SchemaNotFound as exc:
                cached = exc
            self._remember(schema_id, cached)
        if isinstance(cached, SchemaNotFound):
            raise cached
        return cached

    def remember_id(self, schema_id: int, schema: WriterSchema) -> None:
        """Teach the cache an id it will be asked for (e.g. read back from a store)."""
        self._remember(schema_id, schema)

    def _remember(self, schema_id: int, schema: WriterSchema | SchemaNotFound) -> None:
        with self._lock:
            self._by_id[schema_id] = schema
            while len(self._by_id) > MAX_CACHED_IDS:
                self._by_id.popitem(last=False)

    def _resolve_id(self, schema_id: int) -> WriterSchema:
        tried = []
        if self.registry_url:
            text = self._fetch_from_registry(schema_id)
            if text is not None:
                raw = _load_json(text.encode())
                return self._make(raw, schema_id=schema_id, origin=redact_url(self.registry_url))
            tried.append(f"registry {redact_url(self.registry_url)}")
        if self.use_lsst_package:
            raw = self._load_lsst_package(schema_id)
            if raw is not None:
                return self._make(raw, schema_id=schema_id, origin="lsst-alert-packet")
            tried.append("lsst-alert-packet")
        where = ", ".join(tried) or "no schema source configured"
        raise SchemaNotFound(f"unknown schema id {schema_id} (looked in: {where})")

    def _fetch_from_registry(self, schema_id: int) -> str | None:
        from alertview.core.avro.registry import RegistryClient

        if self.registry_url is None:
            return None
        if self._registry_client is None:
            self._registry_client = RegistryClient(self.registry_url, self._registry_config)
        return self._registry_client.schema_text(schema_id)

    @staticmethod
    def _load_lsst_package(schema_id: int) -> Any:
        root = lsst_package_root()
        if root is None:
            return None
        major, minor = divmod(schema_id, 100)
        path = root / str(major) / str(minor) / f"lsst.v{major}_{minor}.alert.avsc"
        if not path.is_file():
            return None
        return fastavro.schema.load_schema(str(path), _write_hint=False)

    # -- from a user's file -------------------------------------------------------
    def from_file(self, path: str | Path) -> WriterSchema:
        """A schema file given by the user; named types in sibling files are resolved."""
        path = Path(path).resolve()
        cached = self._by_path.get(path)
        if cached is not None:
            return cached
        try:
            raw = _load_json(path.read_bytes())
            if path.suffix == ".avsc":  # may name types defined in sibling .avsc files
                raw = fastavro.schema.load_schema(str(path), _write_hint=False)
        except (OSError, ValueError, fastavro.schema.SchemaParseException) as exc:
            raise DecodeError(f"cannot load schema: {exc}", source=str(path)) from None
        except Exception as exc:  # fastavro's repository errors
            raise DecodeError(f"cannot load schema: {exc}", source=str(path)) from None
        schema = self._make(raw, origin=str(path))
        with self._lock:
            self._by_path[path] = schema
        return schema

    def _make(self, raw: Any, schema_id: int | None = None, origin: str = "") -> WriterSchema:
        depth = _json_depth(raw)
        if depth > MAX_SCHEMA_DEPTH:
            raise DecodeError(f"schema nested {depth} deep (at most {MAX_SCHEMA_DEPTH})")
        try:
            parsed = fastavro.parse_schema(raw)
        except Exception as exc:  # fastavro raises several unrelated types here
            raise DecodeError(f"not a valid Avro schema ({type(exc).__name__}: {exc})") from None
        named = alert_record(raw)
        name = named.get("name", "") if named else ""
        if named and named.get("namespace") and "." not in name:
            name = f"{named['namespace']}.{name}"
        return WriterSchema(raw, parsed, name, schema_id, origin, self.projection)


def alert_record(raw: Any) -> Mapping[str, Any] | None:
    """The record an alert is written with: the schema itself, or, where the writer
    schema is a list of named types (ZTF's 1.x simulated packets), the one named
    ``alert`` or else the last record of the list."""
    if isinstance(raw, Mapping):
        return raw
    if not isinstance(raw, list):
        return None
    records = [t for t in raw if isinstance(t, Mapping) and t.get("type") in ("record", "error")]
    named_alert = [t for t in records if str(t.get("name", "")).rpartition(".")[2] == "alert"]
    chosen = named_alert or records
    return chosen[-1] if chosen else None


def _load_json(text: bytes) -> Any:
    try:
        return json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DecodeError(f"schema is not valid JSON ({exc})") from None
    except RecursionError:
        raise DecodeError("schema is nested too deep to parse") from None


def _json_depth(value: Any) -> int:
    """How deep JSON lists and objects nest in ``value`` (without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping | list):
            deepest = max(deepest, depth)
            if depth > MAX_SCHEMA_DEPTH:
                break
            children = item.values() if isinstance(item, Mapping) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest
