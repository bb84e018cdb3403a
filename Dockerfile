# cjis-scan as a container image for scheduled scans (Azure Container Apps jobs,
# Kubernetes CronJobs, any scheduler): docs/deploy/README.md.
#
#   docker build -t cjis-scan .
#   docker run --rm -e AZURE_TENANT_ID -e AZURE_CLIENT_ID -e AZURE_CLIENT_SECRET \
#     -e CJIS_SCAN_HISTORY=postgresql://... -v "$PWD/reports:/reports" cjis-scan
#
# The entry point (docs/deploy/entrypoint.sh) runs one scan, writes the reports under
# /reports/<UTC time>/ and records the run in $CJIS_SCAN_HISTORY.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY scanner ./scanner
COPY checks ./checks
COPY fixtures/demo ./fixtures/demo
RUN pip install --no-cache-dir --upgrade pip build \
 && python -m build --wheel --outdir /wheels .

FROM python:3.11-slim
# No compiler, no shell tools beyond the base image's; psycopg's binary wheel brings libpq.
RUN useradd --system --uid 10001 --home-dir /home/cjis --create-home cjis \
 && mkdir -p /reports /config && chown cjis /reports
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
COPY --chmod=0755 docs/deploy/entrypoint.sh /usr/local/bin/cjis-scan-job
USER 10001
WORKDIR /home/cjis
ENV CJIS_SCAN_OUTPUT=/reports PYTHONUNBUFFERED=1
VOLUME ["/reports"]
ENTRYPOINT ["/usr/local/bin/cjis-scan-job"]
