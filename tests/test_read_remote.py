"""Inputs behind URLs: fsspec's ``memory://``, ``http://`` from a loopback server, and what fails.

Remote files are streamed (the first records arrive while the server still holds the rest),
Parquet is read by byte ranges, the manifest and the card name each file by its public URL
(never a query string or a password), the run's key knows each file's version, and a file
that cannot be reached is one line naming its URL with exit code 2.
"""

from __future__ import annotations

import gzip
import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fsspec
import polars as pl
import pytest
from click.testing import CliRunner

import curate
from curate.cli import cli
from curate.config import InputConfig
from curate.errors import ConfigError, RemoteInputError
from curate.readers.files import iter_raw_records
from curate.readers.load import InputStream
from curate.readers.remote import RemoteFile, public_url, scrubbed
from curate.writers.target import protected_folders
from tests.file_server import FileServer
from tests.reader_helpers import jsonl_bytes as jsonl
from tests.reader_helpers import parquet_bytes as parquet

RECORDS = [
    {"prompt": f"Question {n}?", "chosen": f"A careful answer {n}.", "rejected": "No."} for n in range(6)
]
SECRET = "sig-4f1c9e-must-not-be-written"


def pipeline(folder: Path, path: str, extra: str = "") -> Path:
    file = folder / "pipeline.yaml"
    file.write_text(
        f"""\
name: remote
inputs:
  - name: prefs
    path: "{path}"
    format: preference
    license: MIT
{extra}stages:
  - normalize: {{}}
  - pairs: {{strategies: [given]}}
output:
  dir: out
""",
        encoding="utf-8",
    )
    return file


def manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "out" / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture
def memory() -> Iterator[tuple[Any, str]]:
    """fsspec's in-memory file system and a folder of its own, removed afterwards."""
    fs = fsspec.filesystem("memory")
    root = f"/curate-{uuid.uuid4().hex[:8]}"
    yield fs, root
    if fs.exists(root):
        fs.rm(root, recursive=True)


# memory:// ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "files"),
    [
        ("{root}/a.jsonl", ["a.jsonl"]),
        ("{root}/*.jsonl", ["a.jsonl", "b.jsonl"]),
        ("{root}/", ["a.jsonl", "b.jsonl", "sub/c.jsonl.gz"]),
        ("{root}/**/*.gz", ["sub/c.jsonl.gz"]),
    ],
)
def test_memory_paths_name_files_as_local_paths_do(
    memory: tuple[Any, str], pattern: str, files: list[str]
) -> None:
    fs, root = memory
    fs.pipe(f"{root}/a.jsonl", jsonl(RECORDS[:2]))
    fs.pipe(f"{root}/b.jsonl", jsonl(RECORDS[2:4]))
    fs.pipe(f"{root}/sub/c.jsonl.gz", gzip.compress(jsonl(RECORDS[4:])))
    fs.pipe(f"{root}/notes.txt", b"not data")
    read = curate.read("memory://" + pattern.format(root=root.lstrip("/")), "preference", license="MIT")
    assert [file["path"] for file in read.files] == [f"memory://{root.lstrip('/')}/{name}" for name in files]
    assert read.records == sum({"a.jsonl": 2, "b.jsonl": 2, "sub/c.jsonl.gz": 2}[name] for name in files)
    assert all(file["url"] == file["path"] and file["sha256"] is None for file in read.files)


def test_a_run_on_memory_records_each_file_by_url_size_and_version(
    tmp_path: Path, memory: tuple[Any, str]
) -> None:
    fs, root = memory
    fs.pipe(f"{root}/prefs.jsonl", jsonl(RECORDS))
    url = f"memory://{root.lstrip('/')}/prefs.jsonl"
    result = curate.run(pipeline(tmp_path, url))
    assert result.output.height == len(RECORDS)
    (record,) = manifest(tmp_path)["inputs"]
    (file,) = record["files"]
    assert file["path"] == file["url"] == url
    assert file["bytes"] == len(jsonl(RECORDS)) and file["sha256"] is None and file["modified"]
    card = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    assert url in card and "hub" not in record


# http:// --------------------------------------------------------------------------------


def test_https_input_is_streamed_records_arrive_before_the_download_ends(tmp_path: Path) -> None:
    many = [dict(record, n=n) for n in range(400) for record in RECORDS[:1]]
    with FileServer({"/logs.jsonl": jsonl(many)}) as server:
        server.hold("/logs.jsonl")
        spec = InputConfig(name="logs", path=f"{server.url}/logs.jsonl", format="preference", license="MIT")
        shards = InputStream(spec, tmp_path).shards(shard_rows=2)
        first = next(shards)  # the server still holds the second half of the file
        server.release()
        rest = list(shards)
    assert first.frame.height >= 2 and not server.held_out
    assert first.records + sum(shard.records for shard in rest) == len(many)
    gets = [seen for seen in server.requests if seen.method == "GET"]
    assert len(gets) == 1 and gets[0].range is None  # one forward stream, no ranged re-reads


def test_parquet_over_https_is_read_by_byte_ranges(tmp_path: Path) -> None:
    with FileServer({"/prefs.parquet": parquet(RECORDS)}) as server:
        read = curate.read(f"{server.url}/prefs.parquet", "preference", license="MIT")
    assert read.records == len(RECORDS)
    assert any(seen.range for seen in server.requests if seen.method == "GET")
    (file,) = read.files
    assert file["etag"] and file["bytes"] == len(parquet(RECORDS))


