#!/usr/bin/env bash
# Figures of a running compose stack: image sizes, what takes the space in the services' images (production
# dependencies only), each container's memory now. Needs DOCKER_HOST/COMPOSE_FILE/COMPOSE_PROJECT_NAME as the stack
# was started (the project names the services' images: ostack-order-service for a user's `docker compose up`).
set -euo pipefail
project="${COMPOSE_PROJECT_NAME:-ostack}"
if [ "${1:-}" = memory ]; then # memory LABEL: one line per container
  mapfile -t ids < <(docker compose ps -q)
  docker stats --no-stream --format "  memory ${2:-now}: {{.Name}} {{.MemUsage}}" "${ids[@]}"
  exit 0
fi
echo "image sizes:"
for id in $(docker compose --profile load images -q | sort -u); do
  docker image inspect -f '  {{index .RepoTags 0}} {{.Size}}' "$id"
done | awk '{ printf "  %-55s %6.0f MB\n", $1, $2 / 1e6 }'
echo "order-service image, largest production dependencies (MB):"
docker run --rm --entrypoint sh "$project-order-service" -c \
  'du -sm /app/node_modules/* /app/node_modules/@*/* 2>/dev/null | sort -rn | head -8' | awk '{ printf "  %5s %s\n", $1, $2 }'
