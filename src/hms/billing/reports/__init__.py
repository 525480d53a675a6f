"""Billing reports: the day's collections, receivables by age, claims, revenue. Pure
reads, aggregated in SQL, shown as pages with a chart, as CSV and XLSX, and as JSON."""
