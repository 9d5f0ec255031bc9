#!/usr/bin/env sh
# Any CI: fail the build when the commits since the target branch add a credential.
set -eu
base=${BASE_REF:-origin/main}
keysnare scan --range "$base..HEAD" --format json --output keysnare.json --progress never
# Exit codes: 0 nothing found, 1 findings (the step fails), 2 something could not be scanned.
