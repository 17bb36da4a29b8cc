"""`alertview inspect` as a user runs it: a real subprocess, real files."""

from __future__ import annotations

import json
import subprocess
import sys

from alertview.core.avro.encode import confluent_frame, rubin_native_record, schemaless_body
from alertview.core.avro.schemas import SchemaCache
from tests.conftest import (
    FINK_LSST_TRANSFER,
    FINK_ZTF_MULTI,
    SHARED,
    ZTF_FILES,
    ZTF_TRANSFER_SCHEMA,
    raw_records,
)

REQUIRED_KEYS = {
    "source", "index", "survey", "schema", "alert_id", "object_id", "ra", "dec", "mjd",
    "time_scale", "band", "mag", "mag_err", "flux", "flux_err", "flux_unit",
    "n_history_detections", "n_upper_limits", "n_forced", "cutouts", "cutout_shapes",
}  # fmt: skip


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "alertview", "inspect", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_json_lines_for_the_whole_shared_folder():
    result = run("--json", SHARED)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 57
    assert all(set(line) >= REQUIRED_KEYS for line in lines)
    surveys = {line["survey"] for line in lines}
    assert surveys == {"ztf", "lsst"}
    rubin = [line for line in lines if line["survey"] == "lsst"]
    assert {line["time_scale"] for line in rubin} == {"tai"}
    assert {line["schema"] for line in rubin} == {"lsst 10.0"}
    assert rubin[0]["alert_id"] == 170094456272322680  # exact 64-bit integer in JSON
    stamps = ("science", "template", "difference")
    assert rubin[0]["cutout_shapes"] == {n: [30, 30] for n in stamps}


def test_json_values_for_one_ztf_alert():
    path = SHARED / "ztf" / "472263571115115000.avro"
    (line,) = [json.loads(x) for x in run("--json", path).stdout.splitlines()]
    raw = raw_records(path)[0]
    assert line["source"] == str(path) and line["index"] == 0
    assert line["schema"] == "ztf 3.3" and line["alert_id"] == raw["candid"]
    assert line["object_id"] == raw["objectId"]
    assert line["mjd"] == raw["candidate"]["jd"] - 2400000.5
    assert line["time_scale"] == "utc" and line["band"] == "r"
    assert line["mag"] == raw["candidate"]["magpsf"]
    assert line["n_upper_limits"] == 11 and line["n_history_detections"] == 0
    assert line["cutouts"] == ["science", "template", "difference"]


def test_multi_record_indices():
    lines = [json.loads(x) for x in run("--json", FINK_ZTF_MULTI).stdout.splitlines()]
    assert [line["index"] for line in lines] == list(range(11))


def test_saved_confluent_message_body(tmp_path):
    cache = SchemaCache()
    raw = raw_records(FINK_LSST_TRANSFER)[3]
    message = confluent_frame(schemaless_body(rubin_native_record(raw), cache.by_id(1000)), 1000)
    saved = tmp_path / "rubin-message.avro"  # often saved with this misleading name
    saved.write_bytes(message)
    (line,) = [json.loads(x) for x in run("--json", saved).stdout.splitlines()]
    assert line["schema"] == "lsst 10.0" and line["alert_id"] == raw["diaSourceId"]
    assert line["framing"] == "confluent"


def test_schemaless_body_with_schema_option(tmp_path):
    schema_file = ZTF_TRANSFER_SCHEMA
    cache = SchemaCache()
    raw = raw_records(SHARED / "fink" / "ztf-transfer" / "part-3-305711.avro")[0]
    body = tmp_path / "body.bin"
    body.write_bytes(schemaless_body(raw, cache.from_file(schema_file)))
    result = run("--json", "--schema", schema_file, body)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["alert_id"] == raw["candid"]


def test_bad_files_give_one_line_each_and_the_rest_still_prints(tmp_path):
    garbage = tmp_path / "garbage.avro"
    garbage.write_bytes(b"\x07not an alert at all")
    truncated = tmp_path / "truncated.avro"
    truncated.write_bytes(ZTF_FILES[0].read_bytes()[:3000])
    result = run(ZTF_FILES[0], garbage, truncated, tmp_path / "missing.avro", ZTF_FILES[1])
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) == 2
    errors = result.stderr.splitlines()
    assert len(errors) == 3
    assert errors[0].startswith(f"alertview: {garbage}: offset 0: not an Avro container")
    assert errors[1].startswith(f"alertview: {truncated}: offset ")
    assert "truncated" in errors[1]
    assert errors[2].startswith(f"alertview: {tmp_path / 'missing.avro'}: cannot read")
    assert "Traceback" not in result.stderr


def test_json_mode_reports_errors_as_json_too(tmp_path):
    garbage = tmp_path / "garbage.avro"
    garbage.write_bytes(b"\x07junk")
    result = run("--json", garbage, ZTF_FILES[0])
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert lines[0]["source"] == str(garbage) and "not an Avro container" in lines[0]["error"]
    assert lines[1]["alert_id"] == 1661382530015060001
    assert result.returncode == 1


def test_text_line_is_readable():
    result = run(SHARED / "ztf" / "472263571115115000.avro")
    assert result.returncode == 0
    line = result.stdout.strip()
    assert "ztf 3.3" in line and "id=472263571115115000" in line and "obj=ZTF17aaajnnn" in line
    assert "UTC" in line and "band=r" in line and "cutouts=sci63x63,tmpl63x63,diff63x63" in line


def test_bad_schema_option_is_one_line():
    result = run("--schema", "/nonexistent/schema.avsc", ZTF_FILES[0])
    assert result.returncode == 1
    assert result.stderr.startswith("alertview: /nonexistent/schema.avsc: cannot load schema")
    assert "Traceback" not in result.stderr


def test_filter_prints_only_the_matching_alerts():
    result = run("--json", "--filter", 'survey == "lsst" and snr > 5', SHARED)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert lines and all(line["survey"] == "lsst" and line["snr"] > 5 for line in lines)
    everything = [json.loads(x) for x in run("--json", SHARED).stdout.splitlines()]
    assert len(lines) == sum(x["survey"] == "lsst" and (x["snr"] or 0) > 5 for x in everything)
    bad = run("--filter", "mag <", SHARED)
    assert bad.returncode == 1 and bad.stderr.startswith("alertview: bad filter: ")
    assert bad.stdout == "" and "Traceback" not in bad.stderr
