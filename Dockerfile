# syntax=docker/dockerfile:1
# One image for every tg-commerce process (api, worker, bot, migrate): TypeScript runs through tsx
# (no compile step). docker-compose.yml picks the process with `command`.
FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. Runtime dependencies only:
# tsx, the Temporal SDK and drizzle's migrator are all regular dependencies.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

COPY . .
# Production workers load a prebuilt workflow bundle instead of bundling at every start (and fall
# back to bundling when it is missing).
RUN npm run --if-present build:workflows
# The Mini App pages, bundled from npm packages (the api only serves them; /app is read-only at run time).
RUN npm run build:mini-app

# The code stays root-owned and read-only for the process; tsx caches compiled files in /tmp.
USER node

EXPOSE 8080
CMD ["npx", "tsx", "api/server.ts"]
