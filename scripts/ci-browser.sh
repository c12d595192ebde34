#!/usr/bin/env bash
# Install what the site's browser tests (tests/test_site_browser.py) need on a fresh machine:
#
#   source scripts/ci-browser.sh
#
# - Debian's `chromium` (apt-get, only when run as root and it is missing); Playwright for
#   Python launches it by path, as it cannot download browsers of its own here;
# - the npm package axe-core into .ci/npm/node_modules, where the tests look for axe.min.js
#   (npm from Debian's packages when it is missing).
# It never fails the caller: what cannot be installed is reported on stderr, and the browser
# tests then fail with that reason under CI=true (skip elsewhere).

_oerrepo_browser() {
    local root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    local apt_updated=""
    _apt() {
        [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
        if [ -z "$apt_updated" ]; then
            apt-get update -qq >/dev/null 2>&1 || true
            apt_updated=1
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
    }
    if [ ! -x /usr/bin/chromium ] && ! command -v chromium >/dev/null; then
        _apt chromium || echo "ci-browser: could not install chromium" >&2
    fi
    if [ ! -f "$root/.ci/npm/node_modules/axe-core/axe.min.js" ]; then
        command -v npm >/dev/null || _apt npm || echo "ci-browser: could not install npm" >&2
        if command -v npm >/dev/null; then
            npm install --silent --no-save --no-audit --no-fund --prefix "$root/.ci/npm" axe-core >/dev/null 2>&1 \
                || echo "ci-browser: npm could not install axe-core" >&2
        fi
    fi
    echo "ci-browser: chromium $(command -v chromium || echo missing), axe-core" \
         "$([ -f "$root/.ci/npm/node_modules/axe-core/axe.min.js" ] && echo ready || echo missing)" >&2
}
_oerrepo_browser || true
unset -f _oerrepo_browser _apt 2>/dev/null || true
