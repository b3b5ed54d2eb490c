#!/bin/sh
# Re-verifies the template corpus against the real Prometheus (promtool 2.42):
# every exp_annotations string in templates_test.yml must be exactly what
# Prometheus renders. To regenerate after adding cases to corpus.py, run
# `python3 corpus.py --update` (it captures promtool's output), then this.
set -eu
cd "$(dirname "$0")"
PROMTOOL="${PROMTOOL:-promtool}"
"$PROMTOOL" --version 2>&1 | head -1
"$PROMTOOL" check rules templates_rules.yml
"$PROMTOOL" test rules templates_test.yml
