# One image for all four services; docker-compose.yml picks the service.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    HOTLINE_CONFIG=/app/config.yaml
WORKDIR /app

COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY hotline ./hotline
RUN pip install .

COPY config.yaml ./
COPY seed ./seed

RUN useradd --system --uid 10001 --home-dir /app hotline
USER hotline

# docker-compose.yml sets the service module per container.
CMD ["python", "-m", "hotline.serve", "services.intake.service"]
