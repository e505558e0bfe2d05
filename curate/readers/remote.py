"""Files behind a URL: ``https://``, ``s3://``, ``gs://``, ``memory://`` and any protocol fsspec knows.

A remote path names files as a local one does: one file, a glob (``s3://bucket/logs/*.jsonl.gz``)
or a folder (every data file under the prefix). An ``http(s)://`` URL names one file, since
the web has no listing. Nothing is downloaded before reading starts: JSON Lines, JSON and CSV
are read as a stream, Parquet by ranged reads (``RemoteFile.open``).

Credentials come from where each file system looks for them (the AWS and Google environment
and configuration files, the HF token); curate never passes, stores or prints one. A URL is
published (manifest, card, rejects, errors) without its user name, password, query string or
fragment (``public_url``), where a signed URL carries its signature.

A file that cannot be listed, opened or read to its end is a ``RemoteInputError``: one line
naming the public URL and what went wrong (exit code 2); the run stops rather than publishing
an input cut short by the network, and ``--resume`` picks it up again.
"""

from __future__ import annotations

import glob
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

from curate.errors import RemoteInputError
from curate.readers.discovery import without_compression

SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
WEB = frozenset({"http", "https"})
"""Protocols whose URL names one file, and whose files open as a forward stream with ``block_size=0``."""
EXTRAS = {"s3": ("s3fs", "s3"), "s3a": ("s3fs", "s3"), "gs": ("gcsfs", "gcs"), "gcs": ("gcsfs", "gcs")}
"""Protocol -> (the package fsspec needs for it, curate's extra that installs it)."""
URL_IN_TEXT = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)(?:[^/@\s]*@)?([^\s?#'\"]*)(?:[?#][^\s'\"]*)?")


def scheme_of(path: str) -> str | None:
    """The protocol a path names (``s3``, ``https``...), lowercase; None for a local path."""
    match = SCHEME.match(path)
    return match.group(1).lower() if match else None


def is_remote(path: str) -> bool:
    """True for a URL read through fsspec or the Hub; ``file://`` is a local path.

    >>> is_remote("hf://datasets/o/n/x.parquet"), is_remote("data/a.jsonl"), is_remote("file:///tmp/a")
    (True, False, False)
    """
    return scheme_of(path) not in (None, "file")


def local_of(path: str) -> str:
    """A ``file://`` URL as the local path it names; anything else as it is."""
    return path[len("file://") :] if scheme_of(path) == "file" else path


def public_url(url: str) -> str:
    """``url`` as it may be published: no user name, password, query string or fragment.

    >>> public_url("https://user:secret@host.example/data/a.jsonl?X-Amz-Signature=abc#top")
    'https://host.example/data/a.jsonl'
    """
    if not is_remote(url):
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def scrubbed(text: str) -> str:
    """``text`` (an error message) with every URL in it made public, on one line, shortened."""
    line = URL_IN_TEXT.sub(lambda match: match.group(1) + match.group(2), " ".join(text.split()))
    return line if len(line) <= 300 else line[:297] + "..."


def check_protocol(path: str) -> None:
    """Raise ``ValueError`` (a config issue) when no installed package reads ``path``'s protocol."""
    import fsspec

    protocol = scheme_of(path) or "file"
    try:
        fsspec.get_filesystem_class(protocol)
    except ImportError as exc:
        raise ValueError(missing_package(protocol, exc)) from None
    except ValueError:
        raise ValueError(
            f"unknown protocol {protocol}://; curate reads local paths, hf://, http(s)://, s3://, gs://,"
            " memory:// and the other protocols of fsspec"
        ) from None


def missing_package(protocol: str, exc: Exception) -> str:
    package, extra = EXTRAS.get(protocol, (None, None))
    if package:
        return f"reading {protocol}:// needs the {package} package: pip install 'curate[{extra}]'"
    return f"reading {protocol}:// needs a package fsspec names: {scrubbed(str(exc))}"


@dataclass(frozen=True)
class RemoteFile:
    """One remote data file: how it is published, what its store says of it, how to open it.

    ``label`` is the URL as the pipeline names the file (the manifest's ``path``, the rejects'
    ``file``); ``url`` says exactly which bytes were read (for a Hub file, its ``resolve`` URL
    at the commit). ``etag`` is the store's tag of this version of the file (the Hub's blob or
    LFS id, S3's ETag, an HTTP ETag), ``modified`` its time when the store gives one.
    """

    label: str
    url: str
    size: int | None
    opener: Callable[[bool], IO[bytes]] = field(repr=False, compare=False)
    etag: str | None = None
    modified: str | None = None
    sha256: str | None = None

    @property
    def name(self) -> str:
        return PurePosixPath(urlsplit(self.label).path).name

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix

    def open(self, sequential: bool = True) -> IO[bytes]:
        """The file's bytes: a forward stream when ``sequential``, else a seekable file."""
        try:
            handle = self.opener(sequential)
        except Exception as exc:
            raise unreachable(self.label, exc) from None
        return io.BufferedReader(_Guarded(handle, self.label))

    def fingerprint(self) -> dict[str, Any]:
        """The file in the manifest: ``path``, ``bytes``, ``sha256`` (when the store states it),
        ``url``, and ``etag`` / ``modified`` when known."""
        found = {"etag": self.etag, "modified": self.modified}
        return {
            "path": self.label,
            "bytes": self.size,
            "sha256": self.sha256,
            "url": self.url,
            **{key: value for key, value in found.items() if value is not None},
        }


def file_version(file: Mapping[str, Any]) -> str | None:
    """What identifies one version of a fingerprinted file, for a resumed run's key: its SHA-256,
    else its store's ETag, else its size and modification time (or its size alone)."""
    if file.get("sha256"):
        return str(file["sha256"])
    if file.get("etag"):
        return f"etag:{file['etag']}"
    if file.get("modified"):
        return f"modified:{file['modified']},bytes:{file.get('bytes')}"
    return f"bytes:{file['bytes']}" if file.get("url") else None


def list_remote(url: str) -> list[RemoteFile]:
    """The data files ``url`` names, sorted; ``RemoteInputError`` when there are none."""
    protocol = scheme_of(url) or "file"
    public = public_url(url)
    fs, path = _filesystem(url)
    try:
        if protocol in WEB:
            infos = [fs.info(url)]
        elif glob.has_magic(path):
            infos = [info for info in fs.glob(path, detail=True).values() if info.get("type") == "file"]
        elif fs.isdir(path):
            infos = [info for info in fs.find(path, detail=True).values() if _is_data_name(str(info["name"]))]
        else:
            infos = [fs.info(path)]
    except Exception as exc:
        raise unreachable(public, exc) from None
    if not infos:
        raise RemoteInputError(f"{public}: no data file matches")
    made = [_remote_file(fs, protocol, url, info) for info in infos]
    return sorted(made, key=lambda file: file.label)


def _is_data_name(name: str) -> bool:
    from curate.readers.discovery import DATA_SUFFIXES

    return without_compression(PurePosixPath(name).name).endswith(DATA_SUFFIXES)


def _filesystem(url: str) -> tuple[Any, str]:
    import fsspec

    protocol = scheme_of(url) or "file"
    try:
        fs, path = fsspec.core.url_to_fs(url)
    except ImportError as exc:
        raise RemoteInputError(f"{public_url(url)}: {missing_package(protocol, exc)}") from None
    except Exception as exc:
        raise unreachable(public_url(url), exc) from None
    return fs, str(path)


def _remote_file(fs: Any, protocol: str, url: str, info: Mapping[str, Any]) -> RemoteFile:
    name = str(info["name"])
    where = url if protocol in WEB else name
    label = public_url(url) if protocol in WEB else f"{protocol}://{name.lstrip('/')}"
    streams = protocol in WEB

    def opener(sequential: bool) -> IO[bytes]:
        options = {"block_size": 0} if sequential and streams else {}
        handle: IO[bytes] = fs.open(where, "rb", **options)
        return handle

    size = info.get("size")
    return RemoteFile(
        label=label,
        url=label,
        size=int(size) if size is not None else None,
        opener=opener,
        etag=_first(info, ("ETag", "etag", "md5Hash")),
        modified=_first(info, ("LastModified", "Last-Modified", "updated", "mtime", "created")),
    )


def _first(info: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = info.get(key)
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, int | float) and not isinstance(value, bool):  # seconds since the epoch
            return datetime.fromtimestamp(value, UTC).isoformat()
        if value not in (None, ""):
            return str(value).strip('"')
    return None


def unreachable(label: str, exc: Exception, during: str = "") -> RemoteInputError:
    """A ``RemoteInputError`` for ``exc`` met on ``label``: what happened, in one line."""
    kind = type(exc).__name__
    status = getattr(getattr(exc, "response", None), "status_code", None) or getattr(exc, "status", None)
    if isinstance(exc, FileNotFoundError) or status == 404:
        what = "no such file (or the server answered 404)"
    elif isinstance(exc, PermissionError) or status in (401, 403):
        what = (
            "access refused: set the store's credentials in the environment (HF_TOKEN, AWS_PROFILE or"
            " AWS_ACCESS_KEY_ID, GOOGLE_APPLICATION_CREDENTIALS) or accept the dataset's terms"
        )
    elif isinstance(exc, ImportError):
        what = missing_package(scheme_of(label) or "", exc)
    else:
        message = scrubbed(str(exc))
        what = f"{kind}: {message}" if message else kind
        if _offline_like(exc):
            what += " (no network? a Hub input reads the local Hub cache with HF_HUB_OFFLINE=1)"
    return RemoteInputError(f"{label}: {during}{what}")


def _offline_like(exc: Exception) -> bool:
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"ConnectError", "ClientConnectorError", "ConnectionError", "TimeoutException"})


class _Guarded(io.RawIOBase):
    """A remote file's bytes; a failure of the store or the network becomes ``RemoteInputError``."""

    def __init__(self, handle: IO[bytes], label: str) -> None:
        self._handle = handle
        self._label = label
        self._read = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return bool(self._handle.seekable())

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._handle.read(len(buffer))
        except Exception as exc:
            raise unreachable(self._label, exc, f"reading failed after {self._read:,} bytes: ") from None
        size = len(data)
        buffer[:size] = data
        self._read += size
        return size

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        try:
            return int(self._handle.seek(offset, whence))
        except Exception as exc:
            raise unreachable(self._label, exc, "seeking failed: ") from None

    def tell(self) -> int:
        return int(self._handle.tell())

    def close(self) -> None:
        if not self.closed:
            self._handle.close()
        super().close()
