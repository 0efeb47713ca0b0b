# One image recipe for the Node workspaces (order-service, inventory-service, load-generator); compose passes the
# build arguments. Build context: the repo root (npm workspaces share one lockfile), e.g.
#   docker build --build-arg WORKSPACE=order-service .
# Behind a TLS-inspecting proxy, give npm its CA at build time only (never baked in): a BuildKit secret `npm_ca`,
#   docker build --secret id=npm_ca,src=/path/to/ca.pem ...   (compose passes $NODE_EXTRA_CA_CERTS when set)
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# ---- build: all dependencies of the workspace and its local packages, compiled with tsc -b
FROM ${NODE_IMAGE} AS build
ARG WORKSPACE=order-service
ARG LOCAL_DEPS="telemetry service-kit"
WORKDIR /app
# manifests first, so the npm ci layer stays cached until a package.json or the lockfile changes
COPY package.json package-lock.json tsconfig.base.json ./
COPY telemetry/package.json telemetry/
COPY service-kit/package.json service-kit/
COPY ${WORKSPACE}/package.json ${WORKSPACE}/
# The `--workspace` flags are meant to split into words (here and in the two RUNs below).
# hadolint ignore=SC2046
RUN --mount=type=secret,id=npm_ca \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi; \
    npm ci --include-workspace-root $(for w in $LOCAL_DEPS $WORKSPACE; do printf -- '--workspace %s ' "$w"; done) \
      --no-audit --no-fund
COPY telemetry/ telemetry/
COPY service-kit/ service-kit/
COPY ${WORKSPACE}/ ${WORKSPACE}/
# hadolint ignore=SC2046
RUN npm run build $(for w in $LOCAL_DEPS $WORKSPACE; do printf -- '--workspace %s ' "$w"; done) \
 && for w in $LOCAL_DEPS $WORKSPACE; do \
      mkdir -p "/out/manifests/$w" "/out/dist/$w" && cp "$w/package.json" "/out/manifests/$w/" && cp -r "$w/dist" "/out/dist/$w/"; \
    done

# ---- runtime: production dependencies and compiled output only
FROM ${NODE_IMAGE} AS runtime
ARG WORKSPACE=order-service
ARG LOCAL_DEPS="telemetry service-kit"
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=build /out/manifests/ ./
# hadolint ignore=SC2046
RUN --mount=type=secret,id=npm_ca \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi; \
    npm ci --omit=dev $(for w in $LOCAL_DEPS $WORKSPACE; do printf -- '--workspace %s ' "$w"; done) --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /out/dist/ ./
# files stay root-owned and read-only for the process; compose runs it as the host user (OSTACK_UID)
USER node
WORKDIR /app/${WORKSPACE}
# The OTel bootstrap is preloaded on CMD, not through NODE_OPTIONS, which every node process (healthchecks too)
# would inherit. Compose defines the healthchecks (the slim image has no curl: Node's own fetch).
CMD ["node", "--require", "@ostack/telemetry/register", "dist/main.js"]
