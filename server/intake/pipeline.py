"""Reading and checking an intake file in a second process while this one writes to the database.

A large file is read (server.intake.parsing) and its rows checked (server.intake.validators) in a
child process, a chunk at a time; this process takes the checked chunks from a pipe and does what
needs the database. The two overlap on two cores, and memory stays flat: the child
blocks on the pipe when it runs ahead (a chunk or two at most). Checking needs neither the database
nor the app, so the child is a fresh interpreter (never a fork: the app has threads and open
connections) and gets only the path and two settings.

Small files, where starting a process costs more than it saves, are read and checked here, in the
order and with the results of the child: ``open_rows`` hides which of the two runs.

Either way the caller iterates chunks of ``(row_number, item)`` where item is the raw cells (checked
later by the caller) or an already checked ``Checked``; ``Run.process`` takes both.
"""

from __future__ import annotations

import gc
import json
import os
import pickle
import subprocess
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path

from server.intake.parsing import FileError, Layout, open_file
from server.intake.validators import Checked, check_row

PARALLEL_MIN_BYTES = 4 * 1024 * 1024  # about 10,000 rows of CSV: below this, one process
_ROOT = Path(__file__).resolve().parents[2]  # where ``python -m server.intake.pipeline`` runs


class _InProcess:
    """The file read here; chunks of raw cells, checked by the caller."""

    def __init__(self, path: Path, *, need_institution: bool, chunk: int):
        self._reader = open_file(path, need_institution=need_institution)
        self._chunk = chunk
        self.format = self._reader.format
        self.encoding = self._reader.encoding
        self.layout: Layout = self._reader.layout
        self.total_rows = self._reader.total_rows

    @property
    def progress(self) -> float:
        return self._reader.progress

    def __iter__(self):
        chunk: list = []
        for item in self._reader:
            chunk.append(item)
            if len(chunk) >= self._chunk:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def close(self) -> None:
        self._reader.close()


def _child(path: str, need_institution: bool, default_institution_code, chunk_size: int, out) -> None:
    """The child process: read, check, and send chunks of checked rows; then "done" or the error."""

    def send(*message) -> None:
        pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()

    try:
        with open_file(path, need_institution=need_institution) as reader:
            send("meta", (reader.format, reader.encoding, reader.layout, reader.total_rows))
            keys_seen: dict[tuple, tuple] = {}
            chunk: list = []
            for number, raw in reader:
                c = check_row(raw, default_institution_code=default_institution_code)
                keys = tuple(c.record)
                keys = keys_seen.setdefault(keys, keys)  # one object: pickled once per chunk
                # Tuples pickle and unpickle several times faster than dicts.
                chunk.append((number, keys, tuple(c.record.values()), c.errors, c.notes))
                if len(chunk) >= chunk_size:
                    send("chunk", chunk, reader.progress)
                    chunk = []
            if chunk:
                send("chunk", chunk, reader.progress)
        send("done", None)
    except FileError as err:
        send("file_error", (err.code, err.message, err.message_en, err.details))
    except BrokenPipeError:
        pass  # the parent stopped reading: nothing more is wanted
    except BaseException:  # everything else goes back to the parent, which reports it
        send("error", traceback.format_exc()[-2000:])


@contextmanager
def _no_cycle_collection():
    """Tens of thousands of new objects and no cycles among them: left on, the cyclic collector
    walks the whole app's heap several times per chunk for nothing (it doubles the cost here)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class ChildFailed(RuntimeError):
    """The checking process broke off (its traceback is the message) or died."""


class _InChild:
    """The file read and checked in a child process; chunks of ``(row_number, Checked)``.

    The child is ``python -m server.intake.pipeline`` (a fresh interpreter: nothing of this
    process's threads, connections or main module goes with it) and sends pickled messages on its
    standard output. The pipe is the bound on memory: a child that runs ahead blocks on a full pipe.
    """

    def __init__(self, path: Path, *, need_institution: bool, default_institution_code, chunk: int):
        settings = json.dumps(
            {
                "path": str(Path(path).resolve()),
                "need_institution": need_institution,
                "default_institution_code": default_institution_code,
                "chunk": chunk,
            }
        )
        # Our own interpreter and module, the settings as one JSON argument: no shell, nothing typed.
        self._process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "server.intake.pipeline", settings],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            cwd=_ROOT,
        )
        self._pipe = self._process.stdout
        self.progress = 0.0
        self._done = False
        try:
            kind, payload = self._get()
            if kind != "meta":
                self._raise(kind, payload)
        except BaseException:
            self.close()
            raise
        self.format, self.encoding, self.layout, self.total_rows = payload

    def _get(self):
        try:
            with _no_cycle_collection():
                return pickle.load(self._pipe)  # noqa: S301 - our own child, over a pipe only we hold
        except EOFError:
            code = self._process.wait(timeout=30)
            raise ChildFailed(f"the checking process ended early with exit code {code}") from None

    @staticmethod
    def _raise(kind, payload):
        if kind == "file_error":
            raise FileError(*payload)
        raise ChildFailed(payload)

    def __iter__(self):
        while not self._done:
            kind, *payload = self._get()
            if kind == "done":
                self._done = True
                self.progress = 1.0
                return
            if kind != "chunk":
                self._done = True
                self._raise(kind, payload[0])
            rows, self.progress = payload
            yield self._checked(rows)

    @staticmethod
    def _checked(rows) -> list:
        with _no_cycle_collection():
            return [
                (number, Checked(dict(zip(keys, values, strict=True)), errors, notes))
                for number, keys, values, errors, notes in rows
            ]

    def close(self) -> None:
        if self._process.poll() is None and not self._done:
            self._process.terminate()  # the writer stopped early (an exception): nothing more is wanted
        self._pipe.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


class open_rows:  # a context manager, named like open()
    """``with open_rows(path, ...) as reader: for chunk in reader: ...``; ``reader.progress``,
    ``reader.format``, ``reader.encoding``, ``reader.layout``, ``reader.total_rows`` as parsing's
    readers have them. Raises FileError for a file that cannot be read as a whole."""

    def __init__(
        self,
        path: str | Path,
        *,
        need_institution: bool,
        default_institution_code: str | None,
        chunk: int,
        parallel: bool | None = None,
    ):
        path = Path(path)
        if parallel is None:
            parallel = path.stat().st_size >= PARALLEL_MIN_BYTES
        if parallel:
            self._reader = _InChild(
                path,
                need_institution=need_institution,
                default_institution_code=default_institution_code,
                chunk=chunk,
            )
        else:
            self._reader = _InProcess(path, need_institution=need_institution, chunk=chunk)
        self.parallel = parallel

    def __enter__(self):
        return self._reader

    def __exit__(self, *exc):
        self._reader.close()


def main(argv: list[str]) -> None:
    settings = json.loads(argv[0])
    out = os.fdopen(os.dup(1), "wb")  # the messages' own channel
    os.dup2(2, 1)  # anything printed by accident goes to stderr, not into the messages
    _child(
        settings["path"],
        settings["need_institution"],
        settings["default_institution_code"],
        settings["chunk"],
        out,
    )
    out.close()


if __name__ == "__main__":
    main(sys.argv[1:])
