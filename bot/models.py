"""SQLModel tables.

All datetimes are stored as naive UTC (`utc_now()`), the same on SQLite and PostgreSQL. Each
datetime field says `sa_type=DateTime` because recent SQLModel (0.0.50) otherwise maps `datetime`
to its timezone-aware UTCDateTime, which rejects naive values.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from bot.clock import utc_now

# Every constraint gets a predictable name, so later migrations (and SQLite batch mode) can
# alter or drop it; explicit names below win over the convention.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Topic(StrEnum):
    """Subscription topics; the Vietnamese command words map onto these."""

    ANNOUNCEMENTS = "announcements"
    EVENTS = "events"
    PROMOTIONS = "promotions"


class CampaignStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting to be claimed (possibly not before `not_before`)
    SENDING = "sending"  # claimed by a sender; the request may be in flight
    SENT = "sent"
    UNREACHABLE = "unreachable"  # 403 blocked/deactivated or 400 chat not found
    FAILED = "failed"  # gave up after retries, or ambiguous timeout (never resent)
    SKIPPED = "skipped"  # opted out, daily promotion cap, expired
    CANCELLED = "cancelled"


class User(SQLModel, table=True):
    """A chat that has talked to the bot (private chat id == user id)."""

    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    first_name: str = Field(default="", max_length=256)
    username: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=16)
    first_seen: datetime = Field(default_factory=utc_now, sa_type=DateTime)
    last_seen: datetime = Field(default_factory=utc_now, sa_type=DateTime)
    reachable: bool = True
    unreachable_reason: str | None = Field(default=None, max_length=256)


class Subscription(SQLModel, table=True):
    # Broadcasts look chats up by topic; the primary key leads with chat_id.
    __table_args__ = (Index("ix_subscription_topic_chat", "topic", "chat_id"),)

    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    topic: str = Field(primary_key=True, max_length=32)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime)


class QuestionLog(SQLModel, table=True):
    __table_args__ = (Index("ix_questionlog_created_status", "created_at", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, index=True))
    text: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(max_length=16)
    entry_id: str | None = Field(default=None, max_length=128)
    score: float = 0.0
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime)


class Feedback(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("chat_id", "entry_id", name="uq_feedback_chat_entry"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    entry_id: str = Field(max_length=128, index=True)
    vote: int  # +1 or -1; the latest vote of a chat for an entry wins
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime)


class Campaign(SQLModel, table=True):
    """One message to many chats: an official's broadcast or one firing of a scheduled notice."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default="broadcast", max_length=16)  # broadcast | notice
    topic: str = Field(max_length=32)
    text: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=CampaignStatus.QUEUED, max_length=16, index=True)
    created_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime)
    started_at: datetime | None = Field(default=None, sa_type=DateTime)
    finished_at: datetime | None = Field(default=None, sa_type=DateTime)
    # promotions are not sent after this
    expires_at: datetime | None = Field(default=None, sa_type=DateTime)
    notice_id: str | None = Field(default=None, max_length=128)
    total: int = 0
    progress_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    progress_message_id: int | None = None


