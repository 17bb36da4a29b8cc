"""Files, .gz files, folders and tar archives are read from their bytes."""

from __future__ import annotations

import gzip
import io
import shutil
import tarfile

from alertview.core.decode import read_alerts
from alertview.core.errors import DecodeError
from alertview.core.sources import iter_blobs
from tests.conftest import FINK_ZTF_MULTI, ZTF_FILES


def ids(items):
    return [i.alert_id for i in items if not isinstance(i, DecodeError)]


def make_tar(path, files, mode="w:gz"):
    with tarfile.open(path, mode) as archive:
        for file in files:
            archive.add(file, arcname=f"ztf_public_20180426/{file.name}")


def test_avro_gz_file(cache, tmp_path):
    target = tmp_path / "alert.avro.gz"
    target.write_bytes(gzip.compress(FINK_ZTF_MULTI.read_bytes()))
    assert ids(read_alerts([target], cache)) == ids(read_alerts([FINK_ZTF_MULTI], cache))


def test_extension_is_ignored(cache, tmp_path):
    target = tmp_path / "alert.txt"
    shutil.copy(ZTF_FILES[0], target)
    assert len(ids(read_alerts([target], cache))) == 1


def test_tar_gz_archive_streams_members(cache, tmp_path):
    archive = tmp_path / "ztf_public_20180426.tar.gz"
    make_tar(archive, ZTF_FILES)
    items = list(read_alerts([archive], cache))
    assert ids(items) == ids(read_alerts(ZTF_FILES, cache))
    assert items[0].origin.source == f"{archive}!ztf_public_20180426/{ZTF_FILES[0].name}"


def test_plain_tar_and_tgz_name(cache, tmp_path):
    plain = tmp_path / "night.tar"
    make_tar(plain, ZTF_FILES[:2], mode="w")
    tgz = tmp_path / "night.tgz"
    make_tar(tgz, ZTF_FILES[:2])
    assert len(ids(read_alerts([plain, tgz], cache))) == 4


def test_truncated_archive_keeps_the_alerts_before_the_cut(cache, tmp_path):
    archive = tmp_path / "cut.tar"
    make_tar(archive, ZTF_FILES, mode="w")
    data = archive.read_bytes()
    # cut inside the fifth member: the first four are read, then one error
    buffer = io.BytesIO(data)
    with tarfile.open(fileobj=buffer) as reader:
        fifth = reader.getmembers()[4]
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(gzip.compress(data[: fifth.offset_data + 100]))
    items = list(read_alerts([cut], cache))
    assert len(ids(items)) == 4
    assert isinstance(items[-1], DecodeError) and "archive unreadable" in str(items[-1])


def test_folder_recursion_is_sorted_and_skips_hidden(cache, tmp_path):
    (tmp_path / "b" / "c").mkdir(parents=True)
    shutil.copy(ZTF_FILES[0], tmp_path / "b" / "c" / "one.avro")
    shutil.copy(ZTF_FILES[1], tmp_path / "a.avro")
    shutil.copy(ZTF_FILES[2], tmp_path / ".hidden.avro")
    (tmp_path / "schema.json").write_text('{"type": "record"}')
    (tmp_path / "README.md").write_text("# Alerts of the night\n\nÉté 2018, ZTF.\n")
    blobs = list(iter_blobs([tmp_path]))
    assert [b.source for b in blobs] == [str(tmp_path / "a.avro"), str(tmp_path / "b/c/one.avro")]


def test_missing_path_and_explicit_json(cache, tmp_path):
    schema = tmp_path / "schema.json"
    schema.write_text('{"type": "record", "name": "x", "fields": []}')
    items = list(read_alerts([tmp_path / "nope.avro", schema, ZTF_FILES[0]], cache))
    assert "No such file" in str(items[0])
    assert "not an alert packet" in str(items[1])
    assert len(ids(items)) == 1
