"""Firing a notice exactly once: the NoticeFire row is the claim, the outbox does the sending.

The unique key (notice_id, fire_at) decides which process fires an instant; a second attempt,
in this process or another one sharing the database, gets None.

The claim, the campaign with its outbox rows and the link between them are one transaction:
if anything fails or the process dies before the commit, none of them exists and a later
attempt can fire the instant. Claims left "firing" by versions that used two transactions
are still settled at start by `settle_interrupted_fires` (campaign linked, or "lost").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.clock import as_utc, naive_utc, utc_now
from bot.db import session_scope
from bot.models import Campaign, NoticeFire
from bot.schedule.notices import Notice, notice_text, reminder_text
from bot.schedule.timing import NOTICE, REMINDER, FireInstant, instants_between
from bot.storage import notice_fires
from bot.storage.campaigns import create_campaign

log = logging.getLogger(__name__)

CAMPAIGN_KIND = "notice"
FIRING = "firing"  # claimed, campaign not linked yet
QUEUED = "queued"  # campaign created and linked
SKIPPED = "skipped"  # missed by more than the catch-up window
LOST = "lost"  # an old two-transaction fire died between claim and campaign; not sent
SKIP_LOOKBACK = timedelta(days=7)  # how far back start-up records missed instants as skipped
MAX_SKIPPED_RECORDED = 24  # per notice and call: the latest ones (an hourly notice, a long outage)
INTERRUPTED_AFTER = timedelta(minutes=10)  # a "firing" claim older than this was interrupted


def _instant(notice: Notice, fire_at: datetime | FireInstant, before: timedelta | None):
    if isinstance(fire_at, FireInstant):
        return fire_at
    kind = REMINDER if before else NOTICE
    return FireInstant(as_utc(fire_at), notice.id, kind, before)


def _claim(session: Session, instant: FireInstant, outcome: str) -> int | None:
    """The NoticeFire row of `instant`, in the caller's transaction; None if it has one."""
    return notice_fires.claim_instant(
        session,
        notice_id=instant.notice_id,
        fire_at=naive_utc(instant.at),
        kind=instant.kind,
        outcome=outcome,
    )


def fire_notice(
    engine: Engine,
    notice: Notice,
    fire_at: datetime | FireInstant,
    *,
    before: timedelta | None = None,
) -> Campaign | None:
    """Queue the campaign for one instant of `notice`; None if that instant was already fired.

    `fire_at` is the scheduled instant (aware, or naive UTC), or a FireInstant; pass `before`
    for a reminder that long before the notice's own time.
    """
    instant = _instant(notice, fire_at, before)
    text = reminder_text(notice, instant.before) if instant.before else notice_text(notice)
    expires_at = naive_utc(instant.at + notice.expires_after) if notice.expires_after else None
    # One transaction: a failure (or a crash) anywhere rolls the claim back with the campaign.
    with session_scope(engine) as session:
        claim_id = _claim(session, instant, FIRING)
        if claim_id is None:
            return None
        campaign = create_campaign(
            session,
            topic=notice.topic,
            text=text,
            created_by=None,
            kind=CAMPAIGN_KIND,
            notice_id=notice.id,
            expires_at=expires_at,
        )
        notice_fires.set_outcome(session, claim_id, outcome=QUEUED, campaign_id=campaign.id)
    log.info(
        "notice %s fired for %s (%s): campaign %s, %s recipients",
        notice.id,
        instant.at.isoformat(),
        instant.kind,
        campaign.id,
        campaign.total,
    )
    return campaign


def record_skipped(engine: Engine, instant: FireInstant) -> bool:
    """Mark an instant as skipped (too late to send); False if it already has a row."""
    with session_scope(engine) as session:
        return _claim(session, instant, SKIPPED) is not None


@dataclass
class DueResult:
    """What settling the due instants did."""

    fired: list[Campaign] = field(default_factory=list)
    skipped: list[FireInstant] = field(default_factory=list)

    def extend(self, other: DueResult) -> None:
        self.fired.extend(other.fired)
        self.skipped.extend(other.skipped)


def settle_due(
    engine: Engine,
    notice: Notice,
    *,
    since: datetime,
    now: datetime,
    tz: tzinfo,
    catchup_window: timedelta,
) -> DueResult:
    """Fire each instant in (since, now] once; instants older than the window are skipped.

    Skipped instants get a NoticeFire row (outcome "skipped") and one log line per notice.
    """
    result = DueResult()
    oldest_sendable = as_utc(now) - catchup_window
    instants = instants_between(notice, since, now, tz)
    missed = [instant for instant in instants if instant.at < oldest_sendable]
    for instant in missed[-MAX_SKIPPED_RECORDED:]:
        if record_skipped(engine, instant):
            result.skipped.append(instant)
    for instant in instants[len(missed) :]:
        campaign = fire_notice(engine, notice, instant)
        if campaign is not None:
            result.fired.append(campaign)
    if result.skipped:
        first, last = result.skipped[0].at, result.skipped[-1].at
        log.warning(
            "notice %s: %d instant(s) from %s to %s skipped, missed by more than %s",
            notice.id,
            len(result.skipped),
            first.isoformat(),
            last.isoformat(),
            catchup_window,
        )
    return result


def settle_interrupted_fires(engine: Engine, *, now: datetime | None = None) -> list[NoticeFire]:
    """Resolve "firing" claims left by a process that died: link their campaign or mark lost.

    Only older versions, which claimed and created the campaign in two transactions, leave
    such claims. `now` defaults to the real time, the clock that stamped the claims' created_at.
    """
    cutoff = (naive_utc(now) if now else utc_now()) - INTERRUPTED_AFTER
    with session_scope(engine) as session:
        stale = notice_fires.fires_with_outcome(session, FIRING, created_before=cutoff)
        for fire in stale:
            campaign_id = notice_fires.unlinked_campaign_of(session, fire, kind=CAMPAIGN_KIND)
            outcome = QUEUED if campaign_id is not None else LOST
            notice_fires.set_outcome(
                session, fire.id, outcome=outcome, campaign_id=campaign_id, from_outcome=FIRING
            )
            fire.outcome, fire.campaign_id = outcome, campaign_id
            if campaign_id is None:
                log.error(
                    "notice %s for %s was interrupted before its campaign was created; not sent",
                    fire.notice_id,
                    fire.fire_at.isoformat(),
                )
    return stale
