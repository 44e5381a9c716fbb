# Sourced by tests/guest scripts: the age of the host's apt package lists and `apt-get update`.
# A fresh machine has no lists; lists older than a day may name package versions the mirror no
# longer serves (apt-get install/download then fail with 404).

# True when package lists exist and the newest is younger than APT_LISTS_MAX_AGE seconds (a day).
apt_lists_fresh() {
  local max=${APT_LISTS_MAX_AGE:-86400} newest
  newest=$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -printf '%T@\n' 2>/dev/null | sort -n | tail -1)
  [ -n "$newest" ] && [ $(( $(date +%s) - ${newest%.*} )) -lt "$max" ]
}

# apt-get update with a bound; progress to stderr. $1 names the caller in the log.
apt_update() {
  echo "${1:-apt}: apt-get update (package lists missing, older than a day, or an install failed)" >&2
  timeout 600 apt-get update -q >&2
}
