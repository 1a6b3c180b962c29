"""The OpenAPI document describes the custom fields as they are defined now.

Litestar builds the document once and caches it; custom fields change at run time (an admin
defines one, no restart). Before `/schema` answers, the live definitions are read (one small
query) and, when they differ from those the cached document was made for, the document is
rebuilt from the pristine one with each entity's `custom` object spelled out: a component
`<Entity>CustomFields` (what reads return) and `<Entity>CustomFieldsInput` (what writes accept).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from litestar import Litestar, Request, Response

from api.input_guard import refuse_bad_input
from masterdata.custom_fields.definitions import DefinitionFilter, list_definitions
from masterdata.models.custom_fields import CustomEntity, CustomFieldDefinition, CustomType

# the request and response bodies whose `custom` property holds an entity's values
BODIES: dict[CustomEntity, dict[str, str]] = {
    CustomEntity.CUSTOMER: {"CustomerCreate": "input", "CustomerUpdate": "input", "CustomerOut": "output"},
    CustomEntity.SITE: {"SiteCreate": "input", "SiteUpdate": "input", "SiteOut": "output"},
    CustomEntity.SERVICE_REQUEST: {"RequestCreate": "input", "RequestUpdate": "input", "ServiceRequestOut": "output"},
    CustomEntity.WORK_ORDER: {
        "WorkOrderCreate": "input",
        "WorkOrderUpdate": "input",
        "WorkOrderOut": "output",
        "WorkOrderDetailOut": "output",
    },
    CustomEntity.CONTRACT: {
        "ContractCreate": "input",
        "ContractUpdate": "input",
        "ContractOut": "output",
        "ContractDetailOut": "output",
    },
    CustomEntity.RMA: {"RmaCreate": "input", "RmaOut": "output"},
    CustomEntity.EQUIPMENT: {"EquipmentCreate": "input", "EquipmentUpdate": "input", "EquipmentOut": "output"},
}

# the list each entity's `?custom.<name>=` filters apply to
LISTS: dict[CustomEntity, str] = {
    CustomEntity.CUSTOMER: "/api/v1/customers",
    CustomEntity.SITE: "/api/v1/sites",
    CustomEntity.EQUIPMENT: "/api/v1/equipment",
    CustomEntity.CONTRACT: "/api/v1/contracts",
    CustomEntity.SERVICE_REQUEST: "/api/v1/service-requests",
    CustomEntity.WORK_ORDER: "/api/v1/work-orders",
    CustomEntity.RMA: "/api/v1/rmas",
}


async def refresh_custom_fields(request: Request[Any, Any, Any]) -> Response[Any] | None:
    """`before_request` of the /schema router: brings the cached document up to date.

    A router's hook replaces the app's (Litestar keeps the closest one), so the app's input guard
    runs here first."""
    if (refused := await refuse_bad_input(request)) is not None:
        return refused
    await _refresh(request)
    return None


async def _refresh(request: Request[Any, Any, Any]) -> None:
    app = request.app
    async with app.state.read_sessions() as session:
        definitions = await list_definitions(session, DefinitionFilter(archived=False))
    fingerprint = tuple((d.id, d.version) for d in definitions)
    if getattr(app.state, "custom_fields_fingerprint", None) == fingerprint:
        return
    plugin = _openapi_plugin(app)
    pristine = getattr(app.state, "openapi_pristine", None)
    if pristine is None:
        pristine = app.state.openapi_pristine = copy.deepcopy(plugin.provide_openapi_schema())
    # Litestar serves this cached dict (OpenAPIPlugin.provide_openapi_schema); replacing it is
    # the one way to change what /schema/openapi.json answers without rebuilding the app
    plugin._openapi_schema = with_custom_fields(pristine, definitions)
    app.state.custom_fields_fingerprint = fingerprint


def _openapi_plugin(app: Litestar) -> Any:
    """Litestar's own OpenAPI plugin (its class is private: found by what it provides)."""
    return next(p for p in app.plugins.init if hasattr(p, "provide_openapi_schema"))


