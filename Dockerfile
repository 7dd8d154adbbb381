# Build: the TypeScript compiled to dist/ with the development dependencies.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts are not needed to compile (no PostgreSQL, Node or ffmpeg binaries downloaded here).
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

# Run: Node 24, production dependencies only (no tsx, no embedded PostgreSQL, no build tools), not root.
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The pages' browser modules are bundled by esbuild when the service starts (src/web/assets.ts).
COPY src/web ./src/web
COPY scenarios ./scenarios
RUN mkdir -p /app/recordings /app/data && chown -R node:node /app/recordings /app/data
USER node
EXPOSE 3000
# ROLE=web|worker|all; a worker answers /healthz too. No curl in the slim image: Node asks.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
