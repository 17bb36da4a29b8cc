"""Several processes opening one new session at once (a consumer per group on one topic)
all get it: SQLite refuses the switch to WAL mode to all but one without waiting."""

from __future__ import annotations

import multiprocessing

from alertview.core.session.store import AlertStore


def _open(folder: str, barrier, results) -> None:
    barrier.wait()
    try:
        store = AlertStore(folder)
        store.rows()  # the connection, WAL mode and the schema
        store.close()
        results.put("ok")
    except Exception as exc:  # the test reports it
        results.put(f"{type(exc).__name__}: {exc}")


def test_processes_opening_one_new_session_at_once_all_open_it(tmp_path):
    context = multiprocessing.get_context("spawn")
    for attempt in range(3):
        folder = str(tmp_path / f"session{attempt}")
        barrier, results = context.Barrier(6), context.Queue()
        workers = [
            context.Process(target=_open, args=(folder, barrier, results)) for _ in range(6)
        ]
        for worker in workers:
            worker.start()
        answers = [results.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(30)
        assert answers == ["ok"] * 6, answers
