FROM python:3.13-slim-bookworm

# WeasyPrint renders the printable records; it needs Pango and fonts.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app

COPY requirements.txt ./
# Production dependencies only (the test and lint tools are in requirements-dev.txt), checked against their hashes.
RUN pip install --no-cache-dir --require-hashes -r requirements.txt

COPY . .
RUN useradd --system --home-dir /app planner && chown -R planner /app
USER planner

EXPOSE 8000
ENTRYPOINT ["./entrypoint.sh"]
