"""Bulk writes fast enough for a million-row intake, inside the caller's transaction.

PostgreSQL: ids are taken from the table's sequence in one statement, and rows go in by COPY, which
is an order of magnitude faster than multi-row INSERT ... RETURNING through psycopg (whose statement
parsing grows with the statement) and than the ORM's bulk insert (which splits rows by which fields
are empty). SQLite: ids follow the largest one (SQLite has one writer at a time, and the caller holds
the write transaction) and rows go in by executemany.

Plain Core on the session's connection: no ORM objects, nothing in the identity map.
"""

from __future__ import annotations

import json
import operator

from sqlalchemy import ARRAY, JSON, Table, any_, bindparam, cast, func, insert, select, text
from sqlalchemy.types import NullType

from server.dbtypes import EncryptedText
from server.extensions import db
from server.policies import pii


def allocate_ids(table: Table, n: int) -> list[int]:
    """n fresh primary keys for ``table``, in increasing order."""
    if n <= 0:
        return []
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        return list(
            conn.execute(
                text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                {"t": table.name, "n": n},
            ).scalars()
        )
    start = (conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1
    return list(range(start, start + n))


def insert_rows(table: Table, rows: list[dict]) -> None:
    """Insert rows that all carry the same keys (ids included when the caller allocated them)."""
    if not rows:
        return
    conn = db.session.connection()
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), rows)
        return
    columns = list(rows[0])
    json_at = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
    # COPY goes around SQLAlchemy's types: encrypted columns are encrypted here.
    sealed_at = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, EncryptedText)]
    if sealed_at:
        rows = [_sealed(row, [columns[i] for i in sealed_at]) for row in rows]
    values_of = operator.itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    quoted = ", ".join(conn.dialect.identifier_preparer.quote(c) for c in columns)
    cursor = conn.connection.driver_connection.cursor()
    try:
        with cursor.copy(f"COPY {table.name} ({quoted}) FROM STDIN") as copy:
            write = copy.write_row
            if json_at:
                for row in rows:
                    values = list(values_of(row))
                    for i in json_at:
                        value = values[i]
                        if value is not None:
                            values[i] = "{}" if value == {} else json.dumps(value, ensure_ascii=False)
                    write(values)
            else:
                for row in rows:
                    write(values_of(row))
    finally:
        cursor.close()


def _sealed(row: dict, keys: list[str]) -> dict:
    out = dict(row)
    for key in keys:
        out[key] = pii.encrypt(out[key])
    return out


SQLITE_CHUNK = 900  # under SQLite's 999 bound parameters
POSTGRES_CHUNK = 50_000  # one array parameter: a bound on the statement's size, not a count of them


def batches(values) -> list[list]:
    """``values`` cut into lists for ``among``: one list on PostgreSQL (a single round trip for a
    chunk of intake), lists of 900 on SQLite."""
    values = list(values)
    size = POSTGRES_CHUNK if db.session.get_bind().dialect.name == "postgresql" else SQLITE_CHUNK
    return [values[start : start + size] for start in range(0, len(values), size)]


def present(column, values) -> set:
    """Which of ``values`` (empty ones left out) the column already holds: one query per batch."""
    found: set = set()
    for chunk in batches(v for v in values if v):
        found.update(db.session.scalars(select(column).where(among(column, chunk))))
    return found


def among(column, values: list):
    """``column IN (values)``; on PostgreSQL ``column = ANY(:array)``, one parameter however many
    values (psycopg's client-side handling of statements with thousands of parameters is slow).

    Lists of plain strings or integers go as one array literal in text, cast on the server:
    psycopg's own list adaptation runs a regular expression on every element, which costs more
    than the lookup itself for a chunk of intake."""
    values = list(values)
    if db.session.get_bind().dialect.name != "postgresql":
        return column.in_(values)
    literal = _array_literal(values)
    if literal is None:
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    # An untyped parameter cast to the array type: PostgreSQL reads the literal once, as a constant
    # of the plan. (Typed as text, the cast would be an expression run again for every row scanned.)
    return column == any_(cast(bindparam(None, literal, type_=NullType()), ARRAY(column.type)))


def _array_literal(values: list) -> str | None:
    """PostgreSQL's text form of a one-dimensional array of str or of int; None for anything else."""
    if all(type(v) is int for v in values):
        return "{" + ",".join(map(str, values)) + "}"
    if all(type(v) is str for v in values):
        # Every element quoted: then only the backslash and the double quote need escaping.
        return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"
    return None
