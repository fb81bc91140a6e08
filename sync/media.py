"""Content-addressed media with resumable uploads.

A blob is named by the SHA-256 of its bytes. Its upload is a small state machine:

    missing ──first chunk──▶ partial(offset) ──chunk at offset──▶ partial(offset') ──last chunk──▶
        verify: hash of all bytes == name ──yes──▶ complete
                                          └─no──▶ missing again (corrupt; the client starts over)

A chunk is accepted only at the current offset (ask the offset, send the rest), never past the
declared total, never changing the total. ``MediaStore`` keeps the bytes (local disk here; an
S3-compatible store implements the same three methods).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from sync.records import MAX_MEDIA_BYTES, Problem

SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class UploadState:
    sha256: str
    total: int | None  # None while missing
    offset: int
    complete: bool

    @property
    def state(self) -> str:
        return "complete" if self.complete else ("partial" if self.total is not None else "missing")


class ChunkRefused(Exception):
    def __init__(self, problem: Problem, status: int, state: UploadState):
        super().__init__(problem.message_en)
        self.problem, self.status, self.state = problem, status, state


def check_chunk(state: UploadState, offset: int, total: int, length: int) -> None:
    """Raise ChunkRefused unless this chunk continues the upload exactly where it stands."""
    if not SHA256.match(state.sha256):
        raise ChunkRefused(
            Problem("media_name_invalid", "文件名必须是 SHA-256", "Media are named by SHA-256"), 422, state
        )
    if state.complete:
        return  # already whole: the caller answers "complete" without writing
    if not 0 < total <= MAX_MEDIA_BYTES:
        raise ChunkRefused(
            Problem("media_too_large", "文件过大", f"Media must be 1..{MAX_MEDIA_BYTES} bytes", "total"),
            413,
            state,
        )
    if state.total is not None and total != state.total:
        raise ChunkRefused(
            Problem(
                "total_changed",
                "文件总长度与之前声明的不一致",
                "The declared total differs from before",
                "total",
            ),
            409,
            state,
        )
    if offset != state.offset:
        raise ChunkRefused(
            Problem(
                "offset_mismatch",
                "上传位置不对，请从服务器记录的位置继续",
                "Resume from the server's offset",
                "offset",
            ),
            409,
            state,
        )
    if length == 0:
        raise ChunkRefused(Problem("chunk_empty", "上传内容为空", "The chunk is empty"), 422, state)
    if offset + length > total:
        raise ChunkRefused(
            Problem("chunk_past_end", "上传内容超出文件总长度", "The chunk goes past the declared total"),
            422,
            state,
        )


class LocalDiskStore:
    """Blobs under root/ab/cd/<sha256>; partial uploads under root/partial/<sha256>.

    Writes are fsynced before the offset is acknowledged, and a finished blob is moved into place
    with an atomic rename, so a crash at any point leaves either the old state or the new one.
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        (self.root / "partial").mkdir(parents=True, exist_ok=True)

    def _final(self, sha: str) -> Path:
        return self.root / sha[:2] / sha[2:4] / sha

    def _partial(self, sha: str) -> Path:
        return self.root / "partial" / sha

    def exists(self, sha: str) -> bool:
        return self._final(sha).exists()

    def append(self, sha: str, offset: int, data: bytes) -> int:
        path = self._partial(sha)
        with open(path, "r+b" if path.exists() else "w+b") as handle:
            handle.truncate(offset)  # drop bytes a crash wrote after the last acknowledged offset
            handle.seek(offset)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        return offset + len(data)

    def finish(self, sha: str) -> bool:
        """Verify the partial file against its name; move it into place when it matches."""
        path = self._partial(sha)
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != sha:
            path.unlink()
            return False
        final = self._final(sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, final)
        return True

    def discard(self, sha: str) -> None:
        self._partial(sha).unlink(missing_ok=True)

    def open(self, sha: str):
        return open(self._final(sha), "rb")
