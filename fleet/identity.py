"""Operators (tenants), users and their roles."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from fleet.exceptions import InvalidValue

#: What a username is (also stated in the API's document).
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,62}$"
_USERNAME = re.compile(USERNAME_PATTERN)


class Role(StrEnum):
    """What a user may do. Every non-public endpoint names the roles it admits."""

    RIDER = "rider"
    COURIER = "courier"
    MERCHANT = "merchant"
    COMPANY_ADMIN = "company_admin"
    EMPLOYEE = "employee"
    MANAGER = "manager"
    CREW = "crew"
    CITY = "city"
    #: the operator's vehicle-data gateway: posts telemetry, reads nothing
    GATEWAY = "gateway"


def parse_role(value: str) -> Role:
    """The :class:`Role` named ``value``, or ``InvalidValue`` listing the known roles."""
    try:
        return Role(value)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        msg = f"unknown role {value!r}; known roles: {known}"
        raise InvalidValue(msg) from None


@dataclass(frozen=True, slots=True)
class Operator:
    """A fleet operator: the tenant that owns vehicles, stations and users."""

    id: str
    name: str
    city: str

    def __post_init__(self) -> None:
        if not self.id or not self.name.strip():
            msg = "an operator needs an id and a non-empty name"
            raise InvalidValue(msg)


@dataclass(frozen=True, slots=True)
class User:
    """A person who signs in. ``company_id`` is set for company admins and employees."""

    id: str
    operator_id: str
    username: str
    display_name: str
    role: Role
    company_id: str | None = None
    active: bool = True

    def __post_init__(self) -> None:
        if not _USERNAME.match(self.username):
            msg = (
                f"username {self.username!r} must be 2–63 characters of lower-case letters, "
                "digits, '.', '_' or '-', starting with a letter or digit"
            )
            raise InvalidValue(msg)
        if not isinstance(self.role, Role):
            object.__setattr__(self, "role", parse_role(str(self.role)))
        needs_company = self.role in (Role.COMPANY_ADMIN, Role.EMPLOYEE)
        if needs_company and not self.company_id:
            msg = f"a {self.role} user must belong to a company"
            raise InvalidValue(msg)
        if not needs_company and self.company_id:
            msg = f"a {self.role} user cannot belong to a company"
            raise InvalidValue(msg)
