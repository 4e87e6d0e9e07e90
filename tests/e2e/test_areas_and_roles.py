"""Areas and roles: citizens pick their xã/phường, admins manage officials, scopes hold."""

from __future__ import annotations

from pathlib import Path

import pytest
from official_steps import ADMIN, button, engine_of, last_text, press, preview, subscribe

from bot.broadcast import roles

from bot_harness import make_settings, running_bot, write_test_faq
from telegram_standin import BotApiStandin

pytestmark = pytest.mark.clock_sensitive
ROOT = Path(__file__).resolve().parents[2]
TAN_AN = [9001, 9002, 9003]
TUY_HOA = [9101, 9102]
NO_AREA = [9201]
COMMUNE_OFFICER = 801


@pytest.fixture
async def bot(standin: BotApiStandin, tmp_path: Path):
    write_test_faq(tmp_path / "faq")
    settings = make_settings(standin, tmp_path, areas_file=ROOT / "areas.yaml")
    async with running_bot(settings) as application:
        yield application


async def pick_area(standin: BotApiStandin, chat_id: int, typed: str | None) -> str:
    before = len(standin.messages_to(chat_id))
    if typed is None:
        standin.push_command(chat_id, "/diaphuong")
        [menu] = (await standin.wait_for_messages(chat_id, before + 1))[before:]
        standin.push_callback(chat_id, button(menu, "Tân An")["callback_data"])
        before += 1
    else:
        standin.push_command(chat_id, f"/diaphuong {typed}")
    [answer] = (await standin.wait_for_messages(chat_id, before + 1))[before:]
    return answer["text"]


async def admin_says(standin: BotApiStandin, command: str) -> str:
    before = len(standin.messages_to(ADMIN))
    standin.push_command(ADMIN, command, user_id=ADMIN)
    [answer] = (await standin.wait_for_messages(ADMIN, before + 1))[before:]
    return answer["text"]


async def test_citizens_pick_their_area_with_buttons_or_without_diacritics(standin, bot):
    subscribe(bot, [9001, 9002])
    assert "Phường Tân An" in await pick_area(standin, 9001, None)
    assert "Phường Tân An" in await pick_area(standin, 9002, "tan an")
    assert "Phường Tuy Hòa" in await pick_area(standin, 9002, "Phuong TUY HOA")
    assert "chưa tìm thấy" in await pick_area(standin, 9002, "sao hỏa")
    assert roles.citizen_area(engine_of(bot), 9001) == "tan-an"
    assert roles.citizen_area(engine_of(bot), 9002) == "tuy-hoa"
    # a new chat that never wrote before can pick too (its user row is created)
    assert "Tân An" in await pick_area(standin, 9999, "tân an")


async def test_an_area_official_reaches_only_that_area(standin, bot):
    subscribe(bot, TAN_AN + TUY_HOA + NO_AREA)
    for chat_id in TAN_AN:
        await pick_area(standin, chat_id, "tan an")
    for chat_id in TUY_HOA:
        await pick_area(standin, chat_id, "tuy hoa")
    standin.push_command(COMMUNE_OFFICER, "/broadcast Tin", user_id=COMMUNE_OFFICER)
    await standin.wait_for(lambda s: "không có quyền" in last_text(s, COMMUNE_OFFICER))
    assert "Đã thêm cán bộ" in await admin_says(
        standin, f"/quanlycanbo them {COMMUNE_OFFICER} tan-an"
    )
    _, confirm = await preview(standin, "/broadcast Họp dân phường", COMMUNE_OFFICER)
    assert "Người nhận: 3" in confirm["text"] and "Phường Tân An" in confirm["text"]
    press(standin, confirm, "Gửi ngay", COMMUNE_OFFICER)
    await standin.wait_for(lambda s: "đã xong" in last_text(s, COMMUNE_OFFICER), timeout=20)
    for chat_id in TAN_AN:
        assert [m["text"] for m in standin.messages_to(chat_id)][-1] == "Họp dân phường"
    for chat_id in TUY_HOA + NO_AREA:
        assert all(m["text"] != "Họp dân phường" for m in standin.messages_to(chat_id))
    # outside their area: refused
    standin.push_command(COMMUNE_OFFICER, "/broadcast #tuyhoa Tin", user_id=COMMUNE_OFFICER)
    await standin.wait_for(lambda s: "chỉ được gửi cho" in last_text(s, COMMUNE_OFFICER))
    # removed: no longer an official
    assert "Đã xóa" in await admin_says(standin, f"/canbo xoa {COMMUNE_OFFICER}")
    standin.push_command(COMMUNE_OFFICER, "/broadcast Tin", user_id=COMMUNE_OFFICER)
    await standin.wait_for(lambda s: "không có quyền" in last_text(s, COMMUNE_OFFICER))


async def test_a_province_official_narrows_one_broadcast_with_an_area_tag(standin, bot):
    subscribe(bot, TAN_AN + TUY_HOA + NO_AREA)
    for chat_id in TUY_HOA:
        await pick_area(standin, chat_id, "tuy hoa")
    _, confirm = await preview(standin, "/broadcast #tuyhoa Cúp điện", ADMIN)
    assert "Người nhận: 2" in confirm["text"]
    _, everyone = await preview(standin, "/broadcast Toàn tỉnh", ADMIN)
    assert "Người nhận: 6" in everyone["text"]


async def test_staff_list_usage_and_a_citizens_canbo_is_the_handoff(standin, bot):
    assert "Chưa có cán bộ" in await admin_says(standin, "/quanlycanbo")
    assert "Quản lý cán bộ" in await admin_says(standin, "/quanlycanbo them abc")
    assert "Không có xã/phường" in await admin_says(standin, "/quanlycanbo them 5 sao-hoa")
    assert "Đã thêm cán bộ" in await admin_says(standin, "/canbo them 5")
    listing = await admin_says(standin, "/quanlycanbo")
    assert "<code>" not in listing and "5" in listing
    standin.push_command(4321, "/quanlycanbo them 4321")
    await standin.wait_for(lambda s: "không có quyền" in last_text(s, 4321))
    before = len(standin.messages_to(4321))
    standin.push_command(4321, "/canbo")  # a citizen's /canbo asks for an official (issue 11)
    reply = (await standin.wait_for_messages(4321, before + 1))[-1]
    assert "cán bộ" in reply["text"]
