FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY src ./src
COPY scenarios ./scenarios
RUN mkdir -p /app/recordings /app/data && chown -R node:node /app/recordings /app/data
USER node
EXPOSE 3000
CMD ["node_modules/.bin/tsx", "src/main.ts"]
