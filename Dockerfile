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

# pgBackRest 2.45 from Debian, the version the PostgreSQL and backup images run: the job runs its
# parser on every staged config (status.json: pgbackrest_check). Only its binary and the
# libraries it links are installed: the package's postgresql-common dependency (perl, ucf, ...)
# would add about 130 MB for nothing the parser uses. The version is pinned to 2.45 with a
# wildcard so Debian's point releases (2.45-1+deb12uN) keep building; the libraries follow
# Debian's security updates (hadolint DL3008 ignored for that reason).
# uid/gid 999: the postgres user of the official PostgreSQL image, which reads the secret files
# this job publishes (0640). Compose copies the mount point's owner into the new volume, and
# every image that mounts it creates that directory as 999:999 0755, so whichever is created
# last, the job can write.
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /tmp
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libbz2-1.0 liblz4-1 libpq5 libssl3 libxml2 libzstd1 zlib1g \
    && apt-get download 'pgbackrest=2.45*' \
    && dpkg-deb --fsys-tarfile pgbackrest_*.deb | tar -x -C / ./usr/bin/pgbackrest \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* /tmp/pgbackrest_*.deb \
    && pgbackrest version \
    && groupadd --system --gid 999 setup \
    && useradd --system --uid 999 --gid 999 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin setup \
    && install -d -o 999 -g 999 -m 0755 /pgbackrest-config
COPY --from=build /install /usr/local

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 999:999
WORKDIR /pgbackrest-config
ENTRYPOINT ["setup-service"]
CMD ["generate"]
