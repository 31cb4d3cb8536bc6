# One image for every service; docker-compose.yml and deploy/kubernetes pick the
# service with the command (python -m operate.serve services.<name>.service).
#
# Two stages: `build` installs the pinned dependencies into a virtualenv in a
# layer of their own (rebuilt only when pyproject.toml changes), then the
# project without its test extras; the runtime stage copies that virtualenv
# onto the same pinned base, with no compiler, no pip cache and no test code.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/hotline
WORKDIR /src
# The dependency layer: the runtime dependencies listed in pyproject.toml, nothing else.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > requirements.txt \
    && /opt/hotline/bin/pip install -r requirements.txt
# The project itself (its dependencies are in already).
COPY README.md ./
COPY shared ./shared
COPY services ./services
COPY hotline ./hotline
COPY operate ./operate
RUN /opt/hotline/bin/pip install --no-deps . \
    && /opt/hotline/bin/python -m compileall -q /opt/hotline/lib

FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PATH=/opt/hotline/bin:$PATH \
    HOTLINE_CONFIG=/app/config.yaml \
    HOTLINE_ENV=production LOG_FORMAT=json \
    MPLCONFIGDIR=/tmp/matplotlib
# A CJK font for the Chinese of insight's PDF report (考核通报): Debian's WenQuanYi Micro Hei.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin hotline
COPY --from=build /opt/hotline /opt/hotline
WORKDIR /app
COPY config.yaml ./
COPY seed ./seed
USER 10001
# intake 8000, followup 8001, insight 8002, routing 8003, notify 8004, callcentre 8005,
# console 8080:
# each service listens on its own (/health, /ready, /metrics on every one).
EXPOSE 8000 8001 8002 8003 8004 8005 8080
CMD ["python", "-m", "operate.serve", "services.intake.service"]
