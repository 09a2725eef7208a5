# hsmca: build stage compiles TypeScript and the native addons (pkcs11js, better-sqlite3);
# the runtime stage carries only production dependencies, runs as a non-root user, and includes
# SoftHSM2 for the demo. In production, mount the vendor's PKCS#11 module and point
# HSMCA_PKCS11_MODULE at it.
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY config ./config
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends softhsm2 openssl && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /var/lib/hsmca hsmca && mkdir -p /var/lib/hsmca && chown hsmca /var/lib/hsmca
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./
COPY src/api ./src/api
COPY config ./config
USER hsmca
ENV HSMCA_LISTEN=0.0.0.0:8080 HSMCA_DATABASE=/var/lib/hsmca/hsmca.db NODE_ENV=production
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s CMD node -e "fetch('http://127.0.0.1:8080/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["serve"]
