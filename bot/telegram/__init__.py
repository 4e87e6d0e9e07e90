"""python-telegram-bot Application: handlers per audience, keyboards, texts."""
