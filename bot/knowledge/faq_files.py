"""Load and validate `faq/*.yaml` into FAQ entries; every problem names its file and entry."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.facts import FACTS_FILE, FactsError, fill_facts, load_facts
from bot.knowledge.gc_pause import gc_paused
from bot.telegram_html import html_problems
from bot.texts import validation as texts
from bot.yaml_files import DuplicateKey, FileProblem, YamlDocument, YamlFileError, read_yaml

SYNONYMS_FILE = "_synonyms.yaml"
DATA_FILES = (SYNONYMS_FILE, FACTS_FILE)  # not entry files
CHECKED_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
# A FAQ file larger than this is refused with a problem naming it (never skipped silently).
# Override with the environment variable FAQ_MAX_FILE_MB (megabytes, 1 MB = 1,000,000 bytes).
DEFAULT_MAX_FILE_BYTES = 20_000_000
MAX_FILE_ENV = "FAQ_MAX_FILE_MB"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")  # fits 64-byte callback data
URL_PATTERN = re.compile(r"^https?://[^\s/$.?#][^\s<>\"]*$", re.IGNORECASE)
# Room for links and the category line appended to the answer when it is sent.
MAX_ANSWER_LENGTH = 3500


@dataclass(frozen=True)
class FaqLink:
    text: str
    url: str


@dataclass(frozen=True)
class FaqEntry:
    id: str
    category: str
    question: str
    answer: str
    variants: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    links: tuple[FaqLink, ...] = ()
    related: tuple[str, ...] = ()
    source_file: str = ""
    # Where the facts come from and when they were last verified; the matcher ignores both.
    sources: tuple[str, ...] = ()
    checked: date | None = None  # first day of the month given as `checked: YYYY-MM`

    @property
    def phrasings(self) -> tuple[str, ...]:
        return (self.question, *self.variants)


@dataclass
class FaqBook:
    """All valid entries in file order, plus the synonyms table."""

    entries: dict[str, FaqEntry] = field(default_factory=dict)
    synonyms: dict[str, str] = field(default_factory=dict)
    # Phrase-level synonyms from the optional `phrases:` table of _synonyms.yaml:
    # "app công an" -> "VNeID", "gửi lộn" -> "chuyển nhầm" (applied after abbreviations).
    phrases: dict[str, str] = field(default_factory=dict)

    @property
    def categories(self) -> list[str]:
        return list(dict.fromkeys(e.category for e in self.entries.values()))


class FaqLoadError(Exception):
    """The FAQ directory has problems; `problems` lists every one."""

    def __init__(self, problems: list[FileProblem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class _LinkModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=200)
    url: str

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not URL_PATTERN.match(value.strip()):
            raise ValueError(texts.URL_INVALID.format(value=value))
        return value.strip()


def _clean_list(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return value


class _EntryModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    id: str
    question: str = Field(min_length=3, max_length=300)
    variants: list[str] = Field(default_factory=list, max_length=50)
    keywords: list[str] = Field(default_factory=list, max_length=30)
    answer: str = Field(min_length=1)
    links: list[_LinkModel] = Field(default_factory=list, max_length=8)
    related: list[str] = Field(default_factory=list, max_length=8)
    sources: list[str] = Field(default_factory=list, max_length=10)
    checked: date | None = None

    @field_validator("variants", "keywords", "related", "links", "sources", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _clean_list(value)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not ID_PATTERN.match(value):
            raise ValueError(texts.ENTRY_ID_INVALID)
        return value

    @field_validator("checked", mode="before")
    @classmethod
    def _checked(cls, value: Any) -> date | None:
        if value is None or isinstance(value, date):
            return value
        match = CHECKED_PATTERN.match(str(value).strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(texts.CHECKED_INVALID.format(value=value))
        return date(int(match.group(1)), int(match.group(2)), 1)

    @field_validator("variants", "keywords", "sources")
    @classmethod
    def _non_empty_strings(cls, value: list[str]) -> list[str]:
        if any(not isinstance(v, str) or not v.strip() for v in value):
            raise ValueError(texts.LIST_ITEM_EMPTY)
        return [v.strip() for v in value]

    @field_validator("answer")
    @classmethod
    def _answer(cls, value: str) -> str:
        problems = html_problems(value, max_length=MAX_ANSWER_LENGTH)
        if problems:
            raise ValueError(texts.ANSWER_INVALID.format(problems="; ".join(problems)))
        return value.strip()


def _describe(error: ValidationError) -> list[str]:
    messages = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"]) or "entry"
        messages.append(f"{location}: {item['msg'].removeprefix('Value error, ')}")
    return messages


def max_file_bytes() -> int:
    """The per-file size cap: FAQ_MAX_FILE_MB if set to a positive number, else 20 MB."""
    value = os.environ.get(MAX_FILE_ENV, "").strip()
    try:
        megabytes = float(value) if value else 0.0
    except ValueError:
        megabytes = 0.0
    return int(megabytes * 1_000_000) if megabytes > 0 else DEFAULT_MAX_FILE_BYTES


def _read_yaml(path: Path, problems: list[FileProblem], limit: int | None = None) -> Any:
    """Parsed YAML, or None after recording why it could not be read (empty file included).

    A key written twice anywhere outside `entries` is a problem of the whole file; inside an
    entry it is reported with that entry (see `_load_entries_file`).
    """
    document = _read_document(path, problems, limit)
    if document is None:
        return None
    entry_spans = document.items("entries")
    inside = {d for span in entry_spans for d in document.duplicates_in(span)}
    for duplicate in document.duplicates:
        if duplicate not in inside:
            problems.append(_duplicate_problem(path.name, None, duplicate))
    return document


def _read_document(
    path: Path, problems: list[FileProblem], limit: int | None
) -> YamlDocument | None:
    name = path.name
    limit = limit or max_file_bytes()
    try:
        size = path.stat().st_size
        if size > limit:
            message = texts.FILE_TOO_LARGE.format(size=size, limit=limit, env=MAX_FILE_ENV)
            problems.append(FileProblem(name, None, message))
            return None
        document = read_yaml(path)
    except YamlFileError as exc:
        problems.append(FileProblem(name, None, exc.message, exc.line))
        return None
    except OSError as exc:
        problems.append(FileProblem(name, None, texts.FILE_UNREADABLE.format(error=exc)))
        return None
    if document.data is None:
        problems.append(FileProblem(name, None, texts.FILE_EMPTY))
        return None
    return document


def _duplicate_problem(file: str, entry: str | None, duplicate: DuplicateKey) -> FileProblem:
    message = texts.DUPLICATE_KEY.format(key=duplicate.key, line=duplicate.line)
    return FileProblem(file, entry, message, duplicate.line)


def _load_synonyms(
    path: Path, problems: list[FileProblem]
) -> tuple[dict[str, str], dict[str, str]]:
    """The `synonyms` table (required) and the optional `phrases` table of _synonyms.yaml."""
    document = _read_yaml(path, problems)
    if document is None:
        return {}, {}
    data = document.data
    table = data.get("synonyms") if isinstance(data, dict) else None
    if not isinstance(table, dict):
        problems.append(FileProblem(path.name, None, texts.SYNONYMS_NOT_TABLE))
        return {}, {}
    synonyms = _string_table(path, table, problems, texts.SYNONYM_NOT_STRING)
    phrases_table = data.get("phrases")
    if phrases_table is None:
        return synonyms, {}
    if not isinstance(phrases_table, dict):
        problems.append(FileProblem(path.name, None, texts.PHRASES_NOT_TABLE))
        return synonyms, {}
    phrases = _string_table(path, phrases_table, problems, texts.PHRASE_NOT_STRING)
    return synonyms, phrases


def _string_table(
    path: Path, table: dict, problems: list[FileProblem], message: str
) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        if not isinstance(value, str) or not str(key).strip() or not value.strip():
            problems.append(FileProblem(path.name, str(key), message))
            continue
        out[str(key).strip().lower()] = value.strip()
    return out


def _load_entries_file(
    path: Path, problems: list[FileProblem], facts: dict[str, str] | None = None
) -> list[FaqEntry]:
    name = path.name
    document = _read_yaml(path, problems)
    if document is None:
        return []
    data = document.data
    if not isinstance(data, dict):
        problems.append(FileProblem(name, None, texts.FAQ_FILE_NOT_TABLE))
        return []
    unknown = set(data) - {"category", "entries"}
    if unknown:
        keys = ", ".join(sorted(unknown))
        problems.append(FileProblem(name, None, texts.FAQ_UNKNOWN_KEYS.format(keys=keys)))
    category = data.get("category")
    if not isinstance(category, str) or not category.strip():
        problems.append(FileProblem(name, None, texts.FAQ_CATEGORY_MISSING))
        return []
    raw_entries = data.get("entries")
    if not isinstance(raw_entries, list) or not raw_entries:
        problems.append(FileProblem(name, None, texts.FAQ_ENTRIES_EMPTY))
        return []
    entries = []
    spans = document.items("entries")
    for position, raw in enumerate(raw_entries, start=1):
        label = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
        label = label or texts.FAQ_ENTRY_POSITION.format(position=position)
        if not isinstance(raw, dict):
            problems.append(FileProblem(name, label, texts.FAQ_ENTRY_NOT_TABLE))
            continue
        span = spans[position - 1] if position <= len(spans) else None
        duplicates = document.duplicates_in(span) if span is not None else []
        if duplicates:  # the data kept only the last value: say so rather than guess
            problems.extend(_duplicate_problem(name, label, d) for d in duplicates)
            continue
        if isinstance(raw.get("answer"), str):
            try:
                raw = {**raw, "answer": fill_facts(raw["answer"], facts or {})}
            except FactsError as exc:
                problems.append(FileProblem(name, label, f"answer: {exc}"))
                continue
        try:
            model = _EntryModel.model_validate(raw)
        except ValidationError as exc:
            problems.extend(FileProblem(name, label, message) for message in _describe(exc))
            continue
        entries.append(
            FaqEntry(
                id=model.id,
                category=category.strip(),
                question=model.question,
                answer=model.answer,
                variants=tuple(model.variants),
                keywords=tuple(model.keywords),
                links=tuple(FaqLink(link.text, link.url) for link in model.links),
                related=tuple(model.related),
                source_file=name,
                sources=tuple(model.sources),
                checked=model.checked,
            )
        )
    return entries


@gc_paused()
def load_faq_dir(directory: Path | str) -> tuple[FaqBook, list[FileProblem]]:
    """Load every valid entry and collect every problem; one bad entry never hides others."""
    directory = Path(directory)
    problems: list[FileProblem] = []
    book = FaqBook()
    if not directory.is_dir():
        return book, [FileProblem(str(directory), None, texts.FAQ_DIR_MISSING)]
    synonyms_path = directory / SYNONYMS_FILE
    if synonyms_path.exists():
        book.synonyms, book.phrases = _load_synonyms(synonyms_path, problems)
    try:
        facts = load_facts(directory / FACTS_FILE)
    except FactsError as exc:
        problems.append(FileProblem(FACTS_FILE, None, str(exc)))
        facts = {}
    for path in sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml")):
        if path.name in DATA_FILES:
            continue
        for entry in _load_entries_file(path, problems, facts):
            if entry.id in book.entries:
                first = book.entries[entry.id].source_file
                message = texts.FAQ_DUPLICATE_ID.format(first=first)
                problems.append(FileProblem(path.name, entry.id, message))
                continue
            book.entries[entry.id] = entry
    for entry in book.entries.values():
        for related_id in entry.related:
            if related_id not in book.entries:
                problems.append(
                    FileProblem(
                        entry.source_file,
                        entry.id,
                        texts.FAQ_RELATED_MISSING.format(related=related_id),
                    )
                )
    if not book.entries and not problems:
        problems.append(FileProblem(str(directory), None, texts.FAQ_EMPTY))
    return book, problems


def load_faq_strict(directory: Path | str) -> FaqBook:
    """Load the FAQ, raising FaqLoadError if anything is wrong (for reloads and `faq check`)."""
    book, problems = load_faq_dir(directory)
    if problems:
        raise FaqLoadError(problems)
    return book


def months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def stale_entries(book: FaqBook, today: date, max_age_months: int = 12) -> list[FaqEntry]:
    """Entries never checked, or checked more than `max_age_months` before `today`."""
    return [
        entry
        for entry in book.entries.values()
        if entry.checked is None or months_between(entry.checked, today) > max_age_months
    ]


def unsourced_entries(book: FaqBook) -> list[FaqEntry]:
    return [entry for entry in book.entries.values() if not entry.sources]
