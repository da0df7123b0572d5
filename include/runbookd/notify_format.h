/*
 * notify_format: the bodies of outgoing notifications, as pure functions over records
 * read from the store: `json` (runbookd's own shape: kind, incident_id, action, text,
 * approve/reject curl commands) and `slack` (an incoming-webhook body, text plus
 * blocks, that Slack and Mattermost render). A message never holds a token: the curl
 * commands name $RUNBOOKD_TOKEN. Links are built on the link base
 * (rbd_config_link_base); without one the commands name $RUNBOOKD_URL and no link is
 * written.
 */
#ifndef RUNBOOKD_NOTIFY_FORMAT_H
#define RUNBOOKD_NOTIFY_FORMAT_H

#include <stddef.h>

#include "runbookd/config.h"
#include "runbookd/model.h"

struct rbd_notice {
	unsigned event;                        /* one RBD_NEV_* bit */
	const char *link_base;                 /* "" or NULL: no absolute links */
	const struct rbd_incident *incident;   /* may be NULL */
	const struct rbd_action_rec *action;   /* the action concerned; may be NULL */
	const char *rule;                      /* breaker_tripped: the rule */
	const struct rbd_action_rec *actions;  /* incident_resolved: the actions taken */
	size_t n_actions;
};

/* The event kind as in the timeline: "action.failed", "rule.tripped",
 * "incident.resolved". Static string. */
const char *rbd_notice_kind(const struct rbd_notice *n);
/* A new NUL-terminated body (caller frees), or NULL when out of memory. */
char *rbd_notice_json(const struct rbd_notice *n);
char *rbd_notice_slack(const struct rbd_notice *n);
/* The command an action runs, as one line of text (argv joined with spaces, "METHOD
 * URL" for http, "an Alertmanager silence"). Caller frees. */
char *rbd_notice_command(const struct rbd_action_rec *a);

#endif
