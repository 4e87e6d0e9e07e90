"""Notice fires: the row that claims one instant of a scheduled notice, and its outcome."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from bot.models import Campaign, NoticeFire, utc_now


def claim_instant(
    session: Session, *, notice_id: str, fire_at: datetime, kind: str, outcome: str
) -> int | None:
    """Insert the NoticeFire row of (notice, naive UTC instant); None if it already has one.

    ON CONFLICT DO NOTHING waits for a competing transaction and then yields to it, without
    an error in the PostgreSQL log for every instant a restart looks at again. The claim is
    only seen by others once the caller's transaction commits.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(NoticeFire)
        .values(
            notice_id=notice_id,
            fire_at=fire_at,
            kind=kind,
            outcome=outcome,
            created_at=utc_now(),
        )
        .on_conflict_do_nothing(index_elements=["notice_id", "fire_at"])
        .returning(NoticeFire.id)
    )
    return session.connection().execute(statement).scalar()


def set_outcome(
    session: Session,
    fire_id: int,
    *,
    outcome: str,
    campaign_id: int | None,
    from_outcome: str | None = None,
) -> bool:
    """Record what became of a claimed instant; with `from_outcome`, only from that outcome."""
    condition = NoticeFire.id == fire_id
    if from_outcome is not None:
        condition = condition & (NoticeFire.outcome == from_outcome)
    changed = session.connection().execute(
        update(NoticeFire).where(condition).values(outcome=outcome, campaign_id=campaign_id)
    )
    return changed.rowcount == 1


def fires_with_outcome(
    session: Session, outcome: str, *, created_before: datetime
) -> list[NoticeFire]:
    """Claims still at `outcome` that were made before `created_before`."""
    rows = session.connection().execute(
        select(NoticeFire.__table__).where(
            NoticeFire.outcome == outcome, NoticeFire.created_at < created_before
        )
    )
    return [NoticeFire.model_validate(row) for row in rows.mappings()]


def unlinked_campaign_of(session: Session, fire: NoticeFire, *, kind: str) -> int | None:
    """The first campaign of the fire's notice created since its claim and linked to no fire."""
    linked = select(NoticeFire.campaign_id).where(NoticeFire.campaign_id.is_not(None))
    return (
        session.connection()
        .execute(
            select(Campaign.id)
            .where(
                Campaign.kind == kind,
                Campaign.notice_id == fire.notice_id,
                Campaign.created_at >= fire.created_at,
                Campaign.id.not_in(linked),
            )
            .order_by(Campaign.id)
            .limit(1)
        )
        .scalar()
    )
