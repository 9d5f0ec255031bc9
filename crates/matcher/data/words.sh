#!/usr/bin/env bash
# Rebuilds words.txt from SCOWL's small American English list (Debian: wamerican-small).
set -euo pipefail
cd "$(dirname "$0")"
grep -E '^[a-z]{3,14}$' /usr/share/dict/american-english-small | LC_ALL=C sort -u > words.txt