class Delivery(SQLModel, table=True):
    """The durable outbox: one row per (campaign, chat)."""

    __table_args__ = (
        UniqueConstraint("campaign_id", "chat_id", name="uq_delivery_campaign_chat"),
        Index("ix_delivery_status_not_before", "status", "not_before"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    status: str = Field(default=DeliveryStatus.PENDING, max_length=16)
    attempts: int = 0
    not_before: datetime | None = Field(default=None, sa_type=DateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = Field(default=None, sa_type=DateTime)
    sent_at: datetime | None = Field(default=None, sa_type=DateTime)
    telegram_message_id: int | None = None
    error: str | None = Field(default=None, max_length=512)
    # 0002b: urgent campaigns' rows (#khancap) are claimed first
    priority: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class NoticeFire(SQLModel, table=True):
    """One firing of a scheduled notice; the unique key makes firing exactly-once across processes."""

    __table_args__ = (UniqueConstraint("notice_id", "fire_at", name="uq_noticefire_notice_time"),)

    id: int | None = Field(default=None, primary_key=True)
    notice_id: str = Field(max_length=128)
    # naive UTC, the scheduled instant (not the moment it ran)
    fire_at: datetime = Field(sa_type=DateTime)
    kind: str = Field(default="notice", max_length=16)  # notice | reminder
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")
    outcome: str = Field(default="queued", max_length=16)  # queued | skipped
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime)


class TicketStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Ticket(SQLModel, table=True):
    """A citizen's question handed to the officials' support group."""

    __table_args__ = (Index("ix_ticket_chat_status", "chat_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    display_name: str = Field(default="", max_length=256)
    question: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=TicketStatus.OPEN, max_length=16, index=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime)
    closed_at: datetime | None = Field(default=None, sa_type=DateTime)
    closed_by: int | None = Field(default=None, sa_column=Column(BigInteger))


class TicketMessage(SQLModel, table=True):
    """One message of a ticket: the citizen's (posted to the group) or an official's answer."""

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    direction: str = Field(max_length=16)  # citizen | official
    text: str = Field(sa_column=Column(Text, nullable=False))
    # The bot's message in the support group that officials reply to (citizen direction).
    support_message_id: int | None = Field(default=None, index=True)
    author_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime)


class FaqChange(SQLModel, table=True):
    """Audit trail of the FAQ: every edit made through the bot or the CLI (who, when, what)."""

    __table_args__ = (Index("ix_faqchange_created_at", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime)
    actor_id: int | None = Field(default=None, sa_column=Column(BigInteger))  # Telegram user id
    actor_name: str = Field(default="", max_length=256)
    source: str = Field(max_length=16)  # telegram | cli | import
    # add_variant | add_entry | update_entry | skip
    action: str = Field(max_length=32)
    entry_id: str | None = Field(default=None, max_length=128, index=True)
    file: str | None = Field(default=None, max_length=256)
    question: str | None = Field(default=None, sa_column=Column(Text))  # the citizen's wording
    detail: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON


class TaughtQuestion(SQLModel, table=True):
    """A question of the /hoc queue an admin dealt with; it is not offered again."""

    __table_args__ = (UniqueConstraint("key", name="uq_taughtquestion_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64)  # hash of kind, answered entry and folded text
    kind: str = Field(max_length=16)  # unanswered | downvoted
    text: str = Field(sa_column=Column(Text, nullable=False))
    # the entry that got the 👎 (downvoted questions only)
    answered_entry_id: str | None = Field(default=None, max_length=128)
    action: str = Field(max_length=16)  # variant | new_entry | skip
    entry_id: str | None = Field(default=None, max_length=128)  # the entry it was taught to
    change_id: int | None = Field(default=None, foreign_key="faqchange.id")
    actor_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    actor_name: str = Field(default="", max_length=256)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime)


# -- broadcast v2 (migration 0002b): drafts, media, urgent lane, schedules, recall/edit, areas --


class CampaignState(StrEnum):
    """Campaign statuses added by broadcast v2, before a campaign is queued."""

    DRAFT = "draft"  # previewed, waiting for "Gửi ngay" / "Hẹn giờ"; no delivery rows yet
    SCHEDULED = "scheduled"  # "Hẹn giờ": queued by the sender at `scheduled_at`


class ActionKind(StrEnum):
    RECALL = "recall"  # deleteMessage on every delivered copy
    EDIT = "edit"  # editMessageText / editMessageCaption on every delivered copy


class ActionStatus(StrEnum):
    DRAFT = "draft"  # asked, waiting for "Xác nhận"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"


class ItemStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # committed before the request; left over after a crash = ambiguous
    DONE = "done"
    TOO_OLD = "too_old"  # Telegram's 48-hour limit for deleting
    GONE = "gone"  # already deleted by the citizen, or the chat is gone
    FAILED = "failed"


class CampaignExtra(SQLModel, table=True):
    """What broadcast v2 knows about a campaign beyond the text (one row per campaign).

    A side table instead of new columns on `campaign`, so the migration stays self-contained.
    """

    campaign_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("campaign.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        )
    )
    # JSON: {"kind": "photo", "file_id": ...} or {"kind": "album", "items": [...]}; None = text
    media: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    urgent: bool = False
    scheduled_at: datetime | None = Field(default=None, sa_type=DateTime, index=True)
    areas: str | None = Field(default=None, max_length=2048)  # JSON list; None = whole province


class DeliveryExtra(SQLModel, table=True):
    """Album copies beyond the first message id (the first is `delivery.telegram_message_id`)."""

    delivery_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("delivery.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        )
    )
    message_ids: str = Field(max_length=512)  # comma-separated, every copy of the album


class CampaignAction(SQLModel, table=True):
    """A recall or an edit of a campaign's delivered copies."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    kind: str = Field(max_length=16)
    status: str = Field(default=ActionStatus.DRAFT, max_length=16, index=True)
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # edit: new HTML
    # "recall:<campaign id>" once a recall is confirmed: a campaign is recalled at most once
    unique_key: str | None = Field(default=None, max_length=64, unique=True, index=True)
    created_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime)
    started_at: datetime | None = Field(default=None, sa_type=DateTime)
    finished_at: datetime | None = Field(default=None, sa_type=DateTime)
    total: int = 0
    progress_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    progress_message_id: int | None = None


class ActionItem(SQLModel, table=True):
    """One delivered copy to delete or edit: the recall's outbox row."""

    __table_args__ = (
        UniqueConstraint("action_id", "delivery_id", name="uq_actionitem_action_delivery"),
        Index("ix_actionitem_status_not_before", "status", "not_before"),
    )

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="campaignaction.id", index=True)
    delivery_id: int = Field(foreign_key="delivery.id")
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    message_ids: str = Field(max_length=512)  # comma-separated
    sent_at: datetime | None = Field(default=None, sa_type=DateTime)  # of the copy
    status: str = Field(default=ItemStatus.PENDING, max_length=16)
    attempts: int = 0
    not_before: datetime | None = Field(default=None, sa_type=DateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = Field(default=None, sa_type=DateTime)
    done_at: datetime | None = Field(default=None, sa_type=DateTime)
    error: str | None = Field(default=None, max_length=512)


class Official(SQLModel, table=True):
    """An official added from Telegram by an admin; OFFICIAL_IDS stay as the bootstrap."""

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    areas: str = Field(default="", max_length=2048)  # JSON list of area codes; "" = province
    added_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime)


class CitizenArea(SQLModel, table=True):
    """The xã/phường a citizen picked with /diaphuong; erased with the user."""

    chat_id: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("user.chat_id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        )
    )
    area_code: str = Field(max_length=64, index=True)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime)


class ReplicaLoad(SQLModel, table=True):
    """Messages per second one replica recently sent outside the outbox sender (the leader's
    pacer leaves that much of Telegram's global limit free). Upserted every second."""

    replica_id: str = Field(primary_key=True, max_length=64)
    rate: float = 0.0
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime, index=True)
