# rnn-zoo: the package and its command line, run as a non-root user.
# The serving issue adds the BentoML service as the default command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TF_CPP_MIN_LOG_LEVEL=2

RUN useradd --create-home --uid 10001 zoo
WORKDIR /app

COPY pyproject.toml README.md ./
COPY zoo ./zoo
COPY training ./training
COPY serving ./serving
RUN pip install --no-cache-dir .

USER 10001
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s CMD ["zoo", "--help"]
ENTRYPOINT ["zoo"]
CMD ["--help"]
