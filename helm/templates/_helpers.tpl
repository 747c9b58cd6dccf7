{{/*
Names. With the release called "infinity-pool" the fullname is just "infinity-pool", which is what
the contract with Terraform relies on (ServiceAccount "infinity-pool-backend").
*/}}
{{- define "infinity-pool.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "infinity-pool.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "infinity-pool.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Component-scoped names; 63 characters is the DNS label limit for Services. */}}
{{- define "infinity-pool.gateway.fullname" -}}
{{- printf "%s-gateway" (include "infinity-pool.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- define "infinity-pool.backend.fullname" -}}
{{- printf "%s-backend" (include "infinity-pool.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- define "infinity-pool.backend.headlessName" -}}
{{- printf "%s-backend-headless" (include "infinity-pool.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- define "infinity-pool.migration.fullname" -}}
{{- printf "%s-migrate" (include "infinity-pool.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "infinity-pool.gateway.serviceAccountName" -}}
{{- default (include "infinity-pool.gateway.fullname" .) .Values.gateway.serviceAccount.name }}
{{- end }}
{{- define "infinity-pool.backend.serviceAccountName" -}}
{{- default (include "infinity-pool.backend.fullname" .) .Values.backend.serviceAccount.name }}
{{- end }}

{{- define "infinity-pool.ingressClassName" -}}
{{- default (include "infinity-pool.fullname" .) .Values.ingress.ingressClass.name }}
{{- end }}
{{- define "infinity-pool.ingressClassParamsName" -}}
{{- default (include "infinity-pool.fullname" .) .Values.ingress.ingressClassParams.name }}
{{- end }}

{{/*
Labels. Call with (dict "ctx" $ "component" "gateway").
Selectors use only name + instance + component: those never change across upgrades, while
version and chart labels do and would make the immutable Deployment selector break upgrades.
*/}}
{{- define "infinity-pool.selectorLabels" -}}
app.kubernetes.io/name: {{ include "infinity-pool.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "infinity-pool.labels" -}}
{{ include "infinity-pool.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: {{ include "infinity-pool.name" .ctx }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
helm.sh/chart: {{ include "infinity-pool.chart" .ctx }}
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Image reference; a digest, when given, pins the exact bytes and wins over the tag.
Call with the service's image values and the root context: (dict "image" .Values.gateway.image "ctx" $).
*/}}
{{- define "infinity-pool.image" -}}
{{- $tag := .image.tag | default .ctx.Chart.AppVersion -}}
{{- if .image.digest -}}
{{- printf "%s@%s" .image.repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" .image.repository $tag -}}
{{- end -}}
{{- end }}

{{/*
Restricted Pod Security profile. Shared by every pod the chart creates, test pods included, so that
the namespace can enforce pod-security.kubernetes.io/enforce=restricted.
*/}}
{{- define "infinity-pool.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.podSecurity.runAsUser }}
runAsGroup: {{ .Values.podSecurity.runAsGroup }}
fsGroup: {{ .Values.podSecurity.runAsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "infinity-pool.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: {{ .Values.podSecurity.runAsUser }}
runAsGroup: {{ .Values.podSecurity.runAsGroup }}
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Node writes temp files (and npm caches) under /tmp; the root filesystem is read-only. */}}
{{- define "infinity-pool.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.podSecurity.tmpSizeLimit }}
{{- end }}
{{- define "infinity-pool.tmpVolumeMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/*
Shutdown budget. preStop keeps the pod serving while endpoints, DNS and the ALB stop sending it new
work; the application then drains for drainSeconds; a fixed margin covers process exit.
terminationGracePeriodSeconds is derived so that it can never be shorter than the two together.
*/}}
{{- define "infinity-pool.terminationGracePeriod" -}}
{{- add .shutdown.preStopSleepSeconds .shutdown.drainSeconds 5 }}
{{- end }}

{{/*
ALB deregistration delay: how long the ALB keeps in-flight requests on a draining target. It matches
the time the pod keeps answering (preStop + drain), so the ALB neither cuts requests the pod would
still finish nor waits on a pod that has already exited.
*/}}
{{- define "infinity-pool.albDeregistrationDelay" -}}
{{- add .Values.gateway.shutdown.preStopSleepSeconds .Values.gateway.shutdown.drainSeconds }}
{{- end }}

{{/*
Zone spread (and host spread) for a Deployment. matchLabelKeys pod-template-hash makes the skew count
only pods of the same ReplicaSet, so a rolling update is not blocked or skewed by the old pods.
Call with (dict "ctx" $ "component" "gateway" "spread" .Values.gateway.topologySpread).
*/}}
{{- define "infinity-pool.topologySpread" -}}
{{- if .spread.enabled -}}
topologySpreadConstraints:
  - maxSkew: {{ .spread.maxSkew }}
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: {{ .spread.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "infinity-pool.selectorLabels" (dict "ctx" .ctx "component" .component) | nindent 8 }}
    matchLabelKeys:
      - pod-template-hash
  - maxSkew: {{ .spread.maxSkew }}
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "infinity-pool.selectorLabels" (dict "ctx" .ctx "component" .component) | nindent 8 }}
    matchLabelKeys:
      - pod-template-hash
{{- end }}
{{- end }}

{{/*
Backend settings as a name→value map. Rendered both into the backend ConfigMap (read by the
Deployment) and inline into the migration hook Job, which runs before any ConfigMap of this
release exists on first install.
*/}}
{{- define "infinity-pool.backend.config" -}}
{{- $db := .Values.backend.database -}}
BACKEND_PORT: {{ .Values.backend.port | quote }}
LOG_LEVEL: {{ .Values.backend.logLevel | quote }}
SHUTDOWN_TIMEOUT_MS: {{ mul .Values.backend.shutdown.drainSeconds 1000 | quote }}
MIGRATE_ON_START: {{ (not .Values.migration.enabled) | toString | quote }}
DB_SSL_MODE: {{ $db.sslMode | quote }}
{{- if $db.host }}
DB_HOST: {{ $db.host | quote }}
{{- end }}
DB_PORT: {{ $db.port | quote }}
{{- if $db.name }}
DB_NAME: {{ $db.name | quote }}
{{- end }}
{{- if $db.secretId }}
DB_SECRET_ID: {{ $db.secretId | quote }}
{{- end }}
{{- if $db.sslCaFile }}
DB_SSL_CA_FILE: {{ $db.sslCaFile | quote }}
{{- end }}
{{- if .Values.backend.aws.region }}
AWS_REGION: {{ .Values.backend.aws.region | quote }}
{{- end }}
{{- range $k, $v := .Values.backend.extraEnv }}
{{ $k }}: {{ $v | quote }}
{{- end }}
{{- end }}

{{- define "infinity-pool.gateway.config" -}}
GATEWAY_PORT: {{ .Values.gateway.port | quote }}
BACKEND_ADDRESS: {{ printf "dns:///%s.%s.svc.%s:%d" (include "infinity-pool.backend.headlessName" .) .Release.Namespace .Values.clusterDomain (int .Values.backend.port) | quote }}
LOG_LEVEL: {{ .Values.gateway.logLevel | quote }}
SHUTDOWN_TIMEOUT_MS: {{ mul .Values.gateway.shutdown.drainSeconds 1000 | quote }}
{{- range $k, $v := .Values.gateway.extraEnv }}
{{ $k }}: {{ $v | quote }}
{{- end }}
{{- end }}

{{/*
extraEnv must not shadow a variable the chart manages: duplicate env names are rejected by
server-side apply (Helm 4's default) and silently override under client-side apply.
*/}}
{{- define "infinity-pool.assertNoEnvOverride" -}}
{{- range $k, $_ := .extra }}
{{- if has $k $.reserved }}
{{- fail (printf "%s.extraEnv.%s: this variable is set by the chart; use the dedicated value instead" $.component $k) }}
{{- end }}
{{- end }}
{{- end }}

{{/* Checks that span several values and so cannot live in values.schema.json. */}}
{{- define "infinity-pool.validate" -}}
{{- if and .Values.ingress.enabled (not .Values.ingress.ingressClass.create) (not .Values.ingress.ingressClass.name) }}
{{- fail "ingress.ingressClass.name: required when ingress.ingressClass.create is false (the existing IngressClass to use)" }}
{{- end }}
{{- if and .Values.ingress.enabled .Values.ingress.ingressClass.create (not .Values.ingress.ingressClassParams.create) (not .Values.ingress.ingressClassParams.name) }}
{{- fail "ingress.ingressClassParams.name: required when ingress.ingressClassParams.create is false (the existing IngressClassParams to reference)" }}
{{- end }}
{{- range $svc := list "gateway" "backend" }}
{{- $v := index $.Values $svc }}
{{- if and $v.autoscaling.enabled (gt (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas)) }}
{{- fail (printf "%s.autoscaling.minReplicas (%d) must not exceed maxReplicas (%d)" $svc (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas)) }}
{{- end }}
{{- end }}
{{- include "infinity-pool.assertNoEnvOverride" (dict "component" "gateway" "extra" .Values.gateway.extraEnv "reserved" (list "GATEWAY_PORT" "BACKEND_ADDRESS" "LOG_LEVEL" "SHUTDOWN_TIMEOUT_MS" "GATEWAY_WRITE_TOKENS")) }}
{{- include "infinity-pool.assertNoEnvOverride" (dict "component" "backend" "extra" .Values.backend.extraEnv "reserved" (list "BACKEND_PORT" "LOG_LEVEL" "SHUTDOWN_TIMEOUT_MS" "MIGRATE_ON_START" "DB_SSL_MODE" "DB_HOST" "DB_PORT" "DB_NAME" "DB_SECRET_ID" "DB_SSL_CA_FILE" "AWS_REGION" "DATABASE_URL")) }}
{{- end }}
