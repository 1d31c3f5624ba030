# syntax=docker/dockerfile:1
# Tessera auth service: production image.
#
#   docker build -t tessera .
#   docker run -p 3000:3000 -v tessera-data:/data \
#     -e KEYS_ENCRYPTION_SECRET="$(openssl rand -base64 48)" -e JWT_ISSUER=https://auth.example.com tessera
#
# KEYS_ENCRYPTION_SECRET (at least 32 bytes) is REQUIRED: with NODE_ENV=production the service
# refuses to start without it. It encrypts the signing keys at rest; give it at run time (env or an
# orchestrator secret), never in the image, and keep it: losing it loses the signing keys.
# Without DATABASE_URL the embedded database lives in the /data volume (one container per volume:
# the data directory is locked); with DATABASE_URL=postgres://… the volume holds nothing needed.

# ---- build: full dependencies, compile TypeScript -----------------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
# The lock file alone first: the npm ci layer is reused until dependencies change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# Everything else the build may read (.dockerignore keeps node_modules, dist, data, .git out).
COPY . .
# `npm run build` is `nest build auth-service`, the service bundled into dist/auth-service.js (what
# runs), the admin console's static files in dist/console and the embedded database's template
# cluster in dist/pglite-cluster; the CLI commands run from the compiled tree in dist/apps.
RUN npm run build

# ---- runtime: production dependencies and the compiled output only -----------------------------
FROM node:20-bookworm-slim AS runtime
WORKDIR /app
COPY package.json package-lock.json ./
# argon2 ships prebuilt binaries for linux x64/arm64 glibc: no compiler in this stage. Loading it
# here makes a missing binary fail the build, not the first login.
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force \
 && node -e "require('argon2')"
COPY --from=build /app/dist ./dist

# NO_COLOR: Nest colours its log lines whatever the output; escape codes do not belong in log files.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data NO_COLOR=1

# The image's files stay root-owned (read-only to the service); only /data is writable, by the
# unprivileged `node` user (uid 1000) of the base image. Created before VOLUME so that a new named
# volume starts with this ownership.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000

# Ready = the database answers (and Redis, when REDIS_URL is set). A first start on the embedded
# database copies the build's migrated template cluster, starts PGlite and generates keys: a few
# seconds on a small machine (initdb and the migrations too when the template cannot be used).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# main.ts drains in-flight requests and closes the database on SIGTERM (forced exit after 25 s).
# Docker's default grace is 10 s before SIGKILL: use `docker stop -t 30` / stop_grace_period: 30s
# so that the embedded database is always closed cleanly.
STOPSIGNAL SIGTERM
# node directly, not `npm start`: its prestart would try to rebuild, and npm would stand between
# the signal and the service as PID 1. The V8 flags are `npm start`'s (package.json): V8 collects
# sooner instead of growing the heap under load (RSS under load about 200 MiB instead of 330), and
# does not shrink the heap when the service goes idle (that dropped the compiled code, which the
# next burst of requests paid for again: README, "Benchmarks"); the young generation starts at its
# full 8 MiB and the old one at 64 MiB, so that a start runs fewer collections.
CMD ["node", "--min-semi-space-size=8", "--max-semi-space-size=8", "--initial-old-space-size=64", "--max-old-space-size=192", "--no-memory-reducer", "dist/auth-service.js"]
