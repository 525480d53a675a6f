"""Times of day on the facility's clock: HH:MM or HH:MM:SS, and never a zone that
would be dropped."""

import datetime as dt

import pytest
from rest_framework import serializers

from hms.core.api.fields import LocalTimeField


@pytest.mark.parametrize(
    ("text", "expected"), [("08:30", dt.time(8, 30)), ("23:59:59", dt.time(23, 59, 59))]
)
def test_a_time_of_day_is_read(text, expected):
    assert LocalTimeField().to_internal_value(text) == expected


@pytest.mark.parametrize("text", ["08:00Z", "08:00:00+03:00", "8:0", "24:00", "08:00:00.5", 800])
def test_a_zone_or_another_shape_is_refused(text):
    with pytest.raises(serializers.ValidationError) as refused:
        LocalTimeField().to_internal_value(text)
    assert "no zone" in str(refused.value.detail[0])
