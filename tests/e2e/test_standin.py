"""The Telegram Bot API stand-in, driven by the real python-telegram-bot over HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
import warnings

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    RetryAfter,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from telegram_standin import EntityParseError, parse_html, utf16_len

# PTB itself reads RetryAfter.retry_after while building the exception (v22.2+ deprecation).
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

# ----------------------------------------------------------------------------- fixtures


@pytest.fixture
async def bot(standin):
    async with standin.bot() as client:
        yield client


def retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else value


# ------------------------------------------------------------------ the HTML parser alone


@pytest.mark.parametrize(
    ("html", "text", "entities"),
    [
        ("plain", "plain", []),
        ("<b>Xin chào</b>", "Xin chào", [{"type": "bold", "offset": 0, "length": 8}]),
        ("<STRONG>x</Strong>", "x", [{"type": "bold", "offset": 0, "length": 1}]),
        ("😀<i>a</i>", "😀a", [{"type": "italic", "offset": 2, "length": 1}]),
        ("a &amp; b &lt;c&gt; &quot;", 'a & b <c> "', []),
        ("&lt &#65;&#x42; &nbsp; & x", "< AB &nbsp; & x", []),
        ("AT&T", "AT&T", []),
        (
            '<a href="https://dichvucong.gov.vn/p?a=1&amp;b=2">DVC</a>',
            "DVC",
            [
                {
                    "type": "text_link",
                    "offset": 0,
                    "length": 3,
                    "url": "https://dichvucong.gov.vn/p?a=1&b=2",
                }
            ],
        ),
        ('<a href="javascript:alert(1)">x</a>', "x", []),
        (
            '<a href="tg://user?id=42">An</a>',
            "An",
            [
                {
                    "type": "text_mention",
                    "offset": 0,
                    "length": 2,
                    "user": {"id": 42, "is_bot": False, "first_name": "User"},
                }
            ],
        ),
        (
            '<pre><code class="language-python">x = 1</code></pre>',
            "x = 1",
            [{"type": "pre", "offset": 0, "length": 5, "language": "python"}],
        ),
        (
            '<code class="language-python">x</code>',
            "x",
            [{"type": "code", "offset": 0, "length": 1}],
        ),
        (
            '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>',
            "st",
            [
                {"type": "spoiler", "offset": 0, "length": 1},
                {"type": "spoiler", "offset": 1, "length": 1},
            ],
        ),
        (
            "<blockquote expandable>q</blockquote><blockquote>r</blockquote>",
            "qr",
            [
                {"type": "expandable_blockquote", "offset": 0, "length": 1},
                {"type": "blockquote", "offset": 1, "length": 1},
            ],
        ),
        (
            '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
            "👍",
            [
                {
                    "type": "custom_emoji",
                    "offset": 0,
                    "length": 2,
                    "custom_emoji_id": "5368324170671202286",
                }
            ],
        ),
        (
            "<b>a<i>b</i></b><u>c</u><s>d</s>",
            "abcd",
            [
                {"type": "bold", "offset": 0, "length": 2},
                {"type": "italic", "offset": 1, "length": 1},
                {"type": "underline", "offset": 2, "length": 1},
                {"type": "strikethrough", "offset": 3, "length": 1},
            ],
        ),
        ("<b></b>x", "x", []),
        ("<b>x</>", "x", [{"type": "bold", "offset": 0, "length": 1}]),
    ],
)
def test_parse_html_accepts_what_telegram_accepts(html, text, entities):
    assert parse_html(html) == (text, entities)


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("Xin chào<br>", 'Unsupported start tag "br" at byte offset 9'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("x <b", "Unclosed start tag at byte offset 2"),
        ("<a href", 'Unclosed start tag "a" at byte offset 0'),
        ('<a href="x"', "Unclosed start tag at byte offset 0"),
        ('<a ="x">y</a>', 'Empty attribute name in the tag "a" at byte offset 0'),
        ("<a href=x/>y</a>", "Unexpected end of name token at byte offset 8"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<tg-emoji emoji-id="x">y</tg-emoji>', "Invalid custom emoji identifier specified"),
        ("<p>đoạn</p>", 'Unsupported start tag "p" at byte offset 0'),
    ],
)
def test_parse_html_refuses_like_telegram(html, error):
    with pytest.raises(EntityParseError) as caught:
        parse_html(html)
    assert str(caught.value) == error


def test_parse_html_reports_byte_offsets_for_non_ascii_text():
    # "Thủ tục " is 8 characters but 12 UTF-8 bytes: Telegram reports byte offsets.
    with pytest.raises(EntityParseError, match="at byte offset 12$"):
        parse_html("Thủ tục <br>")


def test_utf16_len_counts_surrogate_pairs():
    assert utf16_len("a😀ế") == 4


# --------------------------------------------------------------------- with the PTB Bot


async def test_get_me(bot, standin):
    me = await bot.get_me()
    assert me.is_bot and me.id == 123456 and me.username == standin.bot_user["username"]
    assert standin.calls_to("getMe")[0].ok


async def test_wrong_token_is_unauthorized(standin):
    other = Bot("123456:wrong-token", base_url=standin.base_url)  # a plain PTB Bot
    with pytest.raises(InvalidToken):
        await other.initialize()
    assert standin.calls[-1].error_code == 401


async def test_unknown_method_is_not_found(bot, standin):
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})
    assert standin.calls[-1].error_code == 404


async def test_send_message_html(bot, standin):
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Tra cứu", callback_data="lookup:1")]])
    sent = await bot.send_message(
        1001,
        "<b>Xin chào</b> &amp; chào mừng, xem https://dichvucong.gov.vn",
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
    )
    assert sent.text == "Xin chào & chào mừng, xem https://dichvucong.gov.vn"
    assert sent.message_id == 1 and sent.chat.id == 1001 and sent.from_user.is_bot
    assert [e.type for e in sent.entities] == ["bold", "url"]
    assert sent.reply_markup == keyboard
    assert sent.text_html.startswith("<b>Xin chào</b> &amp;")

    second = await bot.send_message(1001, "  thứ hai\n")
    assert second.message_id == 2 and second.text == "thứ hai"

    [first, _] = standin.messages_to(1001)
    assert first["parse_mode"] == "HTML" and first["text"] == sent.text
    assert first["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "lookup:1"
    assert standin.rejected_calls() == []


async def test_bad_html_is_refused(bot, standin):
    with pytest.raises(BadRequest, match="(?i)can't parse entities: unsupported start tag"):
        await bot.send_message(1, "a<br>b", parse_mode=ParseMode.HTML)
    assert standin.calls[-1].description == (
        'Bad Request: can\'t parse entities: Unsupported start tag "br" at byte offset 1'
    )
    with pytest.raises(BadRequest, match="(?i)can't find end tag corresponding to start tag"):
        await bot.send_message(1, "<b>a", parse_mode=ParseMode.HTML)
    assert [c.error_code for c in standin.rejected_calls()] == [400, 400]
    assert standin.calls[-1].description.startswith("Bad Request: can't parse entities: ")
    assert standin.messages_to(1) == []


async def test_text_length_is_counted_after_parsing(bot, standin):
    await bot.send_message(1, "<b>" + "a" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    await bot.send_message(1, "😀" * 2048)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(1, "a" * 4097)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(1, "😀" * 2048 + "a")
    assert standin.calls[-1].description == "Bad Request: message is too long"


async def test_empty_text_is_refused(bot, standin):
    for text in (" \n ", "<b> </b>"):
        with pytest.raises(BadRequest, match="Message text is empty"):
            await bot.send_message(1, text, parse_mode=ParseMode.HTML)
    assert standin.calls[-1].description == "Bad Request: message text is empty"


async def test_blocked_deactivated_and_unknown_chats(bot, standin):
    standin.blocked_chats.add(7)
    standin.deactivated_chats.add(8)
    standin.unknown_chats.add(9)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(7, "hi")
    with pytest.raises(Forbidden, match="user is deactivated"):
        await bot.send_message(8, "hi")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(9, "hi")
    assert [(c.error_code, c.description) for c in standin.rejected_calls()] == [
        (403, "Forbidden: bot was blocked by the user"),
        (403, "Forbidden: user is deactivated"),
        (400, "Bad Request: chat not found"),
    ]


async def test_global_rate_limit_answers_retry_after(bot, standin):
    standin.global_rate_limit = 5
    for chat_id in range(1, 6):
        await bot.send_message(chat_id, "tin")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(6, "tin")
    assert retry_seconds(caught.value) >= 1
    call = standin.calls[-1]
    assert call.error_code == 429 and call.retry_after >= 1
    assert call.description == f"Too Many Requests: retry after {call.retry_after}"
    # the retry window holds for other chats too, and failures are not delivered
    with pytest.raises(RetryAfter):
        await bot.send_message(7, "tin")
    assert len(standin.sent_messages) == 5


async def test_per_chat_rate_limit(bot, standin):
    standin.per_chat_rate_limit = 1
    await bot.send_message(1, "một")
    await bot.send_message(2, "một")  # another chat is not limited
    with pytest.raises(RetryAfter):
        await bot.send_message(1, "hai")
    await bot.send_chat_action(1, "typing")  # not a message: not limited


async def test_fail_next_injects_errors(bot, standin):
    standin.fail_next("sendMessage", 429, retry_after=3)
    standin.fail_next("sendMessage", 502)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(1, "x")
    assert retry_seconds(caught.value) == 3
    with pytest.raises(Exception, match="Bad Gateway"):
        await bot.send_message(1, "x")
    await bot.send_message(1, "x")
    assert len(standin.messages_to(1)) == 1


async def test_inline_keyboard_validation(bot, standin):
    def markup(**button):
        return InlineKeyboardMarkup([[InlineKeyboardButton("Nút", **button)]])

    await bot.send_message(1, "ok", reply_markup=markup(callback_data="x" * 64))
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(1, "no", reply_markup=markup(callback_data="x" * 65))
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(1, "no", reply_markup=markup(callback_data="ế" * 22))
    with pytest.raises(BadRequest, match="(?i)inline keyboard button url 'http://a b.vn' is inv"):
        await bot.send_message(1, "no", reply_markup=markup(url="http://a b.vn"))
    assert standin.calls[-1].description == (
        "Bad Request: inline keyboard button URL 'http://a b.vn' is invalid: Wrong HTTP URL"
    )
    with pytest.raises(BadRequest, match="(?i)text buttons are unallowed"):
        await bot.send_message(
            1, "no", reply_markup={"inline_keyboard": [[{"text": "chỉ có chữ"}]]}
        )
    assert [c.description for c in standin.rejected_calls()][:2] == [
        "Bad Request: BUTTON_DATA_INVALID"
    ] * 2
    assert len(standin.messages_to(1)) == 1


async def test_edit_and_delete(bot, standin):
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    sent = await bot.send_message(1, "<b>một</b>", parse_mode="HTML", reply_markup=keyboard)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "<b>một</b>", 1, sent.message_id, parse_mode="HTML", reply_markup=keyboard
        )
    edited = await bot.edit_message_text("hai", 1, sent.message_id)
    assert edited.text == "hai" and edited.reply_markup is None and edited.edit_date
    record = standin.messages_to(1)[0]
    assert record["text"] == "hai" and record["edits"][0]["text"] == "một"
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", 1, 999)
    await bot.edit_message_reply_markup(1, sent.message_id, reply_markup=keyboard)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(1, sent.message_id, reply_markup=keyboard)
    assert await bot.delete_message(1, sent.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(1, sent.message_id)
    assert standin.messages_to(1) == []


async def test_answer_callback_query(bot, standin):
    await bot.send_message(
        5,
        "chọn",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]]),
    )
    query_id = standin.push_callback(5, "a")
    with pytest.raises(BadRequest, match="Message_too_long"):
        await bot.answer_callback_query(query_id, text="x" * 201)
    assert await bot.answer_callback_query(query_id, text="Đã chọn")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)
    old = standin.push_callback(5, "a")
    standin.expire_callback(old)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(old)
    assert standin.answered_callbacks == [query_id]


async def test_get_updates_and_offset(bot, standin):
    first = standin.push_command(1, "/start")
    standin.push_text(1, "xin chào @someone #dvc")
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [first["update_id"], first["update_id"] + 1]
    start = updates[0].message
    assert start.text == "/start" and start.from_user.first_name == "An"
    assert start.entities[0].type == "bot_command" and start.chat.type == "private"
    assert [e.type for e in updates[1].message.entities] == ["mention", "hashtag"]

    # unconfirmed updates come again; an offset confirms them
    assert len(await bot.get_updates(timeout=0)) == 2
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()
    assert standin.pending_updates == []

    # long polling wakes up when an update arrives
    async def later():
        await asyncio.sleep(0.05)
        standin.push_sticker(1)

    pusher = asyncio.create_task(later())
    [update] = await bot.get_updates(timeout=5)
    await pusher
    assert update.message.sticker.emoji == "👍"


async def test_get_updates_conflicts_with_webhook(bot, standin):
    await bot.set_webhook("http://127.0.0.1:9/hook")
    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates(timeout=0)
    assert await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == ()


async def test_webhook_delivery_with_secret(bot, standin):
    received: list[tuple[dict, str | None]] = []
    failures = {"left": 1}

    async def hook(request: web.Request) -> web.Response:
        if failures["left"]:
            failures["left"] -= 1
            return web.Response(status=500)
        received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cr3t")
        info = await bot.get_webhook_info()
        assert info.url.endswith("/hook")
        update = standin.push_text(42, "chào")
        await standin.wait_for(lambda s: received, message="webhook delivery")
        [(body, secret)] = received
        assert body == update and secret == "s3cr3t"
        assert Update.de_json(body, bot).message.text == "chào"
        # the first attempt got a 500 and was retried
        assert [d["status"] for d in standin.webhook_deliveries] == [500, 200]
        assert (await bot.get_webhook_info()).last_error_message.startswith(
            "Wrong response from the webhook: 500"
        )
        assert standin.pending_updates == []
    finally:
        await runner.cleanup()


async def test_commands(bot, standin):
    assert await bot.set_my_commands([("start", "Bắt đầu"), ("help", "Trợ giúp")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([("Bad-Command", "x")])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()


async def test_wait_for_timeout_dumps_state(standin):
    with pytest.raises(AssertionError, match="(?s)1 message\\(s\\) to chat 1 not met.*calls"):
        await standin.wait_for_messages(1, 1, timeout=0.1)


# -------------------------------------------------------- end to end with an Application


async def test_application_end_to_end(standin):
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_html(
            f"Chào <b>{update.effective_user.first_name}</b>!",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("Dịch vụ công", callback_data="menu:dvc")]]
            ),
        )

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer()
        await query.edit_message_text(f"Bạn chọn {query.data}")

    application = (
        Application.builder()
        .token(standin.token)
        .base_url(standin.base_url)
        .base_file_url(standin.base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(button))
    async with application:
        await application.start()
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            standin.push_command(2024, "/start", first_name="Lan")
            [reply] = await standin.wait_for_messages(2024, 1)
            assert reply["text"] == "Chào Lan!" and reply["parse_mode"] == "HTML"
            assert reply["entities"] == [{"type": "bold", "offset": 5, "length": 3}]

            query_id = standin.push_callback(2024, "menu:dvc")
            await standin.wait_for(lambda s: reply["text"] == "Bạn chọn menu:dvc")
            assert standin.answered_callbacks == [query_id]
        finally:
            await application.updater.stop()
            await application.stop()
    assert standin.rejected_calls() == []


async def test_application_webhook_mode(standin, unused_tcp_port):
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text("pong")

    application = standin.application_builder().build()
    application.add_handler(CommandHandler("start", start))
    port = unused_tcp_port
    async with application:
        await application.start()
        await application.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="hook",
            webhook_url=f"http://127.0.0.1:{port}/hook",
            secret_token="bi-mat",
        )
        try:
            standin.push_command(77, "/start")
            [reply] = await standin.wait_for_messages(77, 1)
            assert reply["text"] == "pong"
            [delivery] = standin.webhook_deliveries
            assert delivery["headers"]["X-Telegram-Bot-Api-Secret-Token"] == "bi-mat"
        finally:
            await application.updater.stop()
            await application.stop()
    assert standin.rejected_calls() == []
