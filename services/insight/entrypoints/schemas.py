"""What insight accepts at its edge: imported history and report queries."""
import json
import re
from datetime import UTC

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates

from services.insight.domain.assessment import RATES as ASSESSED_RATES
from shared.contract.events import CHANNELS, URGENCIES
from shared.contract.request_types import REQUEST_TYPES
from shared.timelimits import periods


class BadQuery(Exception):
    """A report was asked for with invalid parameters; the message is JSON
    mapping each field to its errors."""

    def __init__(self, errors):
        super().__init__(json.dumps(errors, ensure_ascii=False))
        self.errors = errors


class HistoricalRequest(Schema):
    """One past request to load into the read model (``import_history``)."""

    class Meta:
        unknown = EXCLUDE

    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=4000))
    category = fields.String(allow_none=True, load_default=None)
    district = fields.String(allow_none=True, load_default=None)
    channel = fields.String(load_default="phone", validate=validate.OneOf(CHANNELS))
    urgency = fields.String(load_default="normal", validate=validate.OneOf(URGENCIES))
    request_type = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(REQUEST_TYPES))
    received_at = fields.AwareDateTime(required=True, default_timezone=UTC)
    department_code = fields.String(allow_none=True, load_default=None)
    handling_seconds = fields.Float(allow_none=True, load_default=None,
                                    validate=validate.Range(min=0, max=4 * 3600))
    outcome = fields.Dict(allow_none=True, load_default=None)


class ReportQuery(Schema):
    """``from``/``to`` (local dates, inclusive), ``week`` (any day of it), ``month``."""

    class Meta:
        unknown = EXCLUDE

    from_ = fields.Date(data_key="from", allow_none=True, load_default=None)
    to = fields.Date(allow_none=True, load_default=None)
    week = fields.Date(allow_none=True, load_default=None)
    month = fields.String(allow_none=True, load_default=None)

    @validates("month")
    def _month(self, value, **kwargs):
        if value is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
            raise ValidationError("a month is YYYY-MM, e.g. 2026-11")
        if value is not None and not periods.EARLIEST.year <= int(value[:4]) <= periods.LATEST.year:
            raise ValidationError(f"a month from {periods.EARLIEST.year} to {periods.LATEST.year}")


def load_query(params):
    """Parsed query parameters; raises ``ValidationError`` with field errors."""
    params = {} if params is None else params
    if not isinstance(params, dict):
        raise ValidationError({"_query": ["the parameters must be a mapping"]})
    query = ReportQuery().load({k: v for k, v in params.items() if v not in ("", None)})
    if query["from_"] and query["to"] and query["to"] < query["from_"]:
        raise ValidationError({"to": ["must not be before from"]})
    try:  # the calendar's sane years, a year at most (an open end is filled with the default window)
        periods.check_range(query["from_"], query["to"])
        periods.check_day("week", query["week"])
    except periods.BadPeriod as exc:
        raise ValidationError(exc.errors) from None
    return query


def query(params):
    """``load_query``, its field errors as ``BadQuery``."""
    try:
        return load_query(params)
    except ValidationError as exc:
        raise BadQuery(exc.messages) from None


class AssessmentQuery(ReportQuery):
    """The assessment's drill-down and files: ``unit``, ``rate`` and ``formats`` besides ``month``."""

    unit = fields.String(allow_none=True, load_default=None, validate=validate.Length(min=1, max=64))
    rate = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(ASSESSED_RATES))
    formats = fields.List(fields.String(validate=validate.OneOf(("xlsx", "pdf"))),
                          load_default=lambda: ["xlsx", "pdf"], validate=validate.Length(min=1, max=2))


def assessment_query(params):
    """``AssessmentQuery``'s fields, its errors as ``BadQuery``."""
    params = {} if params is None else params
    if not isinstance(params, dict):
        raise BadQuery({"_query": ["the parameters must be a mapping"]})
    try:
        return AssessmentQuery().load({k: v for k, v in params.items() if v not in ("", None)})
    except ValidationError as exc:
        raise BadQuery(exc.messages) from None
