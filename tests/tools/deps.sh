#!/bin/sh
# Installs the Debian packages cutover needs to build and test, only when
# something is missing; silent and prompt-free when all are present.
set -e
need=""
have_pc() { pkg-config --exists "$1" 2>/dev/null; }
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_py()  { /usr/bin/python3 -c "import $1" >/dev/null 2>&1; }
command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
have_pc ncursesw   || need="$need libncurses-dev"
have_pc libcurl    || need="$need libcurl4-openssl-dev"
have_pc libcjson   || need="$need libcjson-dev"
have_pc libcrypto  || need="$need libssl-dev"
have_pc cmocka     || need="$need libcmocka-dev"
have_pc libmicrohttpd || need="$need libmicrohttpd-dev"
have_pc yaml-0.1   || need="$need libyaml-dev"
have_cmd cc        || need="$need gcc"
have_cmd make      || need="$need make"
have_cmd haproxy   || need="$need haproxy"
have_cmd tmux      || need="$need tmux"
have_cmd curl      || need="$need curl"
have_cmd promtool  || need="$need prometheus"
have_cmd clang     || need="$need clang"
have_py croniter   || need="$need python3-croniter"
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "deps: missing:$need (run 'make deps' as root, or install them)" >&2
    exit 1
fi
echo "deps: installing$need"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq </dev/null
apt-get install -y -qq --no-install-recommends $need </dev/null >/dev/null
