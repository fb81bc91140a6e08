"""A fault-injecting HTTP proxy on loopback, for proving that sync loses and doubles nothing.

Between the reference client and the server it drops requests, delays them (so concurrent
requests overtake each other), sends them twice, cuts them in the middle of the body, loses the
answer after the server acted, or cuts the answer half way. Every decision comes from one seeded
random generator, so a failing run can be replayed. It speaks just enough HTTP/1.1 for one request
per connection (``Connection: close``), which is what the reference client sends.

Only ever point it at a server on this machine: it listens on 127.0.0.1 and forwards to the
upstream host and port it is given (a loopback address in every test and benchmark).
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections import Counter
from dataclasses import dataclass

FAULTS = ("drop", "delay", "duplicate", "cut_request", "lose_response", "cut_response")


@dataclass(frozen=True)
class FaultRates:
    drop: float = 0.05
    delay: float = 0.10
    duplicate: float = 0.05
    cut_request: float = 0.05
    lose_response: float = 0.05
    cut_response: float = 0.05
    max_delay: float = 0.05  # seconds

    def pick(self, rng: random.Random) -> str | None:
        roll, edge = rng.random(), 0.0
        for name in FAULTS:
            edge += getattr(self, name)
            if roll < edge:
                return name
        return None


class FaultProxy:
    def __init__(
        self,
        upstream_port: int,
        *,
        seed: int,
        rates: FaultRates = FaultRates(),
        upstream_host: str = "127.0.0.1",
    ):
        if upstream_host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the fault proxy only forwards to this machine")
        self.upstream = (upstream_host, upstream_port)
        self.rng = random.Random(seed)
        self.rates = rates
        self.counts: Counter[str] = Counter()
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> FaultProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        self._server.close()
        self._loop.close()

    # -- one request -------------------------------------------------------------------------
    async def _read_request(self, reader) -> tuple[bytes, bytes]:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        body = await reader.readexactly(length) if length else b""
        return head, body

    async def _forward(self, data: bytes, *, cut_at: int | None = None) -> bytes:
        reader, writer = await asyncio.open_connection(*self.upstream)
        try:
            writer.write(data if cut_at is None else data[:cut_at])
            await writer.drain()
            if cut_at is not None:
                return b""
            return await reader.read()  # Connection: close, so the answer ends at EOF
        finally:
            writer.close()

    async def _handle(self, reader, writer) -> None:
        try:
            head, body = await self._read_request(reader)
            request = head + body
            fault = self.rates.pick(self.rng)
            self.counts[fault or "none"] += 1
            if fault == "drop":
                return
            if fault == "delay":
                await asyncio.sleep(self.rng.random() * self.rates.max_delay)
            if fault == "cut_request":
                await self._forward(request, cut_at=len(head) + self.rng.randint(0, max(len(body) - 1, 0)))
                return
            if fault == "duplicate":
                await self._forward(request)
            answer = await self._forward(request)
            if fault == "lose_response":
                return
            if fault == "cut_response":
                answer = answer[: self.rng.randint(0, max(len(answer) - 1, 0))]
            writer.write(answer)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
