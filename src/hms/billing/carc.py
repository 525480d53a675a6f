"""What a payer's adjustment codes mean: the X12 claim adjustment group codes and the
claim adjustment reason codes (CARC) our payers send, stored as "CO-45".

The texts are the code list's own (X12 external code list 139, "Claim Adjustment
Reason Codes", https://x12.org/codes/claim-adjustment-reason-codes; group codes from
the 835 guide, CAS01), shortened to their first sentence. No package ships the list
(pyx12 validates codes but holds no texts), so the codes seen in practice are kept
here; an unknown code is shown as it is.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

GROUPS = {
    "CO": _("Contractual obligation"),
    "CR": _("Correction or reversal"),
    "OA": _("Other adjustment"),
    "PI": _("Payer-initiated reduction"),
    "PR": _("Patient responsibility"),
}

REASONS = {
    "1": _("Deductible amount."),
    "2": _("Coinsurance amount."),
    "3": _("Co-payment amount."),
    "4": _("The procedure code is inconsistent with the modifier used."),
    "16": _("Claim/service lacks information or has submission/billing error(s)."),
    "18": _("Exact duplicate claim/service."),
    "22": _("This care may be covered by another payer per coordination of benefits."),
    "26": _("Expenses incurred prior to coverage."),
    "27": _("Expenses incurred after coverage terminated."),
    "29": _("The time limit for filing has expired."),
    "45": _(
        "Charge exceeds fee schedule/maximum allowable or contracted/legislated fee arrangement."
    ),
    "50": _(
        "These are non-covered services because this is not deemed a 'medical "
        "necessity' by the payer."
    ),
    "96": _("Non-covered charge(s)."),
    "97": _(
        "The benefit for this service is included in the payment/allowance for another "
        "service/procedure that has already been adjudicated."
    ),
    "109": _("Claim/service not covered by this payer/contractor."),
    "119": _("Benefit maximum for this time period or occurrence has been reached."),
    "197": _("Precertification/authorization/notification/pre-treatment absent."),
    "204": _(
        "This service/equipment/drug is not covered under the patient's current benefit plan."
    ),
    "242": _("Services not provided by network/primary care providers."),
}


def meaning(code: str) -> str:
    """ "CO-50" -> "Contractual obligation: These are non-covered services ..."; a bare
    reason ("50") without its group; "" for a code not in the list."""
    group, _sep, reason = str(code).upper().rpartition("-")
    text = REASONS.get(reason)
    if text is None:
        return ""
    return f"{GROUPS[group]}: {text}" if group in GROUPS else str(text)
