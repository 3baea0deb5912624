# syntax=docker/dockerfile:1
#
# source-affinity image: build with the dev dependencies, run on a distroless Node.js 24 base with
# only the production dependencies. No shell, package manager or root user at runtime.
#   docker build -t source-affinity:0.1.0 .

# --- build: compile TypeScript, and the scanner's WebAssembly ----------------------------------
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
# AssemblyScript (a dev dependency) compiles src/extender/wasm/ into dist/src/extender/wasm/skip.wasm.
RUN npm run build:wasm

# --- deps: production node_modules only ------------------------------------------------------
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime -----------------------------------------------------------------------------------
FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
# glibc keeps up to 128 MiB of freed heap instead of returning it to the kernel at once. Node reads a
# request body into 64 KiB buffers from malloc; a Nodes-mode body of 9 MB is ~140 of them, freed
# together a few calls later, and with glibc's default (trim above 128 KiB) the next calls faulted
# those pages in again: ~1,800 page faults per call, a quarter of the CPU of a Nodes-mode
# prioritize. It changes when memory is given back, not how much is in use at the peak (what a
# memory limit sees); the synced live store's RSS is unchanged (docs/LIVE.md, "Memory").
# bench/ reads the ENV lines of this stage too.
ENV GLIBC_TUNABLES=glibc.malloc.trim_threshold=134217728
# package.json: "type": "module" and the version; config/: built-in driver presets.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY config ./config
COPY --from=build /src/dist/src ./dist/src
# Same uid/gid as the Deployment's securityContext (distroless "nonroot").
USER 65532:65532
EXPOSE 8443 8080
# --max-semi-space-size=4: V8 grows its young generation to 2 × 64 MB while the caches fill (most
# of what the informers allocate survives) and never returns those pages to the OS; capped at 4 MB
# the synced process's RSS is ~240 MiB instead of ~360 MiB for 125,000 cached objects (docs/LIVE.md,
# "Memory"). --initial-old-space-size=128: with a small heap (the benchmark extender's 44 MB)
# V8 sets its next full-GC limit less than a young generation above the live heap and starts marking
# again right after each full GC; measured on Nodes-mode calls of 9 MB, a full GC every one or two
# calls, a third of the CPU. 128 MB is the floor of that limit; heaps whose own limit is higher
# (the live caches of larger clusters) are unaffected. --external-memory-accounted-in-global-limit:
# Node copies every chunk of a request body into a buffer of its own, which V8 counts as external
# memory; by default 64 MB of it starts a full GC, which with Nodes-mode bodies of 9 MB was one
# every seven calls, over a third of the CPU. With the flag external memory counts against the heap's
# global limit instead, and the young-generation collections free those chunks first (Nodes-mode
# CPU per call 16.7 -> 9.9 ms; the synced live store's RSS ~7 MiB higher).
# bench/ reads the flags from this line, so the benchmark runs with them.
ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=4", "--initial-old-space-size=128", "--external-memory-accounted-in-global-limit", "bin/source-affinity.js"]
CMD ["serve", "--config", "/etc/source-affinity/config.yaml"]
