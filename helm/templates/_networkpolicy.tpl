{{/* Egress rules shared by the backend and migration NetworkPolicies. */}}
{{- define "infinity-pool.egress.dns" -}}
# DNS: EKS Auto Mode resolves on the node as well as through CoreDNS pods, so the rule is by port.
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end }}
{{- define "infinity-pool.egress.aws" -}}
{{- $np := .Values.networkPolicy -}}
# PostgreSQL (Aurora).
- ports:
    - port: {{ .Values.backend.database.port }}
      protocol: TCP
  {{- with $np.databaseCidrs }}
  to:
    {{- range . }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  {{- end }}
# HTTPS to AWS APIs: Secrets Manager for the database credentials, STS for IRSA.
- ports:
    - port: 443
      protocol: TCP
  {{- with $np.httpsCidrs }}
  to:
    {{- range . }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  {{- end }}
{{- if $np.allowPodIdentityAgent }}
# The EKS Pod Identity Agent listens on a link-local address of each node.
- ports:
    - port: 80
      protocol: TCP
  to:
    - ipBlock:
        cidr: 169.254.170.23/32
    - ipBlock:
        cidr: fd00:ec2::23/128
{{- end }}
{{- end }}
