"""Checking what FHIR clients send: structure and types with `fhir.resources`, then the
two things it lets through, so our answer to bad input is a 400 OperationOutcome that
names the element.

- JSON types: its primitives coerce ("active": "yes" becomes true, "1" becomes 1). FHIR
  JSON says a boolean is a JSON boolean and an integer a JSON number
  (https://hl7.org/fhir/R4/json.html#primitive), so the raw JSON is checked against the
  parsed model.
- Required code bindings: it accepts "gender": "nope". Each element bound to a required
  value set carries its codes as `enum_values`; every such element is checked.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.resource import Resource
from fhir_core.fhirabstractmodel import FHIRAbstractModel
from pydantic import ValidationError

from hms.core.errors import InvalidInput

MAX_ISSUES = 20


class InvalidResource(InvalidInput):
    """A request body that is not the FHIR resource it claims to be; `issues` holds
    (FHIRPath expression, what is wrong) pairs for the OperationOutcome."""

    code = "INVALID_RESOURCE"

    def __init__(self, issues: list[tuple[str, str]]):
        issues = issues[:MAX_ISSUES]
        super().__init__("; ".join(f"{path}: {text}" for path, text in issues))
        self.issues = issues


def parse_resource(data: Any, model: type[Resource], *, path: str = "") -> Resource:
    """The validated `model` instance for `data` (parsed JSON), or InvalidResource."""
    where = path or model.get_resource_type()
    if not isinstance(data, dict):
        raise InvalidResource([(where, f"Expected a {model.get_resource_type()} object.")])
    if data.get("resourceType") != model.get_resource_type():
        raise InvalidResource(
            [
                (
                    f"{where}.resourceType",
                    f"Expected {model.get_resource_type()!r}, got {data.get('resourceType')!r}.",
                )
            ]
        )
    try:
        resource = model.model_validate(data)
    except ValidationError as exc:
        raise InvalidResource(
            [(_fhir_path(where, e["loc"]), e["msg"]) for e in exc.errors()]
        ) from exc
    except (KeyError, TypeError, ValueError) as exc:
        # fhir.resources raises KeyError for an unknown resourceType in a contained
        # resource or a Bundle entry.
        raise InvalidResource([(where, f"Not a valid FHIR resource ({exc}).")]) from exc
    issues: list[tuple[str, str]] = []
    _check_types(data, resource, where, issues)
    _check_bindings(resource, where, issues)
    if issues:
        raise InvalidResource(issues)
    return resource


def _fhir_path(root: str, loc: tuple) -> str:
    text = root
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _aliases(model: FHIRAbstractModel) -> dict[str, str]:
    return {(info.alias or name): name for name, info in type(model).model_fields.items()}


def _check_types(raw: dict, model: FHIRAbstractModel, path: str, issues: list) -> None:
    names = _aliases(model)
    for key, value in raw.items():
        if key == "resourceType" or key not in names:
            continue
        _check_value(value, getattr(model, names[key]), f"{path}.{key}", issues)


def _check_value(raw: Any, parsed: Any, path: str, issues: list) -> None:
    if isinstance(parsed, list):
        for index, (raw_item, item) in enumerate(zip(raw, parsed, strict=False)):
            _check_value(raw_item, item, f"{path}[{index}]", issues)
    elif isinstance(parsed, FHIRAbstractModel):
        if isinstance(raw, dict):
            _check_types(raw, parsed, path, issues)
    elif isinstance(parsed, bool):
        if not isinstance(raw, bool):
            issues.append((path, "Must be a JSON boolean (true or false)."))
    elif isinstance(parsed, int | float | Decimal):
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            issues.append((path, "Must be a JSON number."))
    elif isinstance(parsed, str | dt.date | dt.time) and not isinstance(raw, str):
        issues.append((path, "Must be a JSON string."))


def _check_bindings(model: FHIRAbstractModel, path: str, issues: list) -> None:
    for name, info in type(model).model_fields.items():
        value = getattr(model, name, None)
        if value is None:
            continue
        where = f"{path}.{info.alias or name}"
        codes = (info.json_schema_extra or {}).get("enum_values")
        if codes:
            for index, code in _each(value):
                if isinstance(code, str) and code not in codes:
                    at = where if index is None else f"{where}[{index}]"
                    issues.append((at, f"{code!r} is not one of {', '.join(codes)}."))
            continue
        for index, item in _each(value):
            if isinstance(item, FHIRAbstractModel):
                _check_bindings(item, where if index is None else f"{where}[{index}]", issues)


def _each(value: Any):
    if isinstance(value, list):
        return list(enumerate(value))
    return [(None, value)]
