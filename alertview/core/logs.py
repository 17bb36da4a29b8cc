"""Where AlertView's log goes, and what it may not hold.

The core and the widgets only log, each module to ``logging.getLogger(__name__)``
(all under ``alertview``; librdkafka's own lines under ``alertview.kafka``). The
entry points decide where it goes, with ``logging_to``: warnings to stderr as
before, everything with ``--debug``, and for the viewer and the long-running
commands a rotating file in the user's log folder, for a bug report. User-facing
errors stay the commands' one line on stderr; the log is in addition.

Every record is redacted on its way out (``RedactingFilter``): URLs lose their
credentials and secret-looking query values (``urls.redact_text``), and every
password handed to a Kafka client (``remember_secrets``) is masked, in the
message and in the traceback.
"""

from __future__ import annotations

import contextlib
import json
import logging
import logging.handlers
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from alertview.core.urls import redact_text, secret_forms

#: Overrides the log folder (the tests point it to a temporary one).
LOG_DIR_ENV = "ALERTVIEW_LOG_DIR"
#: A log file is rotated at this size, and this many older ones are kept.
MAX_BYTES = 2 * 1024 * 1024
BACKUPS = 3
#: What the viewer's log settings tell its stream process (started with "spawn").
_CHILD_ENV = "ALERTVIEW_STREAM_LOG"
FILE_FORMAT = "%(asctime)s %(process)d %(threadName)s %(levelname)s %(name)s: %(message)s"
DEBUG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: ``extra=`` for a record meant for the log file only: the error it describes was
#: already told to the user in one line, and the traceback is for a bug report.
FILE_ONLY = {"file_only": True}
#: librdkafka's lines: a logger of their own, outside ``alertview``'s stderr handler
#: (its warnings repeat what the commands tell in their own words), kept in the file.
KAFKA_LOGGER = "alertview.kafka"

_lock = threading.Lock()
_masked: tuple[str, ...] = ()
_current_file: Path | None = None


def log_dir() -> Path:
    """The user's log folder for AlertView (``ALERTVIEW_LOG_DIR`` overrides it)."""
    override = os.environ.get(LOG_DIR_ENV)
    if override:
        return Path(override)
    from platformdirs import user_log_path

    return user_log_path("AlertView", appauthor=False)


def current_log_file() -> Path | None:
    """The file this process logs to, or None when it keeps none."""
    return _current_file


def remember_secrets(*secrets: str | None) -> None:
    """Mask ``secrets`` (and their encoded forms, ``urls.secret_forms``) in every log
    record from now on. Called where a password enters a client's settings."""
    global _masked
    forms = secret_forms(*secrets)
    if not forms or set(forms) <= set(_masked):
        return
    with _lock:
        _masked = tuple(sorted(set(_masked) | set(forms), key=len, reverse=True))


def redact(text: str) -> str:
    """``text`` fit for a log or a bug report: no credentials in URLs, no known secret."""
    return redact_text(text, _masked)


class RedactingFilter(logging.Filter):
    """Redacts a record's message, arguments and traceback in place (``redact``).

    On the handlers, not the loggers: a handler's filters see every record that
    reaches it, a logger's only those logged on that very logger.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
            record.msg, record.args = redact(message), None  # the arguments may hold one too
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = redact(record.exc_text)
            if record.stack_info:
                record.stack_info = redact(record.stack_info)
        except Exception:  # a record that cannot be formatted: logging reports it on emit
            record.msg, record.args = "(unformattable log record withheld)", None
        return True


class _Stderr(logging.StreamHandler):
    """Writes to ``sys.stderr`` as it is at each record (redirected, or captured)."""

    def __init__(self) -> None:
        super().__init__()
        self.addFilter(lambda record: not getattr(record, "file_only", False))

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def _file_handler(name: str) -> logging.handlers.RotatingFileHandler:
    folder = log_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    handler = logging.handlers.RotatingFileHandler(
        folder / name, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
    )
    handler.setFormatter(logging.Formatter(FILE_FORMAT))
    return handler


@contextlib.contextmanager
def logging_to(
    debug: bool = False, file_name: str | None = None, stderr_format: str = "%(message)s"
) -> Iterator[Path | None]:
    """AlertView's log to stderr (warnings; everything, librdkafka's too, with
    ``debug``) and, given ``file_name``, to that rotating file in ``log_dir()``;
    yields the file's path. Everything is put back as it was on exit, so the
    commands can run one after the other in one process (the tests do)."""
    global _current_file
    app, kafka = logging.getLogger("alertview"), logging.getLogger(KAFKA_LOGGER)
    saved = (app.level, kafka.level, kafka.propagate, os.environ.get(_CHILD_ENV), _current_file)
    stderr = _Stderr()
    stderr.setLevel(logging.DEBUG if debug else logging.WARNING)
    stderr.setFormatter(logging.Formatter(DEBUG_FORMAT if debug else stderr_format))
    handlers: list[tuple[logging.Logger, logging.Handler]] = [(app, stderr)]
    if debug:
        handlers.append((kafka, stderr))
    path = None
    if file_name:
        file = _file_handler(file_name)
        file.setLevel(logging.DEBUG if debug else logging.INFO)
        handlers += [(app, file), (kafka, file)]
        path = Path(file.baseFilename)
    for logger, handler in handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
        logger.addHandler(handler)
    app.setLevel(logging.DEBUG if debug else logging.INFO)
    # librdkafka logs at the level its settings ask (``stream.config``: 7 with debug)
    kafka.setLevel(logging.DEBUG if debug else logging.WARNING)
    kafka.propagate = False
    _current_file = path
    folder = str(path.parent) if path else None
    os.environ[_CHILD_ENV] = json.dumps({"debug": debug, "dir": folder})
    try:
        yield path
    finally:
        for logger, handler in handlers:
            logger.removeHandler(handler)
            handler.close()
        app_level, kafka_level, kafka.propagate, child, _current_file = saved
        app.setLevel(app_level)  # setLevel, not .level: it clears isEnabledFor's cache
        kafka.setLevel(kafka_level)
        if child is None:
            os.environ.pop(_CHILD_ENV, None)
        else:
            os.environ[_CHILD_ENV] = child


def configure_stream_child() -> None:
    """The log of the viewer's stream process: warnings (everything with the viewer's
    ``--debug``) to stderr as ``alertview stream: ...``; and when the viewer keeps a
    log file, the stream's own beside it (two processes must not rotate one file)."""
    try:
        wanted = json.loads(os.environ.get(_CHILD_ENV) or "{}")
    except ValueError:
        wanted = {}
    debug = bool(wanted.get("debug"))
    logging.basicConfig(level=logging.WARNING, format="alertview stream: %(message)s")
    root = logging.getLogger()
    for handler in root.handlers:
        handler.setLevel(logging.DEBUG if debug else logging.WARNING)
        handler.addFilter(RedactingFilter())
        handler.addFilter(lambda record: not getattr(record, "file_only", False))
    kafka = logging.getLogger(KAFKA_LOGGER)
    kafka.propagate = debug
    kafka.setLevel(logging.DEBUG if debug else logging.WARNING)
    logging.getLogger("alertview").setLevel(logging.DEBUG if debug else logging.INFO)
    if wanted.get("dir"):
        global _current_file
        os.environ[LOG_DIR_ENV] = wanted["dir"]
        file = _file_handler("view-stream.log")
        file.setLevel(logging.DEBUG if debug else logging.INFO)
        file.addFilter(RedactingFilter())
        for name in ("alertview", KAFKA_LOGGER):
            logging.getLogger(name).addHandler(file)
        _current_file = Path(file.baseFilename)
