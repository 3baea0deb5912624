# syntax=docker/dockerfile:1
#
# source-affinity image: build with the dev dependencies, run on a distroless Node.js 24 base with
# only the production dependencies. No shell, package manager or root user at runtime.
#   docker build -t source-affinity:0.1.0 .

# --- build: compile TypeScript ---------------------------------------------------------------
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the base image already is Node 24, so the "node" devDependency's install step
# (and the prepare script, run below explicitly) are not needed.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# tsconfig.build.json compiles src/ only, into the same dist/src layout bin/ expects.
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json

# --- deps: production node_modules only ------------------------------------------------------
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime -----------------------------------------------------------------------------------
FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
# package.json: "type": "module" and the version; config/: built-in driver presets.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY config ./config
COPY --from=build /src/dist/src ./dist/src
# Same uid/gid as the Deployment's securityContext (distroless "nonroot").
USER 65532:65532
EXPOSE 8443 8080
ENTRYPOINT ["/nodejs/bin/node", "bin/source-affinity.js"]
CMD ["serve", "--config", "/etc/source-affinity/config.yaml"]
