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
{{- define "infinity-pool.gateway.adminName" -}}
{{- printf "%s-gateway-admin" (include "infinity-pool.fullname" .) | trunc 63 | trimSuffix "-" }}
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
Zone spread (and host spread) for a Deployment.
No matchLabelKeys (pod-template-hash): the kube-scheduler would then count only the new ReplicaSet's
pods, while Karpenter, which provisions EKS Auto Mode's nodes, ignores matchLabelKeys and counts old
and new pods alike (kubernetes-sigs/karpenter#1569). With a strict (DoNotSchedule) constraint the two
then disagree on the zone a new node belongs in, and a rollout that needs a node hangs with Pending
pods. Counting every pod of the component, both read the constraint the same way; the price is that
the new ReplicaSet alone may end up one pod less even across zones after a rollout.
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
  - maxSkew: {{ .spread.maxSkew }}
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "infinity-pool.selectorLabels" (dict "ctx" .ctx "component" .component) | nindent 8 }}
{{- end }}
{{- end }}

{{/*
Backend settings as a name→value map. Rendered both into the backend ConfigMap (read by the
Deployment) and inline into the migration hook Job, which runs before any ConfigMap of this
release exists on first install. Only what the backend's loadConfig reads for the chosen database
source is set: DATABASE_URL (from urlSecret) or DB_HOST + DB_NAME + DB_SECRET_ID.
*/}}
{{- define "infinity-pool.backend.config" -}}
{{- $db := .Values.backend.database -}}
BACKEND_PORT: {{ .Values.backend.port | quote }}
LOG_LEVEL: {{ .Values.backend.logLevel | quote }}
SHUTDOWN_TIMEOUT_MS: {{ mul .Values.backend.shutdown.drainSeconds 1000 | quote }}
MIGRATE_ON_START: {{ (not .Values.migration.enabled) | toString | quote }}
DB_SSL_MODE: {{ $db.sslMode | quote }}
{{- if not $db.urlSecret.name }}
DB_HOST: {{ $db.host | quote }}
DB_PORT: {{ $db.port | quote }}
DB_NAME: {{ $db.name | quote }}
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
GATEWAY_ADMIN_PORT: {{ .Values.gateway.adminPort | quote }}
BACKEND_ADDRESS: {{ printf "dns:///%s.%s.svc.%s:%d" (include "infinity-pool.backend.headlessName" .) .Release.Namespace .Values.clusterDomain (int .Values.backend.port) | quote }}
LOG_LEVEL: {{ .Values.gateway.logLevel | quote }}
SHUTDOWN_TIMEOUT_MS: {{ mul .Values.gateway.shutdown.drainSeconds 1000 | quote }}
GATEWAY_WRITES_REQUIRE_HTTPS: {{ .Values.gateway.auth.writesRequireHttps | toString | quote }}
{{- with .Values.gateway.cors.allowedOrigins }}
GATEWAY_CORS_ALLOWED_ORIGINS: {{ join "," . | quote }}
{{- end }}
{{- range $k, $v := .Values.gateway.extraEnv }}
{{ $k }}: {{ $v | quote }}
{{- end }}
{{- end }}

{{/*
Write tokens. The Secret is mounted as a volume, never passed as an environment variable: kubelet
updates a mounted Secret in place (within its sync period, about a minute), and both services
re-read WRITE_TOKENS_FILE when it changes, so a changed token reaches running pods without a
restart. Not a subPath mount: those never receive updates. Without gateway.auth.existingSecret the
default name is mounted optionally, so pods start before anyone has created it and pick it up when
it appears.
*/}}
{{- define "infinity-pool.writeTokens.secretName" -}}
{{- default (printf "%s-gateway-auth" (include "infinity-pool.fullname" .)) .Values.gateway.auth.existingSecret }}
{{- end }}
{{- define "infinity-pool.writeTokens.dir" -}}
/etc/infinity-pool/write-tokens
{{- end }}
{{- define "infinity-pool.writeTokens.file" -}}
{{- printf "%s/%s" (include "infinity-pool.writeTokens.dir" .) .Values.gateway.auth.tokenKey }}
{{- end }}
{{- define "infinity-pool.writeTokens.volume" -}}
- name: write-tokens
  secret:
    secretName: {{ include "infinity-pool.writeTokens.secretName" . }}
    optional: {{ not .Values.gateway.auth.existingSecret }}
    # 0440 (written in decimal: YAML 1.1 and 1.2 read a leading 0 differently): readable by the
    # pod's group (fsGroup) only; the files stay owned by root.
    defaultMode: 288
    items:
      - key: {{ .Values.gateway.auth.tokenKey }}
        path: {{ .Values.gateway.auth.tokenKey }}
{{- end }}
{{- define "infinity-pool.writeTokens.volumeMount" -}}
- name: write-tokens
  mountPath: {{ include "infinity-pool.writeTokens.dir" . }}
  readOnly: true
{{- end }}
{{- define "infinity-pool.writeTokens.env" -}}
- name: WRITE_TOKENS_FILE
  value: {{ include "infinity-pool.writeTokens.file" . | quote }}
{{- end }}
