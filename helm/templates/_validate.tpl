{{/*
Checks that span several values, or tie a value to another layer (AWS, Terraform), and so cannot
live in values.schema.json. Each failure is one line that names the values to change.
Included once, from gateway-deployment.yaml.
*/}}
{{- define "infinity-pool.validate" -}}
{{- $v := .Values -}}
{{- /* What has no default: without it nothing can start. Reported together, in one line. */ -}}
{{- $missing := list -}}
{{- if not $v.gateway.image.repository }}{{ $missing = append $missing "gateway.image.repository" }}{{ end -}}
{{- if not $v.backend.image.repository }}{{ $missing = append $missing "backend.image.repository" }}{{ end -}}
{{- $db := $v.backend.database -}}
{{- if not $db.urlSecret.name -}}
{{- $dbMissing := list -}}
{{- if not $db.host }}{{ $dbMissing = append $dbMissing "backend.database.host" }}{{ end -}}
{{- if not $db.secretId }}{{ $dbMissing = append $dbMissing "backend.database.secretId" }}{{ end -}}
{{- if $dbMissing }}{{ $missing = append $missing (printf "%s (or backend.database.urlSecret.name)" (join " and " $dbMissing)) }}{{ end -}}
{{- end -}}
{{- if $missing }}
{{- fail (printf "values missing: set %s (helm/ci/minimal-values.yaml shows the least that installs)" (join ", " $missing)) }}
{{- end }}
{{- if and $db.urlSecret.name (or $db.host $db.secretId) }}
{{- fail "backend.database: set either urlSecret.name (a DATABASE_URL Secret) or host and secretId (Aurora with Secrets Manager), not both" }}
{{- end }}

{{- /* EKS Pod Identity hands out credentials for one namespace and ServiceAccount name only. */ -}}
{{- $pia := $v.backend.podIdentityAssociation -}}
{{- if and (not $v.backend.serviceAccount.roleArn) (or $pia.namespace $pia.serviceAccount) }}
{{- $sa := include "infinity-pool.backend.serviceAccountName" . -}}
{{- if or (ne $pia.namespace .Release.Namespace) (ne $pia.serviceAccount $sa) }}
{{- fail (printf "backend.podIdentityAssociation: the EKS Pod Identity association is for ServiceAccount %s/%s, but this release runs the backend as %s/%s; install into that namespace with a matching release name, fullnameOverride or backend.serviceAccount.name, or set backend.podIdentityAssociation to the association Terraform made" $pia.namespace $pia.serviceAccount .Release.Namespace $sa) }}
{{- end }}
{{- end }}

{{- if and $v.ingress.enabled (not $v.ingress.ingressClass.create) (not $v.ingress.ingressClass.name) }}
{{- fail "ingress.ingressClass.name: required when ingress.ingressClass.create is false (the existing IngressClass to use)" }}
{{- end }}
{{- if and $v.ingress.enabled $v.ingress.ingressClass.create (not $v.ingress.ingressClassParams.create) (not $v.ingress.ingressClassParams.name) }}
{{- fail "ingress.ingressClassParams.name: required when ingress.ingressClassParams.create is false (the existing IngressClassParams to reference)" }}
{{- end }}
{{- $hc := $v.ingress.healthCheck -}}
{{- if ge (int $hc.timeoutSeconds) (int $hc.intervalSeconds) }}
{{- fail (printf "ingress.healthCheck.timeoutSeconds (%d) must be less than intervalSeconds (%d): the ALB rejects a health check whose timeout is not shorter than its interval" (int $hc.timeoutSeconds) (int $hc.intervalSeconds)) }}
{{- end }}
{{- if and $v.ingress.enabled (lt (int $v.gateway.shutdown.preStopSleepSeconds) (int $v.ingress.targetRegistrationSeconds)) }}
{{- fail (printf "gateway.shutdown.preStopSleepSeconds (%d) must be at least ingress.targetRegistrationSeconds (%d): the ALB would still send new requests after SIGTERM" (int $v.gateway.shutdown.preStopSleepSeconds) (int $v.ingress.targetRegistrationSeconds)) }}
{{- end }}
{{- if eq (int $v.gateway.port) (int $v.gateway.adminPort) }}
{{- fail (printf "gateway.adminPort (%d) must differ from gateway.port: metrics must not be reachable through the public port" (int $v.gateway.adminPort)) }}
{{- end }}

{{- range $svc := list "gateway" "backend" }}
{{- $s := index $v $svc }}
{{- if and $s.autoscaling.enabled (gt (int $s.autoscaling.minReplicas) (int $s.autoscaling.maxReplicas)) }}
{{- fail (printf "%s.autoscaling.minReplicas (%d) must not exceed maxReplicas (%d)" $svc (int $s.autoscaling.minReplicas) (int $s.autoscaling.maxReplicas)) }}
{{- end }}
{{- end }}
{{- /* Write tokens never go into the pod spec: they would sit in the Deployment in clear text. */ -}}
{{- $tokenVars := list "WRITE_TOKENS" "WRITE_TOKENS_FILE" "GATEWAY_WRITE_TOKENS" -}}
{{- include "infinity-pool.assertNoEnvOverride" (dict "component" "gateway" "extra" $v.gateway.extraEnv "reserved" (concat $tokenVars (list "GATEWAY_PORT" "GATEWAY_ADMIN_PORT" "BACKEND_ADDRESS" "LOG_LEVEL" "SHUTDOWN_TIMEOUT_MS" "GATEWAY_WRITES_REQUIRE_HTTPS" "GATEWAY_CORS_ALLOWED_ORIGINS"))) }}
{{- include "infinity-pool.assertNoEnvOverride" (dict "component" "backend" "extra" $v.backend.extraEnv "reserved" (concat $tokenVars (list "BACKEND_PORT" "LOG_LEVEL" "SHUTDOWN_TIMEOUT_MS" "MIGRATE_ON_START" "DB_SSL_MODE" "DB_HOST" "DB_PORT" "DB_NAME" "DB_SECRET_ID" "DB_SSL_CA_FILE" "AWS_REGION" "DATABASE_URL"))) }}
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
