"""The reports' reads: each checks that the viewer sees the facility's billing and
answers with a Report built from a few grouped queries."""

from hms.billing.reports.selectors.aging import receivables_aging
from hms.billing.reports.selectors.claims import claims_summary
from hms.billing.reports.selectors.collections import daily_collections
from hms.billing.reports.selectors.revenue import revenue_by_department

__all__ = ["claims_summary", "daily_collections", "receivables_aging", "revenue_by_department"]
