"""Firing a notice exactly once: the NoticeFire row is the claim, the outbox does the sending.

The unique key (notice_id, fire_at) decides which process fires an instant; a second attempt,
in this process or another one sharing the database, gets None.

Trade-off: `bot.broadcast.outbox.create_campaign` opens its own transaction, so the claim and
the campaign are two transactions. The claim is written first with outcome "firing": two
processes can never both create the campaign (at most once). If the campaign cannot be created
the claim is removed so a later attempt can fire. If the process dies between the two commits,
the claim stays "firing" without a campaign; `settle_interrupted_fires` at the next start links
the campaign if it was created, or marks the instant "lost" and logs it (that instant is then
not sent). An outbox helper taking an open session would make this one transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from bot.broadcast.outbox import create_campaign
from bot.clock import as_utc, naive_utc, utc_now
from bot.models import Campaign, NoticeFire
from bot.schedule.notices import Notice, notice_text, reminder_text
from bot.schedule.timing import NOTICE, REMINDER, FireInstant, instants_between

log = logging.getLogger(__name__)

CAMPAIGN_KIND = "notice"
FIRING = "firing"  # claimed, campaign not linked yet
QUEUED = "queued"  # campaign created and linked
SKIPPED = "skipped"  # missed by more than the catch-up window
LOST = "lost"  # the process died between claim and campaign; not sent
SKIP_LOOKBACK = timedelta(days=7)  # how far back start-up records missed instants as skipped
MAX_SKIPPED_RECORDED = 24  # per notice and call: the latest ones (an hourly notice, a long outage)
INTERRUPTED_AFTER = timedelta(minutes=10)  # a "firing" claim older than this was interrupted


def _instant(notice: Notice, fire_at: datetime | FireInstant, before: timedelta | None):
    if isinstance(fire_at, FireInstant):
        return fire_at
    kind = REMINDER if before else NOTICE
    return FireInstant(as_utc(fire_at), notice.id, kind, before)


def _claim(engine: Engine, instant: FireInstant, outcome: str) -> int | None:
    """Insert the NoticeFire row; None if this (notice, instant) already has one.

    ON CONFLICT DO NOTHING waits for a competing transaction and then yields to it, without
    an error in the PostgreSQL log for every instant a restart looks at again.
    """
    dialect_insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    statement = (
        dialect_insert(NoticeFire)
        .values(
            notice_id=instant.notice_id,
            fire_at=naive_utc(instant.at),
            kind=instant.kind,
            outcome=outcome,
            created_at=utc_now(),
        )
        .on_conflict_do_nothing(index_elements=["notice_id", "fire_at"])
        .returning(NoticeFire.id)
    )
    with engine.begin() as connection:
        return connection.execute(statement).scalar()


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
    claim_id = _claim(engine, instant, FIRING)
    if claim_id is None:
        return None
    text = reminder_text(notice, instant.before) if instant.before else notice_text(notice)
    expires_at = naive_utc(instant.at + notice.expires_after) if notice.expires_after else None
    try:
        campaign = create_campaign(
            engine,
            topic=notice.topic,
            text=text,
            created_by=None,
            kind=CAMPAIGN_KIND,
            notice_id=notice.id,
            expires_at=expires_at,
        )
    except Exception:
        # Nothing was queued: give the instant back so the next attempt can fire it.
        with engine.begin() as connection:
            connection.execute(delete(NoticeFire).where(NoticeFire.id == claim_id))
        raise
    with engine.begin() as connection:
        connection.execute(
            update(NoticeFire)
            .where(NoticeFire.id == claim_id)
            .values(campaign_id=campaign.id, outcome=QUEUED)
        )
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
    return _claim(engine, instant, SKIPPED) is not None


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

    `now` defaults to the real time, the clock that stamped the claims' created_at.
    """
    cutoff = (naive_utc(now) if now else utc_now()) - INTERRUPTED_AFTER
    with engine.begin() as connection:
        stale = [
            NoticeFire.model_validate(row)
            for row in connection.execute(
                select(NoticeFire.__table__).where(
                    NoticeFire.outcome == FIRING, NoticeFire.created_at < cutoff
                )
            ).mappings()
        ]
        for fire in stale:
            linked = select(NoticeFire.campaign_id).where(NoticeFire.campaign_id.is_not(None))
            campaign_id = connection.execute(
                select(Campaign.id)
                .where(
                    Campaign.kind == CAMPAIGN_KIND,
                    Campaign.notice_id == fire.notice_id,
                    Campaign.created_at >= fire.created_at,
                    Campaign.id.not_in(linked),
                )
                .order_by(Campaign.id)
                .limit(1)
            ).scalar()
            outcome = QUEUED if campaign_id is not None else LOST
            connection.execute(
                update(NoticeFire)
                .where(NoticeFire.id == fire.id, NoticeFire.outcome == FIRING)
                .values(outcome=outcome, campaign_id=campaign_id)
            )
            fire.outcome, fire.campaign_id = outcome, campaign_id
            if campaign_id is None:
                log.error(
                    "notice %s for %s was interrupted before its campaign was created; not sent",
                    fire.notice_id,
                    fire.fire_at.isoformat(),
                )
    return stale
