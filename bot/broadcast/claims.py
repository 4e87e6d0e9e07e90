"""A claimed outbox row, as the sender holds it between claim and result.

A claim is `claimed_by`/`claimed_at` on a pending row, with a lease; `bot/storage/outbox.py`
takes, renews, releases and recovers claims (PostgreSQL: `FOR UPDATE SKIP LOCKED`).
"""

from __future__ import annotations

from dataclasses import dataclass

AMBIGUOUS = "ambiguous: may have been sent"  # a `sending` row left by a crash: failed, not resent


@dataclass(frozen=True)
class ClaimedDelivery:
    id: int
    campaign_id: int
    chat_id: int
    attempts: int
    priority: int = 0
