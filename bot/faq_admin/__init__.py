"""Editing the FAQ from the bot and the CLI: round-trip YAML edits, spreadsheets, teaching."""
