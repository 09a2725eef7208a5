# hsmca. Build stage: the README's build, `npm ci && npm run build` (what CI runs too, through
# scripts/ensure-node.sh), with the toolchain the native addons (pkcs11js, better-sqlite3) need;
# then the dev dependencies are pruned. Runtime stage: production dependencies only, a non-root
# user, SoftHSM2 for the demo. In production the vendor's PKCS#11 module is mounted read-only and
# named by HSMCA_PKCS11_MODULE; nothing vendor-specific is baked into the image.
# test/integration/dockerfile.e2e.test.ts checks these lines and runs ENTRYPOINT, CMD and HEALTHCHECK.
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY config ./config
RUN npm ci && npm run build
RUN npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends softhsm2 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/hsmca --shell /usr/sbin/nologin hsmca \
 && mkdir -p /var/lib/hsmca && chown hsmca:hsmca /var/lib/hsmca && chmod 0700 /var/lib/hsmca
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./
COPY src/api ./src/api
COPY config ./config
COPY scripts/docker-entrypoint.sh scripts/setup-softhsm.sh scripts/healthcheck.js ./scripts/
USER hsmca
ENV NODE_ENV=production HSMCA_LISTEN=0.0.0.0:8080 HSMCA_DATABASE=/var/lib/hsmca/hsmca.db HSMCA_VAR=/var/lib/hsmca HSMCA_LOG_FORMAT=json
VOLUME ["/var/lib/hsmca"]
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["node", "scripts/healthcheck.js"]
ENTRYPOINT ["scripts/docker-entrypoint.sh"]
CMD ["serve"]
