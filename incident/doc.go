// Package incident models a P0–P3 incident the way the incident-response
// playbook defines it (severities, escalation ladder) and keeps its
// timeline in an append-only, crash-tolerant JSON-lines journal, so that a
// warroom session can be resumed after a crash or restart and turned into a
// post-incident report later.
package incident
