#!/usr/bin/env bash
# Makes sure Debian's SLURM (slurmctld, slurmd, the client commands) and munge are there for
# tests/test_slurm.py, which starts a throwaway single-node cluster of its own. As root, installs
# the packages when they are missing; otherwise says what to install. Safe to run again: it does
# nothing when they are there. Without them the SLURM test skips, or fails when CI=true.
set -euo pipefail

if command -v slurmctld >/dev/null 2>&1 && command -v slurmd >/dev/null 2>&1 \
  && command -v sbatch >/dev/null 2>&1 && command -v munged >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
  echo "setup_slurm: installed $(slurmctld -V 2>/dev/null | head -n1) and munge"
  exit 0
fi

echo "setup_slurm: SLURM is missing; install Debian's packages (sudo apt-get install slurm-wlm munge)." \
  "The SLURM test skips until then (and fails under CI=true)." >&2
