"""Claims export: an X12 837P batch of 1,000 claims for one payer, written by
billing.x12.write_837p and checked with pyx12 by billing.x12.validate_837.

Usage: .venv/bin/python bench/claims_837.py [--database sqlite|postgres]
       [--claims 1000] [--patients 250] [--lines 3] [--profile]

The facility, tariff, insurer and plan of bench/charge_capture.py, with --patients
patients all insured by the plan (through the insurance service). Their charges and
draft invoices are written in bulk as bench/invoice_finalise.py writes them, one per
patient per round until there are --claims; then each draft is finalised by
services.finalise_invoice (which splits it between the payer and the patient) and
claimed by services.claims.build_claim with one to three diagnosis codes. Timed: the
claims submitted at once by services.claims.submit_claims (which validates each), the
837P written for them (loaded as export_claims loads them), and pyx12's check of it.
PostgreSQL uses postgres://postgres@127.0.0.1:5432/hms_bench_claims (recreated and
analysed after the set-up); SQLite a fresh file.
"""

from __future__ import annotations

import argparse
import os
import random
import time
import zoneinfo

from charge_capture import Profiled, analyze, configure, set_up
from invoice_finalise import drafts
from procs import first_in_line

DB_NAME = "hms_bench_claims"
SEED = 20260303
TARGET_S = 30  # generation and validation together
DIAGNOSES = ["J06.9", "A09", "I10", "E11.9", "K29.70", "B54", "M54.5", "N39.0", "R50.9"]


def claims_for(billing, count: int, lines: int) -> list:
    """`count` draft claims for the payer: final invoices with a payer portion."""
    from hms.billing.services import claims, finalise_invoice

    rng = random.Random(SEED)
    made = []
    for draft in drafts(billing, count, lines):
        invoice = finalise_invoice(actor=billing.clerk, invoice=draft)
        codes = rng.sample(DIAGNOSES, rng.randrange(1, 4))
        made.append(claims.build_claim(actor=billing.clerk, invoice=invoice, diagnosis_codes=codes))
    return made


def timed(run):
    started = time.perf_counter()
    result = run()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--claims", type=int, default=1000)
    parser.add_argument("--patients", type=int, default=250)
    parser.add_argument("--lines", type=int, default=3, help="service lines per claim")
    parser.add_argument("--profile", action="store_true", help="cProfile writing and checking")
    args = parser.parse_args()
    # The billing provider's numbers the 837 needs (a valid NPI check digit).
    os.environ.update(HMS_BILLING_NPI="1245319599", HMS_BILLING_TAX_ID="987654321")
    configure(args.database, DB_NAME)

    from django.utils import timezone

    from hms.billing.models import Claim
    from hms.billing.services.claims import submit_claims
    from hms.billing.x12 import validate_837, write_837p

    began = time.perf_counter()
    billing = set_up(patients=args.patients, items=200, insured_share=1.0)
    drafted = claims_for(billing, args.claims, args.lines)
    analyze(args.database)
    print(
        f"claims export on {args.database}: {len(drafted)} claims of {args.lines} lines for "
        f"{args.patients} insured patients of one payer, set up in "
        f"{time.perf_counter() - began:.0f} s"
    )
    first_in_line()
    load = os.getloadavg()[0]
    submitted, submit_s = timed(
        lambda: submit_claims(actor=billing.clerk, claims=Claim.objects.filter(payer=billing.payer))
    )
    facility, payer = billing.facility, billing.payer
    now = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(facility.timezone))

    def write() -> str:
        batch = (
            Claim.objects.filter(payer=payer, status=Claim.Status.SUBMITTED)
            .select_related("coverage__plan", "invoice__patient", "payer", "facility")
            .order_by("pk")
        )
        return write_837p(batch, facility=facility, payer=payer, control_number=1, now=now)

    with Profiled(args.profile):
        text, write_s = timed(write)
        check, check_s = timed(lambda: validate_837(text))
    if not check.ok or len(submitted) != args.claims or text.count("\nCLM*") != args.claims:
        raise SystemExit(f"{len(submitted)} submitted; pyx12: {check.errors[:5]}")
    together = write_s + check_s
    met = together <= TARGET_S
    print(
        f"  load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, "
        f"on {os.cpu_count()} CPUs"
    )
    print(
        f"\n{'database':<9} {'claims':>6} {'segments':>8} {'kB':>5} {'submit s':>8} "
        f"{'write s':>7} {'pyx12 s':>7} {'write+pyx12 s':>13}   target"
    )
    print(
        f"{args.database:<9} {args.claims:>6} {text.count('~'):>8} {len(text) // 1024:>5} "
        f"{submit_s:>8.1f} {write_s:>7.1f} {check_s:>7.1f} {together:>13.1f}   "
        f"<= {TARGET_S} s: {'ok' if met else 'MISSED'}"
    )
    print(
        "(submit: submit_claims for all, validate_claim on each, one audit event each; "
        "write: the claims loaded and the 837P written; pyx12: validate_837, no errors)"
    )
    raise SystemExit(0 if met else 1)


if __name__ == "__main__":
    main()
