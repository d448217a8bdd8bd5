#!/usr/bin/env bash
# realk8s.sh: a real kube-apiserver (with etcd) on loopback for netpolc's
# integration tests. Needs only Go; nothing is installed and no container runs.
#
#   realk8s.sh build   build etcd, kube-apiserver and kubectl at the versions of
#                      test/apiserver/go.mod, and the NetworkPolicy agent
#                      kube-network-policies at $knp_version, into the binary
#                      cache, unless there
#   realk8s.sh run [GO TEST ARGS...]
#                      build, vet the tests, start, install the Cilium and the
#                      network-policy API CRDs, run
#                      the integration tests (go test in test/apiserver/integration)
#                      and beside them the dataplane tests (test/apiserver/dataplane:
#                      the agent enforcing netpolc's NetworkPolicies on real
#                      packets between network namespaces; they skip without
#                      root) against the server, each with GO TEST ARGS, then
#                      stop everything, whatever happens (exit, failure, ^C, TERM)
#   realk8s.sh start   build and start a server in the background for manual use;
#                      prints the export lines for its kubeconfig and state dir
#   realk8s.sh stop [DIR]
#                      stop the server started by "start" (DIR defaults to
#                      $REALK8S_DIR) and remove its state directory
#
# Environment:
#   REALK8S_CACHE  binary cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/netpolc/realk8s);
#                  binaries live in $REALK8S_CACHE/<kubernetes version>, outside the repository
#   CI             when set, the tests fail (rather than skip) if no server is configured
#
# The tests find the server through NETPOLC_APISERVER_KUBECONFIG (set by run,
# printed by start), and the dataplane tests the agent through
# NETPOLC_DATAPLANE_AGENT (set by run). They ignore a plain KUBECONFIG on
# purpose: they create and delete objects, and must never do so in a
# developer's real cluster.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

k8s_version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2; exit }' "$here/go.mod")"
if [[ -z $k8s_version ]]; then
	echo "realk8s: no k8s.io/kubernetes version in $here/go.mod" >&2
	exit 1
fi
k8s_minor="${k8s_version#v1.}"
k8s_minor="${k8s_minor%%.*}"
cache_root="${REALK8S_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/netpolc/realk8s}"
bindir="$cache_root/$k8s_version"
binaries=(etcd kube-apiserver kubectl realk8s-helper)

# The NetworkPolicy agent of the dataplane tests: SIG Network's reference
# implementation, built by "go install" from the module proxy, so that its own
# go.mod decides its dependencies (they are not this module's). Its cache
# directory is named after the version: changing the version here rebuilds it.
knp_module=sigs.k8s.io/kube-network-policies
knp_version=v0.8.0
knp_dir="$cache_root/kube-network-policies-$knp_version"
knp_bin="$knp_dir/kube-network-policies"

log() { printf 'realk8s: %s\n' "$*" >&2; }

# --- child processes -------------------------------------------------------

# Every long-running child (the servers, go build, go test) runs in its own
# session and process group (setsid), so stopping it kills its whole tree,
# e.g. go test and the test binary. The script waits for them with "wait",
# during which bash runs its traps at once: ^C or a TERM stops everything.
# jobs_running holds the process group ids of the jobs still running.
jobs_running=()

# spawn CMD...: starts CMD in the background in a new process group ($! is
# its id). A background child of a non-interactive shell is never a group
# leader, so setsid does not fork and $! is the group id.
spawn() {
	if command -v setsid >/dev/null; then
		setsid "$@" &
	else
		"$@" &
	fi
}

# run_job CMD...: runs CMD with spawn and waits for it.
run_job() {
	local pid status=0
	spawn "$@"
	pid=$!
	jobs_running+=("$pid")
	wait "$pid" || status=$?
	forget_job "$pid"
	return "$status"
}

forget_job() {
	local keep=() p
	for p in "${jobs_running[@]+"${jobs_running[@]}"}"; do
		[[ $p == "$1" ]] || keep+=("$p")
	done
	jobs_running=("${keep[@]+"${keep[@]}"}")
}

