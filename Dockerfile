# The setup job: turns environment variables into the pgBackRest configuration volume.
# Build: docker compose build setup (or docker build -t salespider/setup-service .)
FROM python:3.11-slim-bookworm AS build

# Every dependency, and the build backend, pinned by docker/setup/constraints.txt.
ENV PIP_CONSTRAINT=/src/docker/setup/constraints.txt \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
# .dockerignore lets only the package (code, templates, schemas) and its metadata in.
COPY . .
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim-bookworm

# uid/gid 999: the postgres user of the official PostgreSQL image, which reads the secret files
# this job publishes (0640). The volume takes the mount point's owner when it is first created.
RUN groupadd --system --gid 999 setup \
    && useradd --system --uid 999 --gid 999 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin setup \
    && mkdir /pgbackrest-config \
    && chown 999:999 /pgbackrest-config
COPY --from=build /install /usr/local

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 999:999
WORKDIR /pgbackrest-config
ENTRYPOINT ["setup-service"]
CMD ["generate"]
