# rnn-zoo: the HTTP service over the pretrained zoo, run as a non-root user.
#   docker build -t rnn-zoo . && docker run -p 3000:3000 rnn-zoo
#   curl -s localhost:3000/classify -H 'content-type: application/json' -d '{"texts":["a wonderful film"]}'
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TF_CPP_MIN_LOG_LEVEL=2

RUN useradd --create-home --uid 10001 zoo
WORKDIR /app

COPY pyproject.toml README.md LICENSE ./
COPY zoo ./zoo
COPY zoo_cli ./zoo_cli
COPY training ./training
COPY serving ./serving
# serving only: `pip install .` (training adds the [train] extra)
RUN pip install --no-cache-dir .

USER 10001
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/readyz', timeout=4)"]
ENTRYPOINT ["zoo"]
CMD ["serve", "--host", "0.0.0.0", "--port", "3000"]
