# doc2video: one image for both processes. `docker run IMAGE` starts the web process;
# `docker run IMAGE node dist/src/main/worker.js` a worker (see docker-compose.yml).

# --- build: compile TypeScript and the upload page (Vite, into dist/page) with the dev dependencies, then keep only what runs
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.page.json vite.config.ts ./
COPY src ./src
COPY bots ./bots
COPY pipeline ./pipeline
RUN npm run build && npm prune --omit=dev

# --- run: Debian's ffmpeg, espeak-ng, poppler-utils and fonts, from the same list the install script reads
FROM node:20-bookworm-slim
WORKDIR /app
COPY scripts/system-packages.txt scripts/install-system-deps.sh ./scripts/
RUN bash scripts/install-system-deps.sh run && rm -rf /var/lib/apt/lists/*
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
ENV NODE_ENV=production DATA_DIR=/data PORT=3000
RUN mkdir -p /data && chown node:node /data
# Not root: the process needs nothing but /data and the network.
USER node
EXPOSE 3000
CMD ["node", "dist/src/main/web.js"]
