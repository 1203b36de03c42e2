#!/usr/bin/env bash
# Installs what the project needs on a fresh machine (Node 20 and cargo present): pinned pnpm, pinned wac,
# and the workspace's packages. Quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
trap 'echo "setup: failed: $BASH_COMMAND (exit $?)" >&2' ERR

pnpm_version=10.34.9
wac_version=0.12.0

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$pnpm_version" ]; then
  echo "setup: installing pnpm $pnpm_version with npm"
  npm install --global --no-fund --no-audit "pnpm@$pnpm_version" >/dev/null
fi

export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v wac >/dev/null 2>&1 || [ "$(wac --version)" != "wac-cli $wac_version" ]; then
  echo "setup: installing wac-cli $wac_version with cargo (takes a few minutes, once)"
  cargo install --locked --quiet wac-cli --version "$wac_version"
fi

# Quiet when it works; everything pnpm said when it does not.
if ! install_output=$(pnpm install --frozen-lockfile --reporter=append-only 2>&1); then
  trap - ERR
  printf '%s\n' "$install_output" >&2
  echo "setup: pnpm install failed (its output is above). After adding a package or changing a package.json, run pnpm install once: it updates pnpm-lock.yaml." >&2
  exit 1
fi
