# xbot as a container: `docker build --build-arg XBOT_GIT_SHA="$(git rev-parse HEAD)" -t xbot .`
# The same image runs every role; the command picks one (xbot worker, xbot web, xbot migrate).
ARG PYTHON_VERSION=3.11

# --- build: the wheel, exactly what `pip install xbot` would install ---
FROM python:${PYTHON_VERSION}-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir "build>=1.2"
COPY pyproject.toml README.md hatch_build.py ./
COPY src ./src
RUN python -m build --wheel --outdir /dist

# --- run: the wheel in a slim image, as an unprivileged user ---
FROM python:${PYTHON_VERSION}-slim
# the SHA this image runs (DESIGN: the fence compares it with `xbot deploy mark`); a PaaS that
# sets its own variable (RAILWAY_GIT_COMMIT_SHA, RENDER_GIT_COMMIT, ...) is read first
ARG XBOT_GIT_SHA=""
ENV XBOT_GIT_SHA=${XBOT_GIT_SHA} \
    PORT=8080 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /dist/*.whl /tmp/
RUN pip install /tmp/*.whl && rm /tmp/*.whl \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin xbot
USER xbot
WORKDIR /home/xbot
EXPOSE ${PORT}
# /health answers within milliseconds of the start and 503 once the job runner died
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8080') + '/health', timeout=4)"]
CMD ["xbot", "worker"]
