# Công Dân Số Bot: `dcbot run` in a slim Python image, as an unprivileged user.
#   docker build -t dcbot .
#   docker run --env-file .env -e DATABASE_URL=postgresql+psycopg://... dcbot
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 dcbot \
    && useradd --system --uid 10001 --gid dcbot --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin dcbot

WORKDIR /app

# Dependencies and the package (psycopg[binary] ships its own libpq: no compiler needed).
# Built from a scratch copy that is removed, so only the installed package is imported.
COPY pyproject.toml README.md /tmp/src/
COPY bot /tmp/src/bot
RUN cd /tmp/src && pip install . && cd / && rm -rf /tmp/src

# Data the admins edit; compose.yaml mounts the host's copies over these.
COPY faq ./faq
COPY schedules ./schedules
RUN mkdir -p /app/data && chown dcbot:dcbot /app/data

ENV FAQ_DIR=/app/faq \
    SCHEDULES_DIR=/app/schedules \
    DATABASE_URL=sqlite:////app/data/dcbot.sqlite3 \
    HEALTH_PORT=8080 \
    HEALTH_HOST=0.0.0.0 \
    WEBHOOK_LISTEN=0.0.0.0 \
    WEBHOOK_PORT=8443

USER dcbot:dcbot
VOLUME ["/app/data"]
# 8080: /healthz /readyz /metrics; 8443: the Telegram webhook (only when WEBHOOK_URL is set).
EXPOSE 8080 8443

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot.healthcheck"]

# SIGTERM (docker stop) lets the bot finish its in-flight request and exit cleanly.
STOPSIGNAL SIGTERM
ENTRYPOINT ["dcbot"]
CMD ["run"]
