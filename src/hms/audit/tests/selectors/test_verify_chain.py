import pytest

from hms.audit.models import AuditEvent
from hms.audit.selectors import ChainReport, verify_chain
from hms.audit.services import Action, record_event
from hms.audit.tests.helpers import raw_sql


@pytest.mark.django_db
def test_intact_chain_reports_the_count_and_the_head_hash(chain):
    # when
    report = verify_chain()

    # then
    assert report == ChainReport(ok=True, checked=5, last_hash=chain[-1].hash)


@pytest.mark.django_db
def test_event_committed_after_the_rows_were_read_is_not_a_false_alarm(chain):
    # given: a clerk's event lands between reading the rows and reading the chain head
    def rows_then_a_new_event():
        yield from AuditEvent.objects.order_by("id")
        record_event(action=Action.READ, username="clerk2")

    # when
    report = verify_chain(rows_then_a_new_event())

    # then
    assert report == ChainReport(ok=True, checked=5, last_hash=chain[-1].hash)


@pytest.mark.django_db
def test_event_committed_before_the_rows_were_read_is_checked_too(chain):
    # given
    def a_new_event_then_rows():
        record_event(action=Action.READ, username="clerk2")
        yield from AuditEvent.objects.order_by("id")

    # when
    report = verify_chain(a_new_event_then_rows())

    # then
    assert report.ok is True
    assert report.checked == 6


@pytest.mark.django_db
def test_rows_left_without_a_chain_head_are_reported(chain):
    # given: the head removed by someone who switched the guards off
    with raw_sql() as cursor:
        cursor.execute("DELETE FROM audit_chainhead")

    # when
    report = verify_chain()

    # then
    assert (report.ok, report.bad_row) == (False, 1)
    assert report.problem == (
        "rows 1 to 5 were added outside the chain (the chain head names row 0)"
    )


@pytest.mark.django_db
def test_verification_reads_in_a_fixed_number_of_queries(chain, django_assert_num_queries):
    # when / then: the head before and after, and the rows in one chunked query
    with django_assert_num_queries(3):
        verify_chain()
