"""FAQ knowledge: files -> validated entries -> matcher. Knows nothing about Telegram."""
