"""Institution scoping (R2): a user sees the data of its own institution's subtree, nothing else.

Every query of business data goes through this module. A model says which column ties it to an
institution with ``__scope__`` (``"institution_id"`` for most; ``"id"`` for Institution itself), and
``Scope.filter`` / ``Scope.get`` apply the one rule: the institution's path starts with the
caller's. Adding a domain means naming its column, not writing another check.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g
from sqlalchemy import Select, select

from server.errors import HuifangError, not_found
from server.extensions import db
from server.institutions.models import Institution


@dataclass(frozen=True)
class Scope:
    root_path: str

    @classmethod
    def of(cls, user) -> Scope:
        return cls(user.institution.path)

    def institution_ids(self) -> Select:
        return select(Institution.id).where(Institution.path.startswith(self.root_path, autoescape=True))

    def filter(self, stmt: Select, model) -> Select:
        column = getattr(model, model.__scope__)
        return stmt.where(column.in_(self.institution_ids()))

    def contains(self, institution: Institution) -> bool:
        return institution.path.startswith(self.root_path)

    def get(self, model, ident, what_zh: str = "记录", what_en: str = "record"):
        """The row with this id if it lies in scope; out of scope answers exactly like missing."""
        stmt = self.filter(select(model).where(model.id == ident), model)
        row = db.session.scalars(stmt).first()
        if row is None:
            raise not_found(what_zh, what_en)
        return row

    def require(self, institution: Institution) -> None:
        if not self.contains(institution):
            raise out_of_scope()


def out_of_scope() -> HuifangError:
    return HuifangError(
        "out_of_scope",
        "该机构不在您的管辖范围内",
        "That institution is outside your part of the organisation",
        403,
    )


def current_scope() -> Scope:
    return Scope.of(g.user)
