{{/* Chart name. */}}
{{- define "statusprobe.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: <release>-<chart>, or the release name when it contains the chart name. */}}
{{- define "statusprobe.fullname" -}}
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

{{- define "statusprobe.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: stable across upgrades. */}}
{{- define "statusprobe.selectorLabels" -}}
app.kubernetes.io/name: {{ include "statusprobe.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Common labels. */}}
{{- define "statusprobe.labels" -}}
helm.sh/chart: {{ include "statusprobe.chart" . }}
{{ include "statusprobe.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: statusprobe
{{- end }}

{{- define "statusprobe.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "statusprobe.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* registry/repository:tag or @digest; the tag defaults to the chart's appVersion. */}}
{{- define "statusprobe.image" -}}
{{- $repo := .Values.image.repository }}
{{- if .Values.image.registry }}
{{- $repo = printf "%s/%s" .Values.image.registry .Values.image.repository }}
{{- end }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $repo .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repo (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/* The Secret mounted as files: the existing one, or the chart's when `secrets` is set. */}}
{{- define "statusprobe.secretName" -}}
{{- if .Values.existingSecret }}
{{- .Values.existingSecret }}
{{- else if .Values.secrets }}
{{- include "statusprobe.fullname" . }}
{{- end }}
{{- end }}

{{/* The Secret holding web.yml (--web.config.file): the existing one, or the chart's. */}}
{{- define "statusprobe.webConfigSecretName" -}}
{{- if .Values.webConfig.existingSecret }}
{{- .Values.webConfig.existingSecret }}
{{- else }}
{{- printf "%s-web-config" (include "statusprobe.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* Where the web config and the TLS Secret are mounted (not under /etc/statusprobe: the
config ConfigMap is mounted there, read-only). */}}
{{- define "statusprobe.webConfigDir" -}}/etc/statusprobe-web{{- end }}
{{- define "statusprobe.tlsDir" -}}/etc/statusprobe-tls{{- end }}

{{/* Fails rendering when webConfig's tls/basicAuth/clientCert flags disagree with the
inline web config, when what the ServiceMonitor needs is missing, or when extraArgs repeats
the shard flags that `shards` sets; renders nothing. */}}
{{- define "statusprobe.webConfigChecks" -}}
{{- if gt (int .Values.shards) 1 }}
{{- range .Values.extraArgs }}
{{- if hasPrefix "--shard." . }}
{{- fail (printf "extraArgs has %s but shards is set: the chart gives each Deployment its --shard.index and --shard.count" .) }}
{{- end }}
{{- end }}
{{- end }}
{{- $w := .Values.webConfig }}
{{- if $w.enabled }}
{{- if and (not $w.config) (not $w.existingSecret) }}
{{- fail "webConfig.enabled: set webConfig.config (the web config) or webConfig.existingSecret (a Secret with the key web.yml)" }}
{{- end }}
{{- if and $w.config $w.existingSecret }}
{{- fail "webConfig: set webConfig.config or webConfig.existingSecret, not both" }}
{{- end }}
{{- with $w.config }}
{{- $tls := false }}
{{- if hasKey . "tls_server_config" }}{{ $tls = not (kindIs "invalid" (get . "tls_server_config")) }}{{ end }}
{{- $users := and (hasKey . "basic_auth_users") (not (empty (get . "basic_auth_users"))) }}
{{- $clientAuth := "NoClientCert" }}
{{- if $tls }}{{ $clientAuth = (get (get . "tls_server_config" | default dict) "client_auth_type") | default "NoClientCert" }}{{ end }}
{{- if ne $tls $w.tls }}
{{- fail (printf "webConfig.tls is %v but webConfig.config %s tls_server_config: make them agree" $w.tls (ternary "has" "has no" $tls)) }}
{{- end }}
{{- if ne $users $w.basicAuth }}
{{- fail (printf "webConfig.basicAuth is %v but webConfig.config %s basic_auth_users: make them agree" $w.basicAuth (ternary "has" "has no" $users)) }}
{{- end }}
{{- if ne (eq $clientAuth "RequireAndVerifyClientCert") $w.clientCert }}
{{- fail (printf "webConfig.clientCert is %v but webConfig.config's client_auth_type is %s: make them agree (true only for RequireAndVerifyClientCert)" $w.clientCert $clientAuth) }}
{{- end }}
{{- end }}
{{- if and $w.clientCert (not $w.tls) }}
{{- fail "webConfig.clientCert needs webConfig.tls" }}
{{- end }}
{{- if and $w.tlsSecret (not $w.tls) }}
{{- fail "webConfig.tlsSecret is set but webConfig.tls is false: the web config must use it (tls_server_config.cert_file: /etc/statusprobe-tls/tls.crt, key_file: /etc/statusprobe-tls/tls.key)" }}
{{- end }}
{{- if and .Values.serviceMonitor.enabled $w.basicAuth (not $w.basicAuthSecret.name) }}
{{- fail "webConfig.basicAuth with serviceMonitor.enabled: set webConfig.basicAuthSecret.name (a Secret with the scrape user's name and plain password)" }}
{{- end }}
{{- if and .Values.serviceMonitor.enabled $w.tls (not .Values.serviceMonitor.tlsConfig) (not $w.tlsSecret) }}
{{- fail "webConfig.tls with serviceMonitor.enabled: set serviceMonitor.tlsConfig (how Prometheus verifies the certificate) or webConfig.tlsSecret (its ca.crt is used)" }}
{{- end }}
{{- end }}
{{- end }}

{{/* "true" when the kubelet's httpGet probes cannot pass: every request needs a password
or a client certificate, which the kubelet cannot give without putting a secret in the pod
spec. Then the probes are tcpSocket probes on the same port. */}}
{{- define "statusprobe.tcpProbes" -}}
{{- if and .Values.webConfig.enabled (or .Values.webConfig.basicAuth .Values.webConfig.clientCert) }}true{{ end }}
{{- end }}

{{/* A liveness or readiness probe: the values' one, adapted to the web config. */}}
{{- define "statusprobe.probe" -}}
{{- $probe := deepCopy .probe }}
{{- if include "statusprobe.tcpProbes" .root }}
{{- if hasKey $probe "httpGet" }}
{{- $_ := unset $probe "httpGet" }}
{{- $_ := set $probe "tcpSocket" (dict "port" "http") }}
{{- end }}
{{- else if and .root.Values.webConfig.enabled .root.Values.webConfig.tls (hasKey $probe "httpGet") }}
{{- $_ := set $probe.httpGet "scheme" "HTTPS" }}
{{- end }}
{{- toYaml $probe }}
{{- end }}

{{/* The name of shard i's Deployment (and PDB): the full name with one shard, else
<fullname>-shard-<i>. */}}
{{- define "statusprobe.shardName" -}}
{{- if gt (int .root.Values.shards) 1 }}
{{- printf "%s-shard-%d" (include "statusprobe.fullname" .root | trunc 50 | trimSuffix "-") (int .index) }}
{{- else }}
{{- include "statusprobe.fullname" .root }}
{{- end }}
{{- end }}

{{/* "true" when the helm test pod is rendered: not with required client certificates (it
has none), nor with basic auth and no basicAuthSecret (it could not log in). */}}
{{- define "statusprobe.helmTestRuns" -}}
{{- $w := .Values.webConfig }}
{{- if and .Values.helmTest.enabled (not (and $w.enabled $w.clientCert)) (not (and $w.enabled $w.basicAuth (not $w.basicAuthSecret.name))) }}true{{ end }}
{{- end }}
