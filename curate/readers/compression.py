"""Compressed files opened as byte streams that fail loudly where the file is damaged.

Python's ``bz2`` and ``lzma`` files stop quietly at bytes after the last stream that are not
another stream, and zstandard's stream reader ends quietly at the end of a cut file: either
way records would be lost without a word. ``open_binary`` reads ``.gz``, ``.bz2``, ``.xz``
and ``.zst`` through ``_Streams`` instead, which decodes stream after stream (gzip members,
zstd frames) and raises only once the bytes decoded before the damage are used up: a file
cut inside a stream raises ``EOFError``, bytes after the last stream that are not one raise
the decompressor's own error. Zero bytes after a stream are padding, not damage.
"""

from __future__ import annotations

import bz2
import io
import lzma
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Protocol, cast

from curate.errors import CurateError
from curate.readers.remote import RemoteFile

CHUNK = 1 << 20


class _Decompressor(Protocol):
    eof: bool
    unused_data: bytes

    def decompress(self, data: bytes) -> bytes: ...


def open_binary(path: Path | RemoteFile, *, seekable: bool = False) -> IO[bytes]:
    """Open a local or remote file for reading bytes, decompressing by suffix.

    A remote file opens as a forward stream unless ``seekable`` (Parquet, read by ranges).
    """
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return _buffered(path, "gzip", lambda: zlib.decompressobj(wbits=31))
    if suffix in (".zst", ".zstd"):
        import zstandard

        return _buffered(path, "zstd", lambda: zstandard.ZstdDecompressor().decompressobj())
    if suffix == ".bz2":
        return _buffered(path, "bzip2", bz2.BZ2Decompressor)
    if suffix == ".xz":
        return _buffered(path, "xz", lzma.LZMADecompressor)
    return _raw(path, seekable)


def _raw(path: Path | RemoteFile, seekable: bool = False) -> IO[bytes]:
    return path.open(not seekable) if isinstance(path, RemoteFile) else path.open("rb")


class DamagedFileError(OSError):
    """A compressed file whose bytes are not (or stop being) what its suffix says."""


def read_until_damage(handle: IO[bytes]) -> tuple[bytes, Exception | None]:
    """Every byte ``handle`` gives, and the error that stopped it early (``None``: it did not)."""
    parts = []
    read = getattr(handle, "read1", handle.read)  # one read at a time: read() drops its part on error
    try:
        while chunk := read(CHUNK):
            parts.append(chunk)
    except CurateError:  # a remote file the network lost: not damage, the run stops
        raise
    except Exception as exc:  # the caller reports it, with the file's name
        return b"".join(parts), exc
    return b"".join(parts), None


def _buffered(path: Path | RemoteFile, kind: str, new: Callable[[], Any]) -> IO[bytes]:
    return cast(IO[bytes], io.BufferedReader(_Streams(_raw(path), kind, new)))


class _Streams(io.RawIOBase):
    """The decompressed bytes of every stream (frame) of a file, in order; see the module docstring."""

    def __init__(self, source: IO[bytes], kind: str, new: Callable[[], _Decompressor]) -> None:
        self._source = source
        self._kind = kind
        self._new = new
        self._stream = new()
        self._started = False
        self._finished = 0
        self._pending = b""
        self._error: Exception | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            if self._error is not None:
                raise self._error
            chunk = self._source.read(CHUNK)
            if not chunk:
                if self._started and not self._stream.eof:
                    raise EOFError(f"the file ends inside a {self._kind} stream (cut or truncated)")
                return 0
            self._pending = self._decode(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def _decode(self, chunk: bytes) -> bytes:
        """Decode ``chunk``; an error is kept for after the bytes decoded before it."""
        out = []
        while chunk:
            if self._stream.eof:
                self._finished += 1
                chunk = chunk.lstrip(b"\0")
                if not chunk:
                    break
                self._stream = self._new()
            self._started = True
            try:
                out.append(self._stream.decompress(chunk))
            except Exception as exc:  # each library has its own error class
                kind, done = self._kind, self._finished
                where = (
                    f"the bytes after {done} complete {kind} stream(s) are not {kind} data"
                    if done
                    else f"the file is not {kind} data"
                )
                self._error = DamagedFileError(f"{where} ({exc})")
                break
            chunk = self._stream.unused_data if self._stream.eof else b""
        return b"".join(out)

    def close(self) -> None:
        self._source.close()
        super().close()