def with_custom_fields(document: dict[str, Any], definitions: Sequence[CustomFieldDefinition]) -> dict[str, Any]:
    result = copy.deepcopy(document)
    schemas: dict[str, Any] = result.setdefault("components", {}).setdefault("schemas", {})
    for entity, bodies in BODIES.items():
        own = [d for d in definitions if d.entity == entity.value]
        title = entity.value.replace("_", " ").title().replace(" ", "")
        names = {"output": f"{title}CustomFields", "input": f"{title}CustomFieldsInput"}
        schemas[names["output"]] = _object(own, entity, writing=False)
        schemas[names["input"]] = _object(own, entity, writing=True)
        for body, direction in bodies.items():
            properties = schemas.get(body, {}).get("properties", {})
            if "custom" in properties:
                properties["custom"] = {"$ref": f"#/components/schemas/{names[direction]}"}
        listing = result.get("paths", {}).get(LISTS[entity], {}).get("get")
        if listing is not None:
            listing.setdefault("parameters", []).extend(_filter(d) for d in own)
    return result


def _filter(definition: CustomFieldDefinition) -> dict[str, Any]:
    """`?custom.<name>=value`: equal to the value (a multiple choice field: includes it)."""
    kind = CustomType(definition.type)
    schema: dict[str, Any] = {"type": "string"}
    if kind == CustomType.INTEGER:
        schema = {"type": "integer"}
    elif kind == CustomType.BOOLEAN:
        schema = {"type": "boolean"}
    elif kind in (CustomType.SINGLE_CHOICE, CustomType.MULTIPLE_CHOICE):
        schema = {"type": "string", "enum": list(definition.choices)}
    return {
        "name": f"custom.{definition.name}",
        "in": "query",
        "required": False,
        "schema": schema,
        "description": f"{definition.label} equals (custom field; sort with sort=custom.{definition.name})",
    }


def _object(definitions: Sequence[CustomFieldDefinition], entity: CustomEntity, *, writing: bool) -> dict[str, Any]:
    described = "Custom fields of the " + entity.value.replace("_", " ") + " (defined at /api/v1/custom-fields)."
    if writing:
        described += " Null clears a value; filters: `?custom.<name>=value`, sort: `sort=custom.<name>`."
    return {
        "type": "object",
        "description": described,
        "properties": {d.name: _value(d, writing=writing) for d in definitions},
        "additionalProperties": False,
    }


def _value(definition: CustomFieldDefinition, *, writing: bool) -> dict[str, Any]:
    kind = CustomType(definition.type)
    schema: dict[str, Any]
    if kind in (CustomType.TEXT, CustomType.LONG_TEXT):
        schema = {"type": "string", "maxLength": 500 if kind == CustomType.TEXT else 10_000}
        if definition.min_value is not None:
            schema["minLength"] = int(float(definition.min_value))
        if definition.max_value is not None:
            schema["maxLength"] = int(float(definition.max_value))
        if definition.pattern:
            schema["pattern"] = definition.pattern
    elif kind == CustomType.INTEGER:
        schema = {"type": "integer", **_bounds(definition, float_ok=False)}
    elif kind == CustomType.DECIMAL:
        # stored exactly and answered as a decimal string; a JSON number is accepted on writes
        schema = {"type": ["string", "number"] if writing else "string", "format": "decimal"}
    elif kind == CustomType.DATE:
        schema = {"type": "string", "format": "date"}
    elif kind == CustomType.BOOLEAN:
        schema = {"type": "boolean"}
    elif kind == CustomType.SINGLE_CHOICE:
        schema = {"type": "string", "enum": list(definition.choices)}
    elif kind == CustomType.MULTIPLE_CHOICE:
        schema = {"type": "array", "items": {"type": "string", "enum": list(definition.choices)}, "uniqueItems": True}
    else:
        schema = {"type": "string", "format": "uuid", "description": f"id of a {definition.reference_to}"}
    schema["title"] = definition.label
    notes = [definition.help_text or ""]
    if definition.required:
        notes.append("Required.")
    if definition.min_value is not None or definition.max_value is not None:
        notes.append(f"Between {definition.min_value or '…'} and {definition.max_value or '…'}.")
    if definition.visibility == "internal":
        notes.append("Internal: not shown to customers.")
    if definition.editable_by:
        notes.append("Editable by: " + ", ".join(definition.editable_by) + ".")
    schema["description"] = " ".join(n for n in [schema.get("description", ""), *notes] if n)
    if definition.default is not None:
        schema["default"] = definition.default
    if writing:
        return {"anyOf": [schema, {"type": "null"}]}
    return schema


def _bounds(definition: CustomFieldDefinition, *, float_ok: bool) -> dict[str, Any]:
    bounds: dict[str, Any] = {}
    convert = float if float_ok else (lambda raw: int(float(raw)))
    if definition.min_value is not None:
        bounds["minimum"] = convert(definition.min_value)
    if definition.max_value is not None:
        bounds["maximum"] = convert(definition.max_value)
    return bounds
