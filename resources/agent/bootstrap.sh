#!/bin/sh
# Spotwise instance bootstrap (rendered by core/agent; runs as root from user-data/startup-script).
# Needs only sh and python3 (installed with apt when missing). The instance gets no long-term keys.
SW_DIR="${SPOTWISE_AGENT_DIR:-/var/lib/spotwise}"
[ -e "$SW_DIR/done" ] && exit 0
umask 077
mkdir -p "$SW_DIR" || exit 1
cd "$SW_DIR" || exit 1
exec >>"$SW_DIR/bootstrap.log" 2>&1
echo "spotwise: bootstrap job @JOB_ID@ attempt @ATTEMPT@ $(date -u +%Y-%m-%dT%H:%M:%SZ)"
SW_OFF="@POWER_OFF@"
off() { [ "$SW_OFF" = 1 ] && { shutdown -h now || poweroff; }; exit "${1:-1}"; }
# Dead-man's switch backstop: powers off even if python dies (the agent enforces it first).
[ "$SW_OFF" = 1 ] && [ @BACKSTOP_MINUTES@ -gt 0 ] && shutdown -h +@BACKSTOP_MINUTES@ >/dev/null 2>&1
cat >config.json <<'SPOTWISE_CONFIG_EOF'
@CONFIG_JSON@
SPOTWISE_CONFIG_EOF
cat >agent.py <<'SPOTWISE_AGENT_EOF'
@AGENT_PY@
SPOTWISE_AGENT_EOF
if ! command -v python3 >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 && { apt-get update -q; apt-get install -y -q python3-minimal; }
fi
command -v python3 >/dev/null 2>&1 || { echo "spotwise: failed: python3 is not available on this image"; off 2; }
python3 agent.py run --config "$SW_DIR/config.json"
rc=$?
[ "$SW_OFF" = 1 ] && : >"$SW_DIR/done"
echo "spotwise: agent exited with $rc"
exit $rc
