{{/* Chart name, at most 63 characters. */}}
{{- define "raftex-demo.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's objects. Pod names add "-<ordinal>" to it, so it is kept within 50 characters (the
StatefulSet controller adds a revision label of the pod name plus 11 characters, at most 63).
*/}}
{{- define "raftex-demo.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The headless Service that gives every pod a stable DNS name, for peer RPC. */}}
{{- define "raftex-demo.headlessName" -}}
{{- printf "%s-headless" (include "raftex-demo.fullname" .) }}
{{- end }}

{{- define "raftex-demo.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "raftex-demo.labels" -}}
helm.sh/chart: {{ include "raftex-demo.chart" . }}
{{ include "raftex-demo.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "raftex-demo.selectorLabels" -}}
app.kubernetes.io/name: {{ include "raftex-demo.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Name of the Secret that holds the cluster token (the key is clusterToken.existingSecretKey). */}}
{{- define "raftex-demo.secretName" -}}
{{- if .Values.clusterToken.existingSecret }}
{{- .Values.clusterToken.existingSecret }}
{{- else }}
{{- include "raftex-demo.fullname" . }}
{{- end }}
{{- end }}

{{/* Name of the Secret that holds the admin token (the key is adminToken.existingSecretKey). */}}
{{- define "raftex-demo.adminSecretName" -}}
{{- if .Values.adminToken.existingSecret }}
{{- .Values.adminToken.existingSecret }}
{{- else }}
{{- include "raftex-demo.fullname" . }}
{{- end }}
{{- end }}

{{/*
One token of the chart's Secret, base64-encoded: the value given, else the one the Secret already holds (so an
upgrade keeps a generated token), else a new random one. Takes (list value current), current being the Secret's
base64 data for the key or "".
*/}}
{{- define "raftex-demo.tokenData" -}}
{{- $value := index . 0 }}
{{- $current := index . 1 }}
{{- if $value }}
{{- $value | b64enc }}
{{- else if $current }}
{{- $current }}
{{- else }}
{{- randAlphaNum 40 | b64enc }}
{{- end }}
{{- end }}

{{- define "raftex-demo.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "raftex-demo.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* http, or https with tls.enabled. */}}
{{- define "raftex-demo.scheme" -}}
{{- if .Values.tls.enabled }}https{{ else }}http{{ end }}
{{- end }}

{{/* The client Service's DNS name, which the TLS certificate must carry (helm test, the ServiceMonitor). */}}
{{- define "raftex-demo.serviceHost" -}}
{{- printf "%s.%s.svc.%s" (include "raftex-demo.fullname" .) .Release.Namespace .Values.clusterDomain }}
{{- end }}

{{/* Label that lets a pod of the namespace through the NetworkPolicy. */}}
{{- define "raftex-demo.clientLabel" -}}
{{- printf "%s-client" (include "raftex-demo.fullname" .) }}
{{- end }}

{{/* Fails a TLS setting without its Secret. */}}
{{- define "raftex-demo.tlsSecretName" -}}
{{- required "tls.enabled needs tls.secretName: the Secret with the key and certificates" .Values.tls.secretName }}
{{- end }}

{{/*
raft.members: one "id=url" entry per replica, the id being the pod name and the url its stable DNS name on the
headless Service (https with tls.enabled), for example
raftex-demo-0=http://raftex-demo-0.raftex-demo-headless.default.svc.cluster.local:8080,...
*/}}
{{- define "raftex-demo.members" -}}
{{- $fullname := include "raftex-demo.fullname" . }}
{{- $headless := include "raftex-demo.headlessName" . }}
{{- $members := list }}
{{- range $i := until (int .Values.replicaCount) }}
{{- $pod := printf "%s-%d" $fullname $i }}
{{- $members = append $members (printf "%s=%s://%s.%s.%s.svc.%s:%d" $pod (include "raftex-demo.scheme" $) $pod $headless $.Release.Namespace $.Values.clusterDomain (int $.Values.containerPort)) }}
{{- end }}
{{- join "," $members }}
{{- end }}