def test_a_signed_url_is_used_to_read_but_published_without_its_query(tmp_path: Path) -> None:
    bad = jsonl([*RECORDS, {"prompt": "x"}])  # one record is a read reject, named by its file
    with FileServer({"/prefs.jsonl": bad}) as server:
        url = f"{server.url}/prefs.jsonl?X-Amz-Signature={SECRET}"
        log = tmp_path / "run.log"
        outcome = CliRunner().invoke(
            cli, ["run", str(pipeline(tmp_path, url)), "-q", "--log-file", str(log)], catch_exceptions=False
        )
        assert outcome.exit_code == 0, outcome.output
    assert any(SECRET in seen.path for seen in server.requests)
    written = [path for path in tmp_path.rglob("*") if path.is_file() and path.name != "pipeline.yaml"]
    assert written and not [path for path in written if SECRET.encode() in path.read_bytes()]
    rejects = pl.read_parquet(tmp_path / "out" / "rejects" / "read.parquet")
    assert rejects["file"].to_list() == [f"{server.url}/prefs.jsonl"]
    assert manifest(tmp_path)["config"]["inputs"][0]["path"] == f"{server.url}/prefs.jsonl"


@pytest.mark.parametrize(
    ("files", "path", "expected"),
    [
        ({}, "/missing.jsonl", "/missing.jsonl: no such file (or the server answered 404)"),
        ({"/a.jsonl": b""}, "/missing.jsonl?token=" + SECRET, "/missing.jsonl: no such file"),
    ],
)
def test_a_missing_remote_file_is_one_line_naming_its_url(
    tmp_path: Path, files: dict[str, bytes], path: str, expected: str
) -> None:
    with FileServer(files) as server:
        outcome = CliRunner().invoke(cli, ["run", str(pipeline(tmp_path, server.url + path)), "-q"])
    assert outcome.exit_code == 2
    assert "Traceback" not in outcome.output and SECRET not in outcome.output
    (line,) = outcome.output.strip().splitlines()
    assert line.startswith("error: ") and f"{server.url}{expected}" in line
    assert not (tmp_path / "out").exists()


def test_no_network_is_one_line_naming_the_url(tmp_path: Path) -> None:
    with FileServer({}) as server:
        url = f"{server.url}/prefs.jsonl"
    outcome = CliRunner().invoke(cli, ["run", str(pipeline(tmp_path, url)), "-q"])  # the port is closed
    assert outcome.exit_code == 2 and "Traceback" not in outcome.output
    (line,) = outcome.output.strip().splitlines()
    assert url in line


def test_a_connection_lost_mid_file_stops_the_run_instead_of_cutting_the_input(tmp_path: Path) -> None:
    class Dropping(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            raise ConnectionResetError("connection reset by peer")

    url = "https://example.invalid/a.jsonl"
    broken = RemoteFile(url, url, 10, lambda _: Dropping())
    with pytest.raises(
        RemoteInputError, match=rf"^{url}: reading failed after 0 bytes: ConnectionResetError"
    ):
        list(iter_raw_records(broken, broken.label, 1000))


# What is published, checked, and refused ------------------------------------------------


@pytest.mark.parametrize(
    ("url", "public"),
    [
        ("https://user:pw@host.example/a.jsonl?sig=1#x", "https://host.example/a.jsonl"),
        ("s3://bucket/logs/a.jsonl", "s3://bucket/logs/a.jsonl"),
        ("hf://datasets/o/n@main/data/*.parquet", "hf://datasets/o/n@main/data/*.parquet"),
        ("data/a.jsonl", "data/a.jsonl"),
    ],
)
def test_public_url_drops_credentials_and_queries(url: str, public: str) -> None:
    assert public_url(url) == public


def test_error_text_is_scrubbed_of_queries_and_passwords() -> None:
    text = "GET https://u:pw@h.example/a.jsonl?sig=SECRET failed\nsecond line"
    assert scrubbed(text) == "GET https://h.example/a.jsonl failed second line"


def test_a_protocol_without_its_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(protocol: str) -> None:
        raise ImportError("Install s3fs to access S3")

    monkeypatch.setattr(fsspec, "get_filesystem_class", missing)
    with pytest.raises(ConfigError) as caught:
        curate.read("s3://bucket/logs/*.jsonl", "preference")
    assert str(caught.value) == "read(): path: reading s3:// needs the s3fs package: pip install 'curate[s3]'"


def test_an_unknown_protocol_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"path: unknown protocol nosuch://"):
        curate.read("nosuch://bucket/a.jsonl", "preference")


def test_remote_inputs_guard_no_local_folder(tmp_path: Path) -> None:
    local = tmp_path / "data"
    local.mkdir()
    inputs = [
        ("hub", "hf://datasets/o/n/data/*.parquet", tmp_path),
        ("web", "https://host.example/a.jsonl", tmp_path),
        ("bucket", "s3://bucket/", tmp_path),
        ("local", f"file://{local}", tmp_path),
    ]
    guarded = protected_folders(None, inputs, [])
    assert [(item.folder, item.what) for item in guarded] == [(local, "input 'local'")]


def test_resume_knows_when_a_remote_file_changed(tmp_path: Path, memory: tuple[Any, str]) -> None:
    fs, root = memory
    fs.pipe(f"{root}/prefs.jsonl", jsonl(RECORDS))
    url = f"memory://{root.lstrip('/')}/prefs.jsonl"
    work = tmp_path / "work"
    curate.run(pipeline(tmp_path, url), keep_work=True, work_dir=work)
    fs.pipe(f"{root}/prefs.jsonl", jsonl(RECORDS[:3]))  # a new version: other size and time
    with pytest.raises(curate.CurateError, match="the files of input 'prefs' changed"):
        curate.run(pipeline(tmp_path, url), resume=True, work_dir=work)
