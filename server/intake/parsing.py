"""Reading intake files row by row, never whole: CSV (UTF-8 with or without BOM, GBK, GB18030) and
XLSX.

CSV goes through the csv module over a byte-counting reader, so progress is the share of bytes read.
XLSX goes through openpyxl's read-only iterator, which streams the sheet's XML; python-calamine is
several times faster but builds the whole sheet in memory, so it reads only small workbooks.

A reader yields ``(row_number, cells)`` where row_number is the row as a spreadsheet shows it (the
header row counts) and cells maps column keys (server.intake.columns) to raw values.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from server.intake.columns import BY_KEY, REQUIRED, column_for

# calamine holds a whole sheet in memory: only for workbooks up to this size (compressed bytes).
CALAMINE_MAX_BYTES = 8 * 1024 * 1024
HEADER_SCAN_ROWS = 20
ENCODINGS = ("utf-8-sig", "gb18030")  # GB18030 is a superset of GBK and GB2312
csv.field_size_limit(1024 * 1024)


class FileError(Exception):
    """The file as a whole cannot be read (encoding, format, header): nothing of it is imported."""

    def __init__(self, code: str, message: str, message_en: str, details: dict | None = None):
        super().__init__(message_en)
        self.code = code
        self.message = message
        self.message_en = message_en
        self.details = details or {}


def detect_encoding(path: Path, block: int = 1 << 20) -> str:
    """utf-8-sig when every byte of the file decodes as UTF-8, else gb18030 when that decodes it.

    The whole file is decoded in blocks (a stray GBK byte may sit on the last row), which costs
    well under a second for a file of a million rows and keeps nothing in memory.
    """
    for encoding in ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as fh:
                while chunk := fh.read(block):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise FileError(
        "encoding_unknown",
        "无法识别文件编码：请保存为 UTF-8 或 GBK 编码的 CSV，或 XLSX",
        "Cannot read the file's encoding: save it as UTF-8 or GBK CSV, or as XLSX",
    )


class _CountingReader(io.RawIOBase):
    """A binary file that counts the bytes read, for progress."""

    def __init__(self, fh):
        self._fh = fh
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._fh.readinto(buffer)
        self.count += n or 0
        return n


@dataclass
class Layout:
    """What the header row said: which column index holds which field."""

    header_row: int  # 1-based
    columns: dict[int, str]  # column index -> column key
    unknown: list[str] = field(default_factory=list)  # headers we ignore (reported to the user)


def find_layout(rows: list[tuple[int, list]], *, need_institution: bool) -> Layout:
    """The header among the first rows: the first row naming the policy number and two more columns.

    Exports often start with a title row ("2026年3月回访清单"); those are skipped.
    """
    for number, cells in rows:
        columns: dict[int, str] = {}
        unknown: list[str] = []
        duplicates: list[str] = []
        for index, cell in enumerate(cells):
            if cell is None or str(cell).strip() == "":
                continue
            key = column_for(cell)
            if key is None:
                unknown.append(str(cell).strip())
            elif key in columns.values():
                duplicates.append(str(cell).strip())
            else:
                columns[index] = key
        if "policy_number" in columns.values() and len(columns) >= 3:
            if duplicates:
                raise FileError(
                    "header_duplicate",
                    f"表头中有重复的列：{'、'.join(duplicates)}",
                    f"The header names a column twice: {', '.join(duplicates)}",
                    {"columns": duplicates},
                )
            have = set(columns.values())
            required = set(REQUIRED) | ({"institution_code"} if need_institution else set())
            missing = [key for key in BY_KEY if key in required and key not in have]
            if missing:
                raise FileError(
                    "header_missing_columns",
                    f"缺少必需的列：{'、'.join(BY_KEY[k].zh for k in missing)}",
                    f"Required columns are missing: {', '.join(missing)}",
                    {"missing": missing},
                )
            return Layout(number, columns, unknown)
    raise FileError(
        "header_not_found",
        f"前 {HEADER_SCAN_ROWS} 行中没有找到表头（至少需要“保单号”等列）",
        f"No header row in the first {HEADER_SCAN_ROWS} rows (a 保单号 / policy_number column is needed)",
    )


class Reader(ABC):
    """Iterate ``(row_number, cells)`` over the data rows; ``progress`` is 0.0–1.0."""

    format = ""
    encoding: str | None = None
    layout: Layout
    total_rows: int | None = None  # known up front for XLSX only

    @abstractmethod
    def __iter__(self) -> Iterator[tuple[int, dict]]: ...

    @property
    @abstractmethod
    def progress(self) -> float: ...

    def close(self) -> None:  # noqa: B027 - nothing to release unless a reader holds a file
        """Release what the reader holds (a file handle, a workbook); the default holds nothing."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _cells(layout: Layout, values) -> dict | None:
    out = {}
    size = len(values)
    for index, key in layout.columns.items():
        if index < size:
            value = values[index]
            if value is not None and value != "":
                out[key] = value
    return out


