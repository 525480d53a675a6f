"""The OpenAPI schema says what each operation takes and answers: valid, generated
without a warning, one component per view's own shapes."""

import pytest
import yaml
from django.core.management import call_command


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    # --fail-on-warn raises on any warning of the generator (a collapsed component name,
    # a field it cannot describe); --validate checks it against the OpenAPI 3 spec.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def _request_schema(schema, path, method="post"):
    content = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
    ref = content["schema"]["$ref"].rsplit("/", 1)[-1]
    return schema["components"]["schemas"][ref]


def test_the_booking_body_is_the_booking_operations_alone(schema):
    # given: the booking body, as the positive control
    booking = _request_schema(schema, "/api/v1/appointments/")
    assert set(booking["properties"]) == {"patient", "slot", "kind", "reason"}

    # then: no other operation documents it
    others = [
        (path, method)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if path != "/api/v1/appointments/"
        and "requestBody" in operation
        and "application/json" in operation["requestBody"]["content"]
        and operation["requestBody"]["content"]["application/json"]["schema"]
        == schema["paths"]["/api/v1/appointments/"]["post"]["requestBody"]["content"][
            "application/json"
        ]["schema"]
    ]
    assert others == []


def test_a_payment_documents_its_own_body(schema):
    # when
    payment = _request_schema(schema, "/api/v1/billing/payments/")

    # then
    assert "amount" in payment["properties"]
    assert "slot" not in payment["properties"]


def test_every_operation_has_one_id_and_documents_its_errors(schema):
    # given
    operations = [
        operation
        for operations in schema["paths"].values()
        for method, operation in operations.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]

    # then
    ids = [operation["operationId"] for operation in operations]
    assert len(ids) == len(set(ids)) > 100
    assert all({"400", "401", "403", "404"} <= set(o["responses"]) for o in operations)


def test_an_output_field_that_may_be_missing_is_nullable(schema):
    # when: an item names its department by code, and has none when it is the facility's
    item = schema["components"]["schemas"]["Item"]

    # then
    assert item["properties"]["department"]["nullable"] is True
    assert "nullable" not in item["properties"]["code"]
