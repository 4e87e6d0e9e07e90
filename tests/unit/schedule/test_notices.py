"""Schedule files: validation messages name the file and the notice; the shipped files load."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from bot.facts import load_facts
from bot.models import Topic
from bot.schedule.cron import cron_trigger
from bot.schedule.loading import check_schedules, load_schedules
from bot.schedule.notices import notice_text, parse_notice, reminder_text
from bot.yaml_files import FileProblem

# Outcomes depend on the time of day: .ci/run also runs these under faketime.
pytestmark = pytest.mark.clock_sensitive

SHIPPED = Path(__file__).resolve().parents[3] / "schedules"
# The shipped texts quote shared facts ({{ name }}) from the FAQ's facts file.
FACTS = load_facts(Path(__file__).resolve().parents[3] / "faq" / "_facts.yaml")


def write(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


def only_problem(problems: list[FileProblem]) -> FileProblem:
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


GOOD = """
    notices:
      - id: good-one
        topic: events
        cron: "0 8 10 10 *"
        text: "<b>Ngày Chuyển đổi số</b>"
"""


def test_shipped_files_load_without_problems():
    notices, problems = load_schedules(SHIPPED, facts=FACTS)
    assert problems == []
    ids = {notice.id for notice in notices}
    assert {"ngay-chuyen-doi-so-10-10", "vi-du-khuyen-mai-10-10"} <= ids
    assert {path.name for path in SHIPPED.glob("*.yaml")} >= {
        "ngay-chuyen-doi-so.yaml",
        "su-kien-tinh.yaml",
        "khuyen-mai-mau.yaml",
    }


def test_shipped_national_day_and_example_promotion():
    notices = {notice.id: notice for notice in load_schedules(SHIPPED, facts=FACTS)[0]}
    national = notices["ngay-chuyen-doi-so-10-10"]
    assert national.cron == "0 8 10 10 *"
    assert national.remind_before == (timedelta(days=7), timedelta(days=1))
    assert "505/QĐ-TTg" in national.text and "22/4/2022" in national.text
    assert FACTS["chu_de_cds_nam_nay"] in national.text and "{{" not in national.text
    assert reminder_text(national, timedelta(days=7)).startswith("⏳ Còn 7 ngày nữa")
    promotion = notices["vi-du-khuyen-mai-10-10"]
    assert promotion.topic == Topic.PROMOTIONS
    assert notice_text(promotion).startswith("[QC]")
    assert promotion.expires_after == timedelta(hours=6)
    example_file = (SHIPPED / "khuyen-mai-mau.yaml").read_text(encoding="utf-8")
    assert "VÍ DỤ" in example_file


@pytest.mark.parametrize(
    ("fields", "field", "fragment"),
    [
        ('cron: "0 25 * * *"', "cron", "cron"),
        ('cron: "0 8 10 10"', "cron", "5 trường"),
        ('cron: "0 8 31 2 *"', "cron", "không bao giờ"),
        ('cron: "0 8 1 * 1"', "cron", "cùng lúc"),
        ('cron: "0 8 * * 1"\n  at: "2027-01-01T08:00:00"', None, "đúng một"),
        ("remind_before: [1d]", None, "đúng một"),
        ('at: "2027-01-01"', "at", "ngày và giờ"),
        ('at: "ngày mai"', "at", "ISO"),
        ('cron: "0 8 * * *"\n  topic2: events', "topic2", "không được hỗ trợ"),
        ('cron: "0 8 * * *"\n  remind_before: [7x]', "remind_before", "7x"),
        ('cron: "0 8 * * *"\n  remind_before: [0d]', "remind_before", "lớn hơn 0"),
        ('cron: "0 8 * * *"\n  remind_before: [1d, 24h]', "remind_before", "lặp"),
        ('at: "2027-01-01T08:00:00"\n  until: "2027-12-31"', None, "until"),
        ('cron: "0 8 * * *"\n  remind_text: "Sắp đến"', None, "remind_before"),
        ('cron: "0 8 * * *"\n  expires_after: soon', "expires_after", "soon"),
    ],
)
def test_each_bad_field_is_named_with_file_and_notice(tmp_path, fields, field, fragment):
    body = "notices:\n- id: bad-one\n  topic: events\n  text: Xin chào\n  " + fields + "\n"
    (tmp_path / "lich.yaml").write_text(body, encoding="utf-8")
    notices, problems = load_schedules(tmp_path)
    problem = only_problem(problems)
    assert notices == []
    assert problem.field == field
    assert fragment in problem.message
    assert "lich.yaml" in str(problem) and "bad-one" in str(problem)
    assert problem.line == 2


def test_unknown_topic(tmp_path):
    write(tmp_path, "a.yaml", GOOD.replace("topic: events", "topic: news"))
    problem = only_problem(check_schedules(tmp_path))
    assert (problem.item, problem.field) == ("good-one", "topic")
    assert "news" in problem.message and "promotions" in problem.message
    assert str(problem).startswith(f"{tmp_path / 'a.yaml'}:2 [good-one]: topic: ")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("<b>chưa đóng", "chưa đóng"),
        ("<b>sai <i>thứ tự</b></i>", "sai chỗ"),
        ("<div>khối</div>", "<div>"),
        ("<a>liên kết</a>", "href"),
        ("1 < 2", "&lt;"),
        ("&nbsp;", "thực thể"),
        ("", "trống"),
    ],
)
def test_bad_html_is_reported(tmp_path, text, fragment):
    write(tmp_path, "a.yaml", GOOD.replace('"<b>Ngày Chuyển đổi số</b>"', repr(text)))
    problem = only_problem(check_schedules(tmp_path))
    assert (problem.item, problem.field) == ("good-one", "text")
    assert fragment in problem.message


def test_text_too_long_counts_the_added_label(tmp_path):
    write(tmp_path, "a.yaml", GOOD.replace('"<b>Ngày Chuyển đổi số</b>"', "x" * 4097))
    problem = only_problem(check_schedules(tmp_path))
    assert problem.field == "text" and "4096" in problem.message
    # 4094 characters fit, but not once "[QC] " is put in front of a promotion.
    promo = GOOD.replace("topic: events", "topic: promotions")
    write(tmp_path, "a.yaml", promo.replace('"<b>Ngày Chuyển đổi số</b>"', "x" * 4094))
    problem = only_problem(check_schedules(tmp_path))
    assert "4096" in problem.message and "good-one" in str(problem)


def test_duplicate_id_across_files_names_both(tmp_path):
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, "b.yaml", GOOD)
    notices, problems = load_schedules(tmp_path)
    assert [notice.source for notice in notices] == [str(tmp_path / "a.yaml")]
    problem = only_problem(problems)
    assert problem.file == str(tmp_path / "b.yaml") and problem.item == "good-one"
    assert "a.yaml" in problem.message and problem.field == "id"


def test_yaml_syntax_error_gives_the_line_and_keeps_other_files(tmp_path):
    write(tmp_path, "a.yaml", GOOD)
    write(
        tmp_path,
        "b.yaml",
        """
        notices:
          - id: broken
            topic: events
            text: "chưa đóng ngoặc
            cron: "0 8 * * *"
        """,
    )
    notices, problems = load_schedules(tmp_path)
    assert [notice.id for notice in notices] == ["good-one"]
    problem = only_problem(problems)
    # The quote opened on line 4 runs on; the parser notices on line 5, the next key.
    assert problem.file.endswith("b.yaml") and problem.line == 5
    assert problem.message.startswith("lỗi cú pháp YAML (dòng 5, cột 12): ")


def test_one_bad_notice_does_not_hide_the_others(tmp_path):
    write(
        tmp_path,
        "a.yaml",
        """
        notices:
          - id: first
            topic: events
            cron: "0 8 * * *"
            text: Một
          - id: Sai-ID
            topic: nowhere
            cron: "99 8 * * *"
            text: "<b>Hai"
          - just a string
          - id: third
            topic: announcements
            at: "2027-01-01T08:00:00"
            text: Ba
        """,
    )
    notices, problems = load_schedules(tmp_path)
    assert [notice.id for notice in notices] == ["first", "third"]
    bad = [p for p in problems if p.item == "Sai-ID"]
    assert {p.field for p in bad} == {"id", "topic", "cron", "text"}
    assert all(p.line == 6 for p in bad)
    assert any(p.item == "#3" and p.line == 10 for p in problems)


def test_duplicate_key_in_one_notice(tmp_path):
    write(
        tmp_path,
        "a.yaml",
        """
        notices:
          - id: twice
            topic: events
            cron: "0 8 * * *"
            text: Một
            text: Hai
        """,
    )
    notices, problems = load_schedules(tmp_path)
    assert notices == []
    assert only_problem(problems).field == "text"


def test_file_level_problems(tmp_path):
    write(tmp_path, "a.yaml", "- id: x\n")
    write(tmp_path, "b.yaml", "notice:\n  - id: x\n")
    write(tmp_path, "c.yaml", "")  # empty: nothing to load, nothing wrong
    write(tmp_path, ".#a.yaml", "not: [valid")  # an editor's lock file is ignored
    problems = check_schedules(tmp_path)
    assert sorted(Path(p.file).name for p in problems) == ["a.yaml", "b.yaml"]
    assert all(p.item is None and "[" not in str(p) for p in problems)
    assert check_schedules(tmp_path / "missing")[0].message == "thư mục lịch không tồn tại"


def test_promotion_label_and_countdown_texts():
    promo = parse_notice(
        {
            "id": "km",
            "topic": "promotions",
            "at": "2027-10-10T09:00:00",
            "text": "Tặng quà",
            "remind_before": ["1d", "2h"],
        }
    )
    assert notice_text(promo) == "[QC] Tặng quà"
    assert reminder_text(promo, timedelta(days=1)) == "[QC] ⏳ Còn 1 ngày nữa: Tặng quà"
    labelled = promo.model_copy(update={"text": "[QC] Tặng quà"})
    assert notice_text(labelled) == "[QC] Tặng quà"
    assert reminder_text(labelled, timedelta(hours=2)) == "[QC] ⏳ Còn 2 giờ nữa: Tặng quà"
    custom = parse_notice(
        {
            "id": "su-kien",
            "topic": "events",
            "cron": "0 8 10 10 *",
            "text": "Hôm nay",
            "remind_before": "36h",
            "remind_text": "Còn {con_lai} nữa",
        }
    )
    assert reminder_text(custom, timedelta(hours=36)) == "Còn 1 ngày 12 giờ nữa"


@pytest.mark.parametrize(
    ("field", "names"),
    [
        ("1", "mon"),
        ("0", "sun"),
        ("7", "sun"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("sat,sun", "sat,sun"),
        ("*/2", "tue,thu,sat,sun"),
        ("*", "*"),
    ],
)
def test_cron_weekdays_follow_standard_crontab(field, names):
    trigger = cron_trigger(f"0 8 * * {field}", tz=None)
    day_of_week = next(f for f in trigger.fields if f.name == "day_of_week")
    assert str(day_of_week) == names


def test_a_key_written_twice_skips_the_notice_with_its_line(tmp_path):
    write(
        tmp_path,
        "a.yaml",
        """
        notices:
          - id: first
            topic: events
            text: Một
            at: "2030-01-01T08:00:00+07:00"
          - id: twice
            topic: events
            text: Hai
            text: Ba
            at: "2030-01-01T08:00:00+07:00"
        """,
    )
    notices, problems = load_schedules(tmp_path)
    assert [notice.id for notice in notices] == ["first"]
    problem = only_problem(problems)
    assert (problem.item, problem.field, problem.line) == ("twice", "text", 6)
    assert problem.message == "khóa bị viết hai lần"
