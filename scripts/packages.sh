#!/usr/bin/env bash
# scripts/packages.sh — install the Debian packages the tests need, when
# missing: sourced by scripts/test (ensure_packages, missing_packages), and
# run by tests that need a tool (scripts/release_test.go):
#   scripts/packages.sh PACKAGE...
# With FEDERATE_TEST_NO_APT=1 it never calls apt-get. Not root and no
# password-less sudo: it says what is missing and installs nothing.

# missing_packages prints the Debian packages of $@ that are not installed.
missing_packages() {
	local p
	for p in "$@"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
			echo "$p"
		fi
	done
}

# ensure_packages installs the missing ones with apt, when it can.
ensure_packages() {
	command -v dpkg-query >/dev/null 2>&1 || {
		echo "not a Debian system: make sure these are installed: $*"
		return 0
	}
	local missing
	missing=$(missing_packages "$@" | tr '\n' ' ')
	if [ -z "${missing// /}" ]; then
		echo "already installed: $*"
		return 0
	fi
	if [ "${FEDERATE_TEST_NO_APT:-0}" = 1 ]; then
		echo "missing (FEDERATE_TEST_NO_APT=1, not installing): $missing"
		return 0
	fi
	local sudo=()
	if [ "$(id -u)" != 0 ]; then
		if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
			sudo=(sudo -n)
		else
			echo "missing, and not root (install them yourself): $missing" >&2
			return 0
		fi
	fi
	echo "installing: $missing"
	# A package with a service (openssh-server) must not start it: the
	# tests run their own sshd. Without an init system invoke-rc.d
	# already declines; a policy-rc.d that answers 101 makes sure of it
	# everywhere, for the length of the install only.
	local policy=/usr/sbin/policy-rc.d made_policy=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
		"${sudo[@]}" chmod 755 "$policy"
		made_policy=1
		# shellcheck disable=SC2064 # expanded now: these are locals
		trap "$(printf '%q ' "${sudo[@]}" rm -f "$policy")" EXIT
	fi
	local rc=0
	# shellcheck disable=SC2086 # word splitting of the package list is wanted
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null &&
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing </dev/null ||
		rc=$?
	if [ "$made_policy" = 1 ]; then
		"${sudo[@]}" rm -f "$policy"
		trap - EXIT
	fi
	return "$rc"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	ensure_packages "$@"
fi
