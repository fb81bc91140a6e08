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

from sqlalchemy import ARRAY, JSON, Table, any_, bindparam, func, insert, select, text

from server.extensions import db


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
    json_columns = {c for c in columns if isinstance(table.c[c].type, JSON)}
    quoted = ", ".join(conn.dialect.identifier_preparer.quote(c) for c in columns)
    cursor = conn.connection.driver_connection.cursor()
    try:
        with cursor.copy(f"COPY {table.name} ({quoted}) FROM STDIN") as copy:
            if json_columns:
                for row in rows:
                    copy.write_row(
                        [
                            json.dumps(row[c], ensure_ascii=False)
                            if c in json_columns and row[c] is not None
                            else row[c]
                            for c in columns
                        ]
                    )
            else:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
    finally:
        cursor.close()


def among(column, values: list):
    """``column IN (values)``; on PostgreSQL ``column = ANY(:array)``, one parameter however many
    values (psycopg's client-side handling of statements with thousands of parameters is slow)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))
