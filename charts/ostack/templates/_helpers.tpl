{{/*
Shared pieces of every object. A component's objects are named <release>-<component>, labelled
app.kubernetes.io/name=<component>, app.kubernetes.io/instance=<release>, app.kubernetes.io/component=<role>.
*/}}

{{/* <release>-<component>: (list $ "order-service") */}}
{{- define "ostack.name" -}}
{{- $ctx := index . 0 -}}
{{- printf "%s-%s" $ctx.Release.Name (index . 1) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels: (list $ "order-service") */}}
{{- define "ostack.selectorLabels" -}}
{{- $ctx := index . 0 -}}
app.kubernetes.io/name: {{ index . 1 }}
app.kubernetes.io/instance: {{ $ctx.Release.Name }}
{{- end -}}

{{/* All labels: (list $ "order-service" "app") */}}
{{- define "ostack.labels" -}}
{{- $ctx := index . 0 -}}
{{ include "ostack.selectorLabels" (list $ctx (index . 1)) }}
app.kubernetes.io/component: {{ index . 2 }}
app.kubernetes.io/part-of: ostack
app.kubernetes.io/version: {{ $ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $ctx.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" $ctx.Chart.Name $ctx.Chart.Version }}
{{- end -}}

{{/* repository:tag of an image: (list $ "orderService"); an empty tag is the chart's appVersion */}}
{{- define "ostack.image" -}}
{{- $ctx := index . 0 -}}
{{- $img := index $ctx.Values.image (index . 1) -}}
{{- printf "%s:%s" $img.repository (default $ctx.Chart.AppVersion $img.tag) -}}
{{- end -}}

{{/*
The pod's share of the hardening docker-compose.yml gives every container (x-hardened): a non-root uid, the
runtime's default seccomp profile, no service-account token (nothing here calls the Kubernetes API).
(list $ .Values.<component>.podSecurityContext)
*/}}
{{- define "ostack.podHardening" -}}
{{- $ctx := index . 0 -}}
automountServiceAccountToken: false
{{- with $ctx.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  runAsNonRoot: true
  {{- with (index . 1) }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
  fsGroupChangePolicy: OnRootMismatch
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{/* The container's share: read-only root, no privilege escalation, no capabilities (compose's cap_drop ALL,
no-new-privileges, read_only). What must be writable is an emptyDir or a volume. */}}
{{- define "ostack.containerHardening" -}}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  runAsNonRoot: true
  capabilities:
    drop: [ALL]
{{- end -}}

{{/* imagePullPolicy line */}}
{{- define "ostack.pullPolicy" -}}
imagePullPolicy: {{ .Values.image.pullPolicy }}
{{- end -}}

{{/* Hours of a duration written as <n>h (the schema allows only that form for retention values). */}}
{{- define "ostack.hours" -}}
{{- trimSuffix "h" . | atoi -}}
{{- end -}}

{{/*
.env's retention rule: traces outlive the logs that link to them. Loki drops a chunk up to
retention_delete_delay (2h) + compaction_interval (10m) after its newest line passes the retention; a day of margin
on top: traces >= logs + 26h10m, i.e. + 27 whole hours.
*/}}
{{- define "ostack.checkRetention" -}}
{{- $logs := include "ostack.hours" .Values.retention.logs | atoi -}}
{{- $traces := include "ostack.hours" .Values.retention.traces | atoi -}}
{{- if lt $traces (add $logs 27) -}}
{{- fail (printf "retention.traces (%dh) must be at least retention.logs + 27h (%dh): traces outlive the logs that link to them" $traces (add $logs 27)) -}}
{{- end -}}
{{- end -}}

{{/* Service URLs inside the cluster (same namespace). */}}
{{- define "ostack.url.tier1" -}}http://{{ include "ostack.name" (list . "collector-tier1") }}:4318{{- end -}}
{{- define "ostack.url.prometheus" -}}http://{{ include "ostack.name" (list . "prometheus") }}:9090{{- end -}}
{{- define "ostack.url.loki" -}}http://{{ include "ostack.name" (list . "loki") }}:3100{{- end -}}
{{- define "ostack.url.jaegerQuery" -}}http://{{ include "ostack.name" (list . "jaeger-query") }}:16686{{- end -}}

{{/* OpenSearch's URL for Jaeger and the index cleaner: the chart's (its client Service) or yours. */}}
{{- define "ostack.url.opensearch" -}}
{{- if .Values.opensearch.enabled -}}
http://{{ include "ostack.name" (list . "opensearch") }}:9200
{{- else -}}
{{- required "externalOpenSearch.url is required when opensearch.enabled=false" .Values.externalOpenSearch.url -}}
{{- end -}}
{{- end -}}

{{/* Whether Jaeger logs in to OpenSearch (an external cluster with a username). */}}
{{- define "ostack.opensearch.auth" -}}
{{- if and (not .Values.opensearch.enabled) .Values.externalOpenSearch.username -}}true{{- end -}}
{{- end -}}

{{/* The Secret holding the external OpenSearch password. */}}
{{- define "ostack.opensearch.secret" -}}
{{- default (include "ostack.name" (list . "opensearch-auth")) .Values.externalOpenSearch.existingSecret -}}
{{- end -}}

{{/* The Secret holding the services' DATABASE_URLs (keys order-service, inventory-service). */}}
{{- define "ostack.database.secret" -}}
{{- if .Values.postgresql.enabled -}}
{{- include "ostack.name" (list . "database") -}}
{{- else -}}
{{- default (include "ostack.name" (list . "database")) .Values.externalDatabase.existingSecret -}}
{{- end -}}
{{- end -}}

{{/* A service's DATABASE_URL, from the Secret: (list $ "order-service") */}}
{{- define "ostack.databaseEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "ostack.database.secret" (index . 0) }}
      key: {{ index . 1 }}
{{- end -}}

{{/*
A password that survives upgrades: the value if set, else the one in the existing Secret, else a new random one.
(list $ "<secret name>" "<key>" "<value>")
*/}}
{{- define "ostack.password" -}}
{{- $ctx := index . 0 -}}
{{- $value := index . 3 -}}
{{- if $value -}}
{{- $value -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" $ctx.Release.Namespace (index . 1) -}}
{{- if and $existing (hasKey $existing.data (index . 2)) -}}
{{- index $existing.data (index . 2) | b64dec -}}
{{- else -}}
{{- randAlphaNum 24 -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A PersistentVolumeClaim spec: (dict "persistence" .Values.x.persistence) */}}
{{- define "ostack.pvcSpec" -}}
accessModes: [ReadWriteOnce]
{{- with .persistence.storageClass }}
storageClassName: {{ . | quote }}
{{- end }}
resources:
  requests:
    storage: {{ .persistence.size }}
{{- end -}}

{{/* The sampling knobs both Collector tiers read as ${env:...}, and the pod name as collector.instance.id. */}}
{{- define "ostack.collector.env" -}}
- name: OSTACK_COLLECTOR_INSTANCE_ID
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: OSTACK_TRACES_SAMPLE_PERCENT
  value: {{ .Values.sampling.percent | quote }}
- name: OSTACK_TRACES_SLOW_MS
  value: {{ .Values.sampling.slowMs | quote }}
- name: OSTACK_LOGS_MIN_SEVERITY
  value: {{ .Values.sampling.logs.minSeverity | quote }}
- name: OSTACK_LOGS_ACCESS_SAMPLE_PERCENT
  value: {{ .Values.sampling.logs.accessPercent | quote }}
{{- end -}}

{{/* Replicas of one component spread over the nodes where there are several (soft: one node still runs them all).
(list $ "order-service") */}}
{{- define "ostack.spread" -}}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "ostack.selectorLabels" . | nindent 8 }}
{{- end -}}