class CsvReader(Reader):
    format = "csv"

    def __init__(self, path: Path, *, need_institution: bool = False):
        self.encoding = detect_encoding(path)
        self._size = os.path.getsize(path) or 1
        self._raw = _CountingReader(open(path, "rb"))  # noqa: SIM115 - closed in close()
        buffered = io.BufferedReader(self._raw, 1 << 16)
        self._text = io.TextIOWrapper(buffered, encoding=self.encoding, newline="")
        first = self._text.readline()
        dialect = "excel-tab" if first.count("\t") > first.count(",") else "excel"
        self._rows = csv.reader(_chain(first, self._text), dialect)
        head: list[tuple[int, list]] = []
        for number, values in enumerate(self._rows, start=1):
            head.append((number, values))
            if len(head) >= HEADER_SCAN_ROWS:
                break
        self.layout = find_layout(head, need_institution=need_institution)
        self._pending = [(n, v) for n, v in head if n > self.layout.header_row]
        self._next_number = len(head) + 1

    def __iter__(self):
        layout = self.layout
        for number, values in self._pending:
            cells = _cells(layout, values)
            if cells:
                yield number, cells
        self._pending = []
        number = self._next_number
        for values in self._rows:
            cells = _cells(layout, values)
            if cells:
                yield number, cells
            number += 1

    @property
    def progress(self) -> float:
        return min(1.0, self._raw.count / self._size)

    def close(self):
        self._text.close()


def _chain(first: str, rest):
    yield first
    yield from rest


class XlsxReader(Reader):
    """The first worksheet of a workbook."""

    format = "xlsx"

    def __init__(self, path: Path, *, need_institution: bool = False, engine: str | None = None):
        self._done = 0
        engine = engine or ("calamine" if os.path.getsize(path) <= CALAMINE_MAX_BYTES else "openpyxl")
        self.engine = engine
        try:
            if engine == "calamine":
                from python_calamine import CalamineWorkbook

                self._book = CalamineWorkbook.from_path(str(path))
                sheet = self._book.get_sheet_by_index(0)
                self.total_rows = sheet.height
                source = sheet.iter_rows()
            else:
                import openpyxl

                self._book = openpyxl.load_workbook(path, read_only=True, data_only=True)
                sheet = self._book.worksheets[0]
                self.total_rows = sheet.max_row
                source = sheet.iter_rows(values_only=True)
        except FileError:
            raise
        except Exception as exc:
            raise FileError(
                "xlsx_unreadable",
                "无法读取该 Excel 文件（可能已损坏或有密码保护）",
                "Cannot read this Excel file (damaged or password protected?)",
                {"error": str(exc)[:200]},
            ) from exc
        self._source = iter(source)
        head: list[tuple[int, list]] = []
        for number, values in enumerate(self._source, start=1):
            head.append((number, list(values)))
            if len(head) >= HEADER_SCAN_ROWS:
                break
        self.layout = find_layout(head, need_institution=need_institution)
        self._pending = [(n, v) for n, v in head if n > self.layout.header_row]
        self._next_number = len(head) + 1

    def __iter__(self):
        layout = self.layout
        for number, values in self._pending:
            self._done = number
            cells = _cells(layout, values)
            if cells:
                yield number, cells
        self._pending = []
        number = self._next_number
        for values in self._source:
            self._done = number
            cells = _cells(layout, values)
            if cells:
                yield number, cells
            number += 1

    @property
    def progress(self) -> float:
        return min(1.0, self._done / self.total_rows) if self.total_rows else 0.0

    def close(self):
        close = getattr(self._book, "close", None)
        if close:
            close()


def open_file(path: str | Path, *, need_institution: bool = False) -> Reader:
    """A reader for this file: XLSX by its zip signature, anything else as CSV text."""
    path = Path(path)
    with open(path, "rb") as fh:
        magic = fh.read(8)
    if magic.startswith(b"PK\x03\x04"):
        if not zipfile.is_zipfile(path):
            raise FileError("xlsx_unreadable", "无法读取该 Excel 文件", "Cannot read this Excel file")
        return XlsxReader(path, need_institution=need_institution)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileError(
            "xls_not_supported",
            "不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV",
            "Old .xls files are not supported; save as .xlsx or CSV in Excel",
        )
    return CsvReader(path, need_institution=need_institution)
