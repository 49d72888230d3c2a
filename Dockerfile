# hsp serve as a container image: an HSP Marketplace Service configured from the environment only.
#
#   docker build -t hsp .
#   docker run -d --name marketplace -p 3000:3000 -v hsp-data:/data hsp
#   docker exec marketplace hsp serve token        # a fresh administrator token
#
# The embedded database (PGlite) keeps its files in the /data volume. On PostgreSQL instead:
#   docker run -d -p 3000:3000 -e DATABASE_URL=postgres://user:password@db:5432/hsp hsp
# Migrations run at start, under a lock, so replicas may start together. Every flag of
# `hsp serve` has an environment variable (README: "Configuration and environment variables").
#
# NODE_IMAGE is an argument so that an image can be built where Docker Hub is out of reach,
# from any Debian-like image that has Node.js 20.19 or later, npm, a `node` user and a shell.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# The dependencies first, so that a change to the sources reuses their layer. Their install runs
# the package's own lifecycle scripts, which live in scripts/.
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
# HOST: a container's loopback is useless to anyone else. HSP_NO_KEYRING: there is no keychain.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    HSP_DATA_DIR=/data \
    HSP_NO_KEYRING=1
WORKDIR /opt/hsp
COPY --from=build /src/package.json ./
COPY --from=build /src/bin ./bin
COPY --from=build /src/dist ./dist
COPY --from=build /src/node_modules ./node_modules
RUN ln -s /opt/hsp/bin/hsp /usr/local/bin/hsp \
 && mkdir -p /data \
 && chown node:node /data \
 && chmod 0700 /data
USER node
VOLUME ["/data"]
EXPOSE 3000
# /status answers once the database does; it reads the port from the same environment.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/status`, { headers: { accept: 'application/json' } }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["hsp", "serve"]
