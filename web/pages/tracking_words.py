"""The repair tracking page's words for the return's statuses, its events and its quote.

The service (`returns.services.tracking`) says where the return is with codes; these are the
customer's words for them, as msgids the page translates. A status or event not listed here
shows the service's own (English) title.
"""

from __future__ import annotations

from returns.choices import QuoteStatus, RmaStatus


def _(message: str) -> str:
    return message  # marks a msgid; the template translates it


STATUS: dict[RmaStatus, str] = {
    RmaStatus.REQUESTED: _("Return requested"),
    RmaStatus.AUTHORIZED: _("Return authorized"),
    RmaStatus.REJECTED: _("Return not accepted"),
    RmaStatus.AWAITING_RECEIPT: _("Waiting for your unit to arrive"),
    RmaStatus.RECEIVED: _("Unit received at our repair centre"),
    RmaStatus.IN_DIAGNOSIS: _("Being repaired"),
    RmaStatus.AWAITING_APPROVAL: _("Waiting for your decision on the repair quote"),
    RmaStatus.IN_REPAIR: _("Being repaired"),
    RmaStatus.IN_QA: _("Being repaired"),
    RmaStatus.SHIPPED: _("Shipped back to you"),
    RmaStatus.CLOSED: _("Completed"),
    RmaStatus.CANCELLED: _("Cancelled"),
}

# Events that change no status (`RmaEvent.kind`), as the customer reads them.
EVENT: dict[str, str] = {
    "requested": _("Return requested"),
    "replacement_shipped": _("Replacement unit shipped"),
    "return_reminder": _("Reminder: please send the defective unit back"),
    "overdue_charged": _("Defective unit not returned in time: charged"),
    "quote_declined": _("Repair quote declined"),
    "qa_passed": _("Repair checked and passed"),
    "hold": _("On hold"),
    "late_receipt": _("Unit arrived late"),
    "hold_resolved": _("No longer on hold"),
}

QUOTE: dict[QuoteStatus, str] = {
    QuoteStatus.SENT: _("Quote sent"),
    QuoteStatus.APPROVED: _("Quote approved"),
    QuoteStatus.DECLINED: _("Quote declined"),
    QuoteStatus.WITHDRAWN: _("Quote withdrawn"),
}

QUOTE_ON: dict[QuoteStatus, str] = {
    QuoteStatus.APPROVED: _("Quote approved on %(when)s."),
    QuoteStatus.DECLINED: _("Quote declined on %(when)s."),
}
