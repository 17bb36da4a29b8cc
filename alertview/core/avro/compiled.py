"""Avro readers compiled for one schema: Python source written from the schema.

fastavro interprets the writer schema for every value it reads, looking up
``"type"``, ``"fields"`` and each name through Python's object API, which
made it ~60 % of a live stream's decoding time. A function generated for one
schema has those decisions made once: the table fields of a ZTF alert read
several times faster, with exactly fastavro's values (the tests compare both
readers on every shared packet, every schema version). A ``keep`` projection
skips the fields nobody asked for without building them.

Logical types go through fastavro's own converters, so they match too. A
schema's names and symbols enter the generated code only as ``repr`` literals
or as constants, never as code.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from typing import Any

from fastavro.read import LOGICAL_READERS

#: (data, position) -> (value, position after it)
Reader = Callable[[bytes, int], tuple[Any, int]]

#: Items of an array whose items take no bytes (null, empty records): their count
#: cannot be checked against the bytes left, so it is bounded instead (a block count
#: of 2**40 nulls would otherwise build a list until memory runs out).
MAX_EMPTY_ITEMS = 1_000_000

_PRIMITIVES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")
_FLOAT = struct.Struct("<f").unpack_from
_DOUBLE = struct.Struct("<d").unpack_from


class CompileError(ValueError):
    """A schema this compiler does not handle: read it with fastavro instead."""


def _long(data: bytes, pos: int) -> tuple[int, int]:
    """A zig-zag varint (Avro int and long) at ``pos``."""
    byte = data[pos]
    pos += 1
    value = byte & 0x7F
    shift = 7
    while byte & 0x80:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if shift > 70:
            raise ValueError("varint longer than 10 bytes")
    return (value >> 1) ^ -(value & 1), pos


def _skip_long(data: bytes, pos: int) -> int:
    while data[pos] & 0x80:
        pos += 1
    return pos + 1


def _eof(needed: int, size: int) -> EOFError:
    return EOFError(f"needs {needed} bytes, the packet has {size}")


def compile_reader(schema: Any, keep: Mapping[str, frozenset[str]] | None = None) -> Reader:
    """A reader for ``schema`` (as ``fastavro.parse_schema`` returns it).

    ``keep`` maps a record's full name to the fields to return; the others
    are skipped. Raises CompileError for what it cannot compile.
    """
    return _Compiler(schema, keep or {}).build()


def named_types(schema: Any) -> dict[str, dict]:
    """The records, enums and fixed types defined in a parsed schema, by full name."""
    named: dict[str, dict] = {}
    stack = [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            kind = item.get("type")
            if kind in ("record", "error", "enum", "fixed") and "name" in item:
                if item["name"] in named:
                    continue
                named[item["name"]] = item
            stack.extend(field["type"] for field in item.get("fields", ()))
            stack.extend(item[key] for key in ("items", "values") if key in item)
            if isinstance(kind, (dict, list)):
                stack.append(kind)
    return named


class _Compiler:
    def __init__(self, schema: Any, keep: Mapping[str, frozenset[str]]) -> None:
        self.schema = schema
        self.keep = keep
        self.named = named_types(schema)
        self.functions: dict[str, str] = {}  # key -> function name
        self.sources: list[str] = []
        self.constants: dict[str, Any] = {
            "_long": _long,
            "_skip_long": _skip_long,
            "_FLOAT": _FLOAT,
            "_DOUBLE": _DOUBLE,
            "_eof": _eof,
        }
        self.counter = 0

    # -- schema walking ---------------------------------------------------------------
    def _resolve(self, schema: Any) -> Any:
        if isinstance(schema, str) and schema not in _PRIMITIVES:
            if schema not in self.named:
                raise CompileError(f"unknown type {schema!r}")
            return self.named[schema]
        if isinstance(schema, dict) and isinstance(schema.get("type"), (dict, list)):
            return self._resolve(schema["type"])
        return schema

    def _name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def _constant(self, value: Any) -> str:
        name = self._name("_c")
        self.constants[name] = value
        return name

    # -- code ---------------------------------------------------------------------------
    def build(self) -> Reader:
        lines = self._read(self.schema, "value", 1)
        source = "\n".join(
            [
                *self.sources,
                "def read(data, pos):",
                *lines,
                "    if pos > len(data):",
                "        raise _eof(pos, len(data))",
                "    return value, pos",
            ]
        )
        namespace = dict(self.constants)
        exec(compile(source, "<avro reader>", "exec"), namespace)  # our own generated code
        return namespace["read"]

    def _read(self, schema: Any, out: str, depth: int) -> list[str]:
        """Statements reading one value of ``schema`` into variable ``out``."""
        pad = "    " * depth
        schema = self._resolve(schema)
        if isinstance(schema, list):
            return self._union(schema, depth, lambda member, level: self._read(member, out, level))
        kind = schema if isinstance(schema, str) else schema.get("type")
        if kind == "null":
            lines = [f"{pad}{out} = None"]
        elif kind == "boolean":
            lines = [f"{pad}{out} = data[pos] == 1", f"{pad}pos += 1"]
        elif kind in ("int", "long"):
            # one- and two-byte varints inline (most ints and small longs), longer ones called
            lines = [
                f"{pad}{out} = data[pos]",
                f"{pad}if {out} < 128:",
                f"{pad}    {out} = ({out} >> 1) ^ -({out} & 1)",
                f"{pad}    pos += 1",
                f"{pad}elif data[pos + 1] < 128:",
                f"{pad}    {out} = ({out} & 127) | (data[pos + 1] << 7)",
                f"{pad}    {out} = ({out} >> 1) ^ -({out} & 1)",
                f"{pad}    pos += 2",
                f"{pad}else:",
                f"{pad}    {out}, pos = _long(data, pos)",
            ]
        elif kind == "float":
            lines = [f"{pad}{out} = _FLOAT(data, pos)[0]", f"{pad}pos += 4"]
        elif kind == "double":
            lines = [f"{pad}{out} = _DOUBLE(data, pos)[0]", f"{pad}pos += 8"]
        elif kind in ("bytes", "string"):
            decode = ".decode()" if kind == "string" else ""
            lines = [
                f"{pad}size, pos = _long(data, pos)",
                f"{pad}end = pos + size",
                f"{pad}if size < 0 or end > len(data):",
                f"{pad}    raise _eof(end, len(data))",
                f"{pad}{out} = data[pos:end]{decode}",
                f"{pad}pos = end",
            ]
        elif kind == "fixed":
            size = int(schema["size"])
            lines = [
                f"{pad}end = pos + {size}",
                f"{pad}if end > len(data):",
                f"{pad}    raise _eof(end, len(data))",
                f"{pad}{out} = data[pos:end]",
                f"{pad}pos = end",
            ]
        elif kind == "enum":
            symbols = self._constant(tuple(schema["symbols"]))
            lines = [
                f"{pad}{out}, pos = _long(data, pos)",
                f"{pad}if {out} < 0:",
                f"{pad}    raise IndexError('enum index ' + str({out}))",
                f"{pad}{out} = {symbols}[{out}]",
            ]
        elif kind in ("record", "error", "array", "map"):
            function = self._function(schema, kind)
            lines = [f"{pad}{out}, pos = {function}(data, pos)"]
        else:
            raise CompileError(f"type {kind!r} is not supported")
        logical = schema.get("logicalType") if isinstance(schema, dict) else None
        if logical:
            convert = LOGICAL_READERS.get(f"{kind}-{logical}")
            if convert is not None:
                fn, arg = self._constant(convert), self._constant(schema)
                lines.append(f"{pad}{out} = {fn}({out}, {arg}, None)")
        return lines

    def _union(self, members: list, depth: int, body: Callable[[Any, int], list]) -> list[str]:
        """Dispatch on the branch index (one byte: zig-zag of 0..63), then ``body``."""
        pad = "    " * depth
        branch = self._name("b")
        if len(members) > 63:  # the branch index takes more than one byte
            lines = [f"{pad}{branch}, pos = _long(data, pos)"]
            codes = range(len(members))
        else:
            lines = [f"{pad}{branch} = data[pos]", f"{pad}pos += 1"]
            codes = range(0, 2 * len(members), 2)
        for index, (member, code) in enumerate(zip(members, codes, strict=True)):
            keyword = "if" if index == 0 else "elif"
            lines.append(f"{pad}{keyword} {branch} == {code}:")
            lines += body(member, depth + 1) or [f"{pad}    pass"]
        lines.append(f"{pad}else:")
        lines.append(f"{pad}    raise IndexError('union branch byte ' + str({branch}))")
        return lines

    def _skip(self, schema: Any, depth: int) -> list[str]:
        """Statements moving ``pos`` past one value of ``schema``."""
        pad = "    " * depth
        schema = self._resolve(schema)
        if isinstance(schema, list):
            return self._union(schema, depth, self._skip)
        kind = schema if isinstance(schema, str) else schema.get("type")
        if kind == "null":
            return []
        if kind == "boolean":
            return [f"{pad}pos += 1"]
        if kind in ("int", "long", "enum"):
            return [f"{pad}pos = _skip_long(data, pos)"]
        if kind == "float":
            return [f"{pad}pos += 4"]
        if kind == "double":
            return [f"{pad}pos += 8"]
        if kind in ("bytes", "string"):
            return [
                f"{pad}size, pos = _long(data, pos)",
                f"{pad}if size < 0:",
                f"{pad}    raise ValueError('negative length ' + str(size))",
                f"{pad}pos += size",
            ]
        if kind == "fixed":
            return [f"{pad}pos += {int(schema['size'])}"]
        if kind in ("record", "error", "array", "map"):
            return [f"{pad}pos = {self._function(schema, kind, skip=True)}(data, pos)"]
        raise CompileError(f"type {kind!r} is not supported")

    def _function(self, schema: dict, kind: str, skip: bool = False) -> str:
        """The generated function reading (or skipping) a record, array or map."""
        key = f"{'skip' if skip else 'read'}:{schema.get('name') or id(schema)}"
        name = self.functions.get(key)
        if name is not None:
            return name
        name = self._name("_skip" if skip else "_read")
        self.functions[key] = name  # before the body: records may refer to themselves
        if kind in ("record", "error"):
            body = self._record_body(schema, skip)
        else:
            body = self._blocks_body(schema, kind, skip)
        self.sources.append("\n".join([f"def {name}(data, pos):", *body]))
        return name

    def _record_body(self, schema: dict, skip: bool) -> list[str]:
        wanted = self.keep.get(schema.get("name", ""))
        lines: list[str] = []
        values: list[str] = []
        for field in schema["fields"]:
            if skip or (wanted is not None and field["name"] not in wanted):
                lines += self._skip(field["type"], 1)
            else:
                variable = self._name("f")
                lines += self._read(field["type"], variable, 1)
                values.append(f"{field['name']!r}: {variable}")
        if skip:
            return [*lines, "    return pos"]
        return [*lines, f"    return {{{', '.join(values)}}}, pos"]

    def _blocks_body(self, schema: dict, kind: str, skip: bool) -> list[str]:
        """Avro's blocks: a count (negative: then the block's size in bytes) and
        that many items, until a zero count. Where every item takes a byte at least
        (a map's key does), a count larger than the bytes left is corrupt: it raises
        instead of looping (or skipping) for ever; items that may take no bytes are
        bounded by ``MAX_EMPTY_ITEMS`` in all."""
        item = schema["items"] if kind == "array" else schema["values"]
        empty = kind == "array" and _may_be_empty(self._resolve(item), self)
        bound = (
            [
                f"        if count > {MAX_EMPTY_ITEMS} - items:",
                "            raise ValueError(str(count) + ' items that take no bytes')",
                "        items += count",
            ]
            if empty
            else [
                "        if count > len(data) - pos:",
                "            raise _eof(pos + count, len(data))",
            ]
        )
        lines = [] if skip else ["    result = []" if kind == "array" else "    result = {}"]
        if empty:
            lines.append("    items = 0")
        lines += [
            "    count, pos = _long(data, pos)",
            "    while count:",
            "        if count < 0:",
            "            count = -count",
            "            size, pos = _long(data, pos)",
            "            if size < 0 or pos + size > len(data):",
            "                raise _eof(pos + size, len(data))",
        ]
        if skip:  # a block with its size in bytes is jumped over whole
            lines += [
                "            pos += size",
                "            count, pos = _long(data, pos)",
                "            continue",
            ]
        lines += [*bound, "        for _ in range(count):"]
        if skip:
            if kind == "map":
                lines += self._skip("string", 3)
            lines += self._skip(item, 3) or ["            pass"]
            return [*lines, "        count, pos = _long(data, pos)", "    return pos"]
        if kind == "map":
            lines += self._read("string", "key", 3)
        lines += self._read(item, "item", 3)
        store = "result.append(item)" if kind == "array" else "result[key] = item"
        lines.append(f"            {store}")
        return [*lines, "        count, pos = _long(data, pos)", "    return result, pos"]


def _may_be_empty(schema: Any, compiler: _Compiler, seen: frozenset = frozenset()) -> bool:
    """Whether a value of ``schema`` can be encoded in zero bytes (null, fixed of size 0,
    a record of such fields)."""
    if isinstance(schema, list):
        return False  # the branch index is a byte
    kind = schema if isinstance(schema, str) else schema.get("type")
    if kind == "null":
        return True
    if kind == "fixed":
        return int(schema["size"]) == 0
    if kind in ("record", "error"):
        name = schema.get("name", "")
        if name in seen:
            return False
        return all(
            _may_be_empty(compiler._resolve(f["type"]), compiler, seen | {name})
            for f in schema["fields"]
        )
    return False
