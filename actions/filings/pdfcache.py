"""Notice PDFs rendered once, served many times: the public board's PDF door cannot become a CPU sink.

Rendering a notice costs about half a second of CPU (fpdf2 embedding a CJK font subset). A published notice never
changes, so its PDF is written to the data folder (`cache/notices/`) the first time anyone asks and read from
there afterwards — by every worker, after every restart — and the last `memory` of them are kept in memory. A
process renders one PDF at a time and lets at most `max_waiting` requests wait for it; more are refused at once
(`PdfBusy`: HTTP 503 with the usual Chinese message), so a crawler asking for many uncached PDFs costs at most
one core of one worker, and each notice costs it once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
from collections import OrderedDict
from pathlib import Path

from actions.filings.errors import FilingError
from actions.filings.pdf import find_font, render_notice_pdf
from actions.filings.types import NoticeView
from actions.offload import Offload

log = logging.getLogger(__name__)
RENDER_VERSION = "3"  # bump when the PDF layout changes: cached files of the old layout are no longer used


class PdfBusy(FilingError):
    """Too many notice PDFs wait to be rendered in this process."""

    status = 503
    code = "busy"
    default_message = "公告文件正在生成，请稍后再试。"


class NoticePdfs:
    """The PDFs of published notices, cached in memory and on disk, rendered one at a time."""

    def __init__(self, folder: Path | None, offload: Offload, max_waiting: int = 4, memory: int = 256):
        self.folder = folder
        self.offload = offload
        self.max_waiting = max_waiting
        self.memory = memory
        self._kept: OrderedDict[str, bytes] = OrderedDict()
        self._rendering = asyncio.Lock()
        self._waiting = 0
        self.rendered = 0  # PDFs this process rendered (the rest came from a cache)

    def key(self, notice: NoticeView, code: str = "", verify_url: str = "") -> str:
        """What the PDF depends on: the notice, its verification code and address, the font and the layout."""
        parts = [RENDER_VERSION, str(find_font()), code, verify_url, *(str(v) for v in dataclasses.astuple(notice))]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]

    async def get(self, notice: NoticeView, code: str = "", verify_url: str = "") -> bytes:
        """The notice's PDF (with its verification code and the QR code of `verify_url`); PdfBusy when too many
        others wait for the renderer."""
        key = self.key(notice, code, verify_url)
        data = self._remembered(key) or await self.offload(self._read, key)
        if data is None:
            if self._waiting >= self.max_waiting:
                raise PdfBusy(f"{self._waiting} notice PDFs already wait to be rendered")
            self._waiting += 1
            try:
                await self._rendering.acquire()
            finally:
                self._waiting -= 1
            try:
                data = self._remembered(key) or await self.offload(self._read, key)  # done meanwhile?
                if data is None:
                    data = await self.offload(lambda: render_notice_pdf(notice, code=code, verify_url=verify_url))
                    self.rendered += 1
                    await self.offload(self._write, key, data)
            finally:
                self._rendering.release()
        self._remember(key, data)
        return data

    def _remembered(self, key: str) -> bytes | None:
        data = self._kept.get(key)
        if data is not None:
            self._kept.move_to_end(key)
        return data

    def _remember(self, key: str, data: bytes) -> None:
        self._kept[key] = data
        self._kept.move_to_end(key)
        while len(self._kept) > self.memory:
            self._kept.popitem(last=False)

    def _path(self, key: str) -> Path | None:
        return self.folder / f"{key}.pdf" if self.folder is not None else None

    def _read(self, key: str) -> bytes | None:
        path = self._path(key)
        if path is None:
            return None
        try:
            data = path.read_bytes()
        except OSError:
            return None
        return data if data.startswith(b"%PDF") else None

    def _write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        except OSError as exc:  # a read-only data folder: served from memory only
            log.warning("could not keep the notice PDF in %s: %s", path.parent, exc)