# kill_groups PGID...: SIGTERM to each process group (or process, without
# setsid), then SIGKILL to what is left after 4 seconds. (etcd takes about
# 4.5s to stop cleanly; its data directory is thrown away anyway.)
kill_groups() {
	local targets=() t i alive
	for t in "$@"; do
		if kill -0 -- "-$t" 2>/dev/null; then
			targets+=("-$t")
		elif kill -0 -- "$t" 2>/dev/null; then
			targets+=("$t")
		fi
	done
	((${#targets[@]} > 0)) || return 0
	kill -TERM -- "${targets[@]}" 2>/dev/null || true
	for ((i = 0; i < 40; i++)); do
		alive=0
		for t in "${targets[@]}"; do
			if kill -0 -- "$t" 2>/dev/null; then
				alive=1
			fi
		done
		((alive)) || return 0
		sleep 0.1
	done
	for t in "${targets[@]}"; do
		kill -KILL -- "$t" 2>/dev/null || true
	done
}

stop_jobs() {
	local p
	kill_groups "${jobs_running[@]+"${jobs_running[@]}"}"
	for p in "${jobs_running[@]+"${jobs_running[@]}"}"; do
		wait "$p" 2>/dev/null || true
	done
	jobs_running=()
}

# --- build -----------------------------------------------------------------

ldflags() {
	local pkg flags="-s -w"
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		flags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor"
		flags+=" -X $pkg.gitTreeState=clean"
	done
	printf '%s' "$flags"
}

# stamp identifies what the cached binaries are built from: Go, the flags,
# the mains and the version of every module they link (not go.mod's bytes:
# a requirement the tests add must not cost a rebuild).
stamp() {
	{
		go env GOVERSION
		ldflags
		find "$here/cmd" -name '*.go' -type f | LC_ALL=C sort | xargs cat
		go -C "$here" list -deps \
			-f '{{with .Module}}{{.Path}} {{.Version}}{{with .Replace}} => {{.Path}} {{.Version}}{{end}}{{end}}' \
			./cmd/... | LC_ALL=C sort -u
	} | sha256sum | cut -d' ' -f1
}

cached() {
	local b
	[[ -f $bindir/stamp && "$(cat "$bindir/stamp")" == "$1" ]] || return 1
	for b in "${binaries[@]}"; do
		[[ -x $bindir/$b ]] || return 1
	done
}

# tidy_hint explains the usual reason why go fails in this module.
tidy_hint() {
	log "if go reported missing requirements or go.sum entries: test/apiserver is its own module"
	log "and follows the main module's dependencies; run (cd test/apiserver && go mod tidy)"
}

# locked_build CACHE WANT IS_CACHED BUILD INSTALL LABEL MESSAGE: unless
# IS_CACHED WANT says it is there already, builds into the cache directory
# CACHE: BUILD OUT builds into a fresh directory OUT inside CACHE, INSTALL OUT
# moves what it built into place, and CACHE/stamp then records WANT. Two
# checkouts on one machine share the cache: it builds under CACHE/.lock, and
# checks again once the lock is held. LABEL prefixes the failure and timing
# lines; MESSAGE is logged when the build starts.
locked_build() {
	local cache=$1 want=$2 is_cached=$3 build=$4 install=$5 label=$6 message=$7 out start lockfd
	if "$is_cached" "$want"; then
		return 0
	fi
	mkdir -p "$cache"
	exec {lockfd}>"$cache/.lock"
	if command -v flock >/dev/null; then
		flock "$lockfd"
	fi
	if "$is_cached" "$want"; then
		exec {lockfd}>&-
		return 0
	fi
	log "$message"
	start=$SECONDS
	out="$(mktemp -d "$cache/.build.XXXXXX")"
	build_tmp=$out
	if ! "$build" "$out"; then
		rm -rf "$out"
		exec {lockfd}>&-
		log "${label}build failed"
		return 1
	fi
	rm -f "$cache/stamp"
	"$install" "$out"
	rm -rf "$out"
	build_tmp=""
	printf '%s\n' "$want" >"$cache/stamp"
	exec {lockfd}>&-
	log "${label}built in $((SECONDS - start))s"
}

# build_servers OUT builds the servers, kubectl and the helper into OUT.
build_servers() {
	run_job go -C "$here" build -buildvcs=false -ldflags "$(ldflags)" -o "$1/" \
		./cmd/etcd ./cmd/kube-apiserver ./cmd/kubectl ./cmd/realk8s-helper
}

# install_servers OUT moves what build_servers built into $bindir.
install_servers() {
	local b
	for b in "${binaries[@]}"; do
		mv -f "$1/$b" "$bindir/$b"
	done
}

cmd_build() {
	local want
	if ! want="$(stamp)"; then
		tidy_hint
		return 1
	fi
	locked_build "$bindir" "$want" cached build_servers install_servers "" \
		"building etcd, kube-apiserver $k8s_version and kubectl into $bindir (4-7 min on 2 cores the first time)"
}

# agent_cached WANT: the agent's binary is in the cache, built for WANT (Go
# version and module version).
agent_cached() {
	[[ -f $knp_dir/stamp && "$(cat "$knp_dir/stamp")" == "$1" && -x $knp_bin ]]
}

# build_agent_into OUT builds the agent into OUT. go install
# PACKAGE@VERSION builds outside any module, with the dependencies of the
# agent's own go.mod; the main package is cmd.
build_agent_into() {
	run_job env GOBIN="$1" GOFLAGS= GOWORK=off \
		go -C "$1" install -trimpath -ldflags "-s -w" "$knp_module/cmd@$knp_version"
}

# install_agent OUT moves what build_agent_into built to $knp_bin.
install_agent() {
	mv -f "$1/cmd" "$knp_bin"
}

# build_agent builds kube-network-policies into $knp_dir unless it is there
# for this Go version.
build_agent() {
	local want
	want="$(go env GOVERSION) $knp_module@$knp_version"
	locked_build "$knp_dir" "$want" agent_cached build_agent_into install_agent "agent " \
		"building $knp_module $knp_version into $knp_dir"
}

# --- start and stop --------------------------------------------------------

# State of a started server, all inside one temporary directory $dir:
#   etcd/ certs/ tokens.csv sa.key kubeconfig *.log, and the pids
#   (process group ids) in etcd.pid and apiserver.pid.
dir=""
build_tmp="" # a build's output directory until its binaries are in place
etcd_pid=""
apiserver_pid=""

# install_traps: on any exit, stop the jobs and the server and remove the
# temporary directories; ^C and TERM exit through it too.
install_traps() {
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

cleanup() {
	local status=$?
	trap - EXIT INT TERM
	stop_jobs
	stop_server
	if [[ -n $build_tmp ]]; then
		rm -rf "$build_tmp"
	fi
	exit "$status"
}

stop_server() {
	local p pids=()
	for p in "$apiserver_pid" "$etcd_pid"; do
		if [[ -n $p ]]; then
			pids+=("$p")
		fi
	done
	kill_groups "${pids[@]+"${pids[@]}"}"
	for p in "${pids[@]+"${pids[@]}"}"; do
		wait "$p" 2>/dev/null || true
	done
	apiserver_pid=""
	etcd_pid=""
	if [[ -n $dir && -d $dir ]]; then
		rm -rf "$dir"
	fi
	dir=""
}

# wait_for WHAT PID TIMEOUT CMD...: polls CMD until it succeeds; fails when
# the process PID exits or after TIMEOUT seconds, showing its log.
wait_for() {
	local what=$1 pid=$2 timeout=$3 deadline
	shift 3
	deadline=$((SECONDS + timeout))
	until "$@" 2>/dev/null; do
		if ! kill -0 "$pid" 2>/dev/null; then
			log "$what exited during startup; last lines of $dir/$what.log:"
			tail -n 25 "$dir/$what.log" >&2 || true
			return 1
		fi
		if ((SECONDS >= deadline)); then
			log "$what not ready after ${timeout}s; last lines of $dir/$what.log:"
			tail -n 25 "$dir/$what.log" >&2 || true
			return 1
		fi
		sleep 0.2
	done
}

start_once() {
	local helper="$bindir/realk8s-helper" ports token
	dir="$(mktemp -d "${TMPDIR:-/tmp}/realk8s.XXXXXX")"
	mapfile -t ports < <("$helper" ports 3)
	local etcd_port=${ports[0]} peer_port=${ports[1]} api_port=${ports[2]}
	token="$("$helper" token)"
	printf '%s,netpolc-admin,netpolc-admin,"system:masters"\n' "$token" >"$dir/tokens.csv"
	"$helper" rsa-key "$dir/sa.key"
	mkdir -p "$dir/certs"

	spawn "$bindir/etcd" --name realk8s --data-dir "$dir/etcd" \
		--listen-client-urls "http://127.0.0.1:$etcd_port" \
		--advertise-client-urls "http://127.0.0.1:$etcd_port" \
		--listen-peer-urls "http://127.0.0.1:$peer_port" \
		--initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
		--initial-cluster "realk8s=http://127.0.0.1:$peer_port" \
		--unsafe-no-fsync --log-level warn \
		</dev/null >"$dir/etcd.log" 2>&1
	etcd_pid=$!
	echo "$etcd_pid" >"$dir/etcd.pid"
	wait_for etcd "$etcd_pid" 30 "$helper" probe "http://127.0.0.1:$etcd_port/health" || return 1

	spawn "$bindir/kube-apiserver" \
		--etcd-servers "http://127.0.0.1:$etcd_port" \
		--bind-address 127.0.0.1 --secure-port "$api_port" \
		--advertise-address 127.0.0.1 --endpoint-reconciler-type none \
		--cert-dir "$dir/certs" \
		--token-auth-file "$dir/tokens.csv" \
		--authorization-mode AlwaysAllow \
		--service-account-issuer https://kubernetes.default.svc \
		--service-account-key-file "$dir/sa.key" \
		--service-account-signing-key-file "$dir/sa.key" \
		--service-cluster-ip-range 10.96.0.0/16 \
		--disable-admission-plugins ServiceAccount \
		</dev/null >"$dir/apiserver.log" 2>&1
	apiserver_pid=$!
	echo "$apiserver_pid" >"$dir/apiserver.pid"
	# The server writes its self-signed certificate (with the CA that signed
	# it) into --cert-dir before it listens.
	wait_for apiserver "$apiserver_pid" 60 test -s "$dir/certs/apiserver.crt" || return 1
	wait_for apiserver "$apiserver_pid" 60 \
		"$helper" probe "https://127.0.0.1:$api_port/readyz" "$dir/certs/apiserver.crt" "$token" || return 1

	cat >"$dir/kubeconfig" <<-EOF
		apiVersion: v1
		kind: Config
		clusters:
		- name: realk8s
		  cluster:
		    server: https://127.0.0.1:$api_port
		    certificate-authority: $dir/certs/apiserver.crt
		users:
		- name: netpolc-admin
		  user:
		    token: $token
		contexts:
		- name: realk8s
		  context:
		    cluster: realk8s
		    user: netpolc-admin
		current-context: realk8s
	EOF
}

# start_server: starts etcd and kube-apiserver (retrying once, in case
# another process took a port between the pick and the bind) and installs
# the Cilium and network-policy API CRDs.
start_server() {
	local start=$SECONDS attempt
	for attempt in 1 2; do
		if start_once; then
			break
		fi
		stop_server
		if ((attempt == 2)); then
			log "could not start the API server"
			return 1
		fi
		log "retrying with other ports"
	done
	install_crds
	log "kube-apiserver $k8s_version ready at $(awk '/server:/ { print $2 }' "$dir/kubeconfig") in $((SECONDS - start))s"
}

kubectl_() { "$bindir/kubectl" --kubeconfig "$dir/kubeconfig" "$@"; }

# install_crds applies the CiliumNetworkPolicy and
# CiliumClusterwideNetworkPolicy CRDs of the Cilium version the compiler
# depends on, from the module cache.
install_crds() {
	local version mod crds
	version="$(cd "$root" && go list -m -f '{{.Version}}' github.com/cilium/cilium)"
	mod="$(cd "$root" && go mod download -json "github.com/cilium/cilium@$version" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
	crds="$mod/pkg/k8s/apis/cilium.io/client/crds/v2"
	if [[ ! -f $crds/ciliumnetworkpolicies.yaml ]]; then
		log "no Cilium CRDs in $crds"
		return 1
	fi
	# The CRDs are too big for client-side apply's last-applied annotation.
	# Cilium's schema uses the "idn-hostname" format, which the server does
	# not know and warns about; the warning is harmless.
	kubectl_ apply --server-side --field-manager realk8s \
		-f "$crds/ciliumnetworkpolicies.yaml" \
		-f "$crds/ciliumclusterwidenetworkpolicies.yaml" 2>&1 |
		grep -v 'unrecognized format "idn-hostname"' >&2 || true
	kubectl_ wait --for condition=Established --timeout 60s \
		crd/ciliumnetworkpolicies.cilium.io crd/ciliumclusterwidenetworkpolicies.cilium.io >&2
	install_policy_api_crds
}

# module_dir prints the module cache directory of MODULE@VERSION, downloading
# it if needed.
module_dir() {
	(cd "$root" && go mod download -json "$1@$2") |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

# install_policy_api_crds applies the CRDs of the network-policy API
# (policy.networking.k8s.io) from the module cache: ClusterNetworkPolicy
# from the sigs.k8s.io/network-policy-api version the compiler depends on,
# and AdminNetworkPolicy and BaselineAdminNetworkPolicy from the version
# kube-network-policies $knp_version depends on (v0.3.0 has no CRDs for
# them). The experimental channel: the standard one lacks fields the
# netpol-api target writes (networks and nodes peers of AdminNetworkPolicy,
# named ports, domain names), and every standard field is in it too.
install_policy_api_crds() {
	local npa_version knp_gomod anp_version cnp_dir anp_dir
	npa_version="$(cd "$root" && go list -m -f '{{.Version}}' sigs.k8s.io/network-policy-api)"
	knp_gomod="$( (cd "$root" && go mod download -json "$knp_module@$knp_version") |
		sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
	anp_version="$(awk '$1 == "sigs.k8s.io/network-policy-api" { print $2; exit }' "$knp_gomod")"
	cnp_dir="$(module_dir sigs.k8s.io/network-policy-api "$npa_version")/config/crd/experimental"
	anp_dir="$(module_dir sigs.k8s.io/network-policy-api "$anp_version")/config/crd/experimental"
	for f in "$cnp_dir/policy.networking.k8s.io_clusternetworkpolicies.yaml" \
		"$anp_dir/policy.networking.k8s.io_adminnetworkpolicies.yaml" \
		"$anp_dir/policy.networking.k8s.io_baselineadminnetworkpolicies.yaml"; do
		if [[ ! -f $f ]]; then
			log "no network-policy API CRD $f"
			return 1
		fi
	done
	kubectl_ apply --server-side --field-manager realk8s \
		-f "$cnp_dir/policy.networking.k8s.io_clusternetworkpolicies.yaml" \
		-f "$anp_dir/policy.networking.k8s.io_adminnetworkpolicies.yaml" \
		-f "$anp_dir/policy.networking.k8s.io_baselineadminnetworkpolicies.yaml" >&2
	kubectl_ wait --for condition=Established --timeout 60s \
		crd/clusternetworkpolicies.policy.networking.k8s.io \
		crd/adminnetworkpolicies.policy.networking.k8s.io \
		crd/baselineadminnetworkpolicies.policy.networking.k8s.io >&2
	log "network-policy API CRDs (experimental channel): ClusterNetworkPolicy of network-policy-api $npa_version, AdminNetworkPolicy and BaselineAdminNetworkPolicy of $anp_version (kube-network-policies $knp_version's)"
}

cmd_run() {
	install_traps
	cmd_build
	# The dataplane tests need root (they skip without it): only then is
	# the agent worth building.
	if ((EUID == 0)); then
		build_agent
	else
		log "not root: the dataplane tests will skip, kube-network-policies is not built"
	fi
	if ! run_job go -C "$here" vet ./integration/... ./dataplane/... ./policylock ./cmd/realk8s-helper; then
		tidy_hint
		return 1
	fi
	start_server
	log "go test in test/apiserver/integration and, at the same time, in test/apiserver/dataplane"
	log "(kube-network-policies $knp_version enforcing on real packets) against the real API server"
	# Both packages use the same server without touching each other's
	# objects (the integration tests' namespaces are prefixed and fresh,
	# the dataplane tests' pods sit on a node of their own). The dataplane
	# tests mostly wait for probes, so running them beside the
	# integration tests costs little; their output is shown once they end.
	local status=0 dstatus=0 ipid dpid
	# No package argument: go test's local directory mode, which shows what
	# the tests print (their summaries) and never caches the result.
	# Both packages create admin policies of the network-policy API, which
	# act on every pod of the cluster: they take turns through this lock
	# file (test/apiserver/policylock).
	spawn env NETPOLC_APISERVER_KUBECONFIG="$dir/kubeconfig" KUBECONFIG="$dir/kubeconfig" \
		NETPOLC_POLICY_API_LOCK="$dir/policy-api.lock" \
		go -C "$here/integration" test "$@"
	ipid=$!
	jobs_running+=("$ipid")
	spawn env NETPOLC_APISERVER_KUBECONFIG="$dir/kubeconfig" NETPOLC_DATAPLANE_AGENT="$knp_bin" \
		NETPOLC_POLICY_API_LOCK="$dir/policy-api.lock" \
		go -C "$here/dataplane" test "$@" >"$dir/dataplane.out" 2>&1
	dpid=$!
	jobs_running+=("$dpid")
	wait "$ipid" || status=$?
	forget_job "$ipid"
	if ((status != 0)); then
		log "integration tests failed (exit $status)"
	fi
	wait "$dpid" || dstatus=$?
	forget_job "$dpid"
	log "dataplane tests (test/apiserver/dataplane):"
	cat "$dir/dataplane.out"
	if ((dstatus != 0)); then
		log "dataplane tests failed (exit $dstatus)"
		status=$dstatus
	fi
	return "$status"
}

cmd_start() {
	install_traps
	cmd_build
	start_server
	# Hand the processes over: nothing to clean up on a successful exit.
	trap - EXIT INT TERM
	printf 'export NETPOLC_APISERVER_KUBECONFIG=%s KUBECONFIG=%s REALK8S_DIR=%s\n' \
		"$dir/kubeconfig" "$dir/kubeconfig" "$dir"
	log "stop it with: $0 stop $dir"
}

cmd_stop() {
	local d=${1:-${REALK8S_DIR:-}} f pids=()
	if [[ -z $d || ! -f $d/kubeconfig ]]; then
		log "usage: realk8s.sh stop DIR (the directory printed by start, or \$REALK8S_DIR)"
		return 2
	fi
	# The pids are process group ids (spawn).
	for f in apiserver etcd; do
		if [[ -f $d/$f.pid ]]; then
			pids+=("$(cat "$d/$f.pid")")
		fi
	done
	kill_groups "${pids[@]+"${pids[@]}"}"
	rm -rf "$d"
}

case "${1:-}" in
build)
	install_traps
	cmd_build
	build_agent
	;;
run) shift && cmd_run "$@" ;;
start) cmd_start ;;
stop) shift && cmd_stop "$@" ;;
*)
	echo "usage: $0 build | run [GO TEST ARGS...] | start | stop [DIR]" >&2
	exit 2
	;;
esac
