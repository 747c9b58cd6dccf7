{{/*
Rollout and shutdown timing of one component, derived here and nowhere else so the numbers cannot
drift apart. Returns YAML; use as (include "infinity-pool.timing" (dict "ctx" $ "component" "gateway") | fromYaml).
helm/test/rollout-timing.test.ts checks the inequalities below for every values file the chart ships.

Starting, behind the ALB (gateway with ingress.enabled). A new pod is Ready within seconds, but the
ALB routes to it only once the load balancer controller has registered its IP (R =
ingress.targetRegistrationSeconds) and healthyThreshold consecutive checks, intervalSeconds apart,
have passed; until then the target is "initial". EKS Auto Mode's managed controller injects no pod
readiness gate that would hold the rollout meanwhile, so minReadySeconds does: the pod counts as
available only after R + healthyThreshold x intervalSeconds, and with maxUnavailable 0 no old pod is
stopped while its replacement cannot yet take traffic.

Stopping. preStop sleeps P seconds while the controller deregisters the pod (after about R seconds
the ALB sends it no new requests) and endpoints and DNS drop it; SIGTERM then gives in-flight
requests D = drainSeconds (SHUTDOWN_TIMEOUT_MS). So P >= R (validated in _validate.tpl), and the
ALB's deregistration delay is the time the pod still answers after deregistration began, P + D - R:
shorter would cut requests the pod would finish, longer waits on a pod that has exited.
terminationGracePeriodSeconds = P + D + 5 leaves the process time to exit before SIGKILL.
*/}}
{{- define "infinity-pool.timing" -}}
{{- $root := .ctx -}}
{{- $v := index $root.Values .component -}}
{{- $preStop := int $v.shutdown.preStopSleepSeconds -}}
{{- $drain := int $v.shutdown.drainSeconds -}}
{{- $behindAlb := and (eq .component "gateway") $root.Values.ingress.enabled -}}
{{- $registration := int $root.Values.ingress.targetRegistrationSeconds -}}
{{- $hc := $root.Values.ingress.healthCheck -}}
preStopSleepSeconds: {{ $preStop }}
drainSeconds: {{ $drain }}
terminationGracePeriodSeconds: {{ add $preStop $drain 5 }}
{{- if $behindAlb }}
minReadySeconds: {{ add $registration (mul (int $hc.healthyThreshold) (int $hc.intervalSeconds)) }}
deregistrationDelaySeconds: {{ max 0 (sub (add $preStop $drain) $registration) }}
{{- else }}
minReadySeconds: 0
{{- end }}
{{- end }}
