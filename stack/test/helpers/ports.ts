// The ports each compose service listens on inside the compose network (docs/CONTRACT.md). Every
// host:port that a config names must be one of these; every port compose publishes must be one too.
export const servicePorts: Record<string, readonly number[]> = {
  'order-service': [8000],
  'inventory-service': [8010],
  'otel-collector': [4317, 4318, 8888, 8889, 13133, 1777, 55679],
  jaeger: [16686, 16685, 4317, 4318, 13133, 8888],
  loki: [3100, 9096],
  prometheus: [9090],
  grafana: [3000],
};
