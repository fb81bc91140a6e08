"""Content-addressed media with resumable uploads.

A blob is named by the SHA-256 of its bytes. Its upload is a small state machine:

    missing ──first chunk──▶ partial(offset) ──chunk at offset──▶ partial(offset') ──last chunk──▶
        verify: hash of all bytes == name ──yes──▶ complete
                                          └─no──▶ missing again (corrupt; the client starts over)

A chunk is accepted only at the current offset (ask the offset, send the rest), never past the
declared total, never changing the total. The server stages chunks where the offset is kept (its
database, so any app server can continue an upload and the offset never runs ahead of the bytes);
``assemble`` joins and verifies them, and a ``BlobStore`` keeps the whole blob: ``LocalDiskStore``
by default, ``S3Store`` for an S3-compatible object store.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

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


def assemble(chunks, sha: str, spool_limit: int = 8 * 1024 * 1024):
    """Join chunks into a spooled file while hashing them: (file at position 0, True) when the bytes
    match their name, else (None, False). Memory stays under ``spool_limit`` whatever the size."""
    spooled = tempfile.SpooledTemporaryFile(max_size=spool_limit)  # noqa: SIM115 - handed to the caller
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
        spooled.write(chunk)
    if digest.hexdigest() != sha:
        spooled.close()
        return None, False
    spooled.seek(0)
    return spooled, True


class BlobStore(Protocol):
    """Where whole, verified blobs live. Uploads in progress are staged by the server, not here."""

    def exists(self, sha: str) -> bool: ...

    def put(self, sha: str, fileobj: BinaryIO) -> None: ...

    def open(self, sha: str) -> BinaryIO: ...


class LocalDiskStore:
    """Blobs under root/ab/cd/<sha256>, written to a temporary name, fsynced, then renamed into
    place: a crash leaves either no blob or the whole blob, never half of one."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)

    def _final(self, sha: str) -> Path:
        return self.root / sha[:2] / sha[2:4] / sha

    def exists(self, sha: str) -> bool:
        return self._final(sha).exists()

    def put(self, sha: str, fileobj: BinaryIO) -> None:
        temporary = self.root / "tmp" / f"{sha}.{uuid.uuid4().hex}"
        with open(temporary, "wb") as handle:
            shutil.copyfileobj(fileobj, handle, 1 << 20)
            handle.flush()
            os.fsync(handle.fileno())
        final = self._final(sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary, final)

    def open(self, sha: str) -> BinaryIO:
        return open(self._final(sha), "rb")


class S3Store:
    """An S3-compatible bucket (AWS S3, MinIO, Ceph RGW, ...) through boto3."""

    def __init__(self, bucket: str, *, prefix: str = "media/", client=None, **client_options):
        import boto3

        self.bucket, self.prefix = bucket, prefix
        self.client = client or boto3.client("s3", **client_options)

    def _key(self, sha: str) -> str:
        return f"{self.prefix}{sha[:2]}/{sha}"

    def exists(self, sha: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(sha))
            return True
        except ClientError as error:
            if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def put(self, sha: str, fileobj: BinaryIO) -> None:
        # ChecksumSHA256 would be ideal, but not every S3-compatible store implements it; the bytes
        # were verified against their name before this call.
        self.client.upload_fileobj(fileobj, self.bucket, self._key(sha))

    def open(self, sha: str) -> BinaryIO:
        return self.client.get_object(Bucket=self.bucket, Key=self._key(sha))["Body"]
