{{/*
A helm test Job that runs a short Node script in one of the release's own images: the images already
satisfy the restricted profile (numeric non-root user, read-only root) and need no extra pull.
Call with (dict "ctx" $ "name" "gateway-http" "image" .Values.gateway.image "script" "..." "env" (dict ...)).
*/}}
{{- define "infinity-pool.testJob" -}}
{{- $ctx := .ctx }}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ printf "%s-test-%s" (include "infinity-pool.fullname" $ctx) .name | trunc 63 | trimSuffix "-" }}
  namespace: {{ $ctx.Release.Namespace }}
  labels:
    {{- include "infinity-pool.labels" (dict "ctx" $ctx "component" "test") | nindent 4 }}
  annotations:
    helm.sh/hook: test
    helm.sh/hook-weight: {{ .weight | quote }}
    # Failed test Jobs stay for `kubectl logs`; passed ones are removed.
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  backoffLimit: 0
  activeDeadlineSeconds: 120
  template:
    metadata:
      labels:
        {{- include "infinity-pool.labels" (dict "ctx" $ctx "component" "test") | nindent 8 }}
    spec:
      restartPolicy: Never
      automountServiceAccountToken: false
      enableServiceLinks: false
      securityContext:
        {{- include "infinity-pool.podSecurityContext" $ctx | nindent 8 }}
      {{- with $ctx.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: check
          image: {{ include "infinity-pool.image" (dict "image" .image "ctx" $ctx) | quote }}
          imagePullPolicy: {{ .image.pullPolicy }}
          command: ["node", "--input-type=module", "-e"]
          args:
            - |
              {{- .script | trim | nindent 14 }}
          env:
            {{- range $k, $v := .env }}
            - name: {{ $k }}
              value: {{ $v | quote }}
            {{- end }}
          resources:
            requests:
              cpu: 10m
              memory: 64Mi
            limits:
              cpu: 200m
              memory: 128Mi
          securityContext:
            {{- include "infinity-pool.containerSecurityContext" $ctx | nindent 12 }}
          volumeMounts:
            {{- include "infinity-pool.tmpVolumeMount" $ctx | nindent 12 }}
      volumes:
        {{- include "infinity-pool.tmpVolume" $ctx | nindent 8 }}
{{- end }}
