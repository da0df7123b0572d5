/*
 * test_action_state: the one table of action states, its transitions and the event
 * kinds, from memory.
 */
#include "harness.h"
#include "runbookd/action_state.h"
#include "runbookd/timeline.h"

static void test_action_state__names_round_trip(void)
{
	for (unsigned i = 0; i < RBD_STATE_COUNT; i++) {
		enum rbd_action_state s = RBD_STATE_COUNT;
		const struct rbd_action_state_info *info = rbd_action_state_info(i);

		REQUIRE(info && info->name);
		CHECK(rbd_action_state_parse(&s, info->name));
		CHECK_INT(s, i);
		for (unsigned j = 0; j < i; j++)
			CHECK(strcmp(rbd_action_state_name(j), info->name) != 0);
	}
	CHECK_STR(rbd_action_state_name(RBD_STATE_PENDING_APPROVAL), "pending_approval");
	CHECK_STR(rbd_action_state_name(RBD_STATE_COUNT), "unknown");
	CHECK(rbd_action_state_info(RBD_STATE_COUNT) == NULL);
	{
		enum rbd_action_state s = RBD_STATE_RUNNING;

		CHECK(!rbd_action_state_parse(&s, "Running"));
		CHECK(!rbd_action_state_parse(&s, "planned "));
		CHECK(!rbd_action_state_parse(&s, ""));
		CHECK(!rbd_action_state_parse(&s, NULL));
		CHECK_INT(s, RBD_STATE_RUNNING);
	}
}

static void test_action_state__terminal_states_never_move(void)
{
	for (unsigned from = 0; from < RBD_STATE_COUNT; from++) {
		int exits = 0;

		for (unsigned to = 0; to < RBD_STATE_COUNT; to++)
			exits += rbd_action_state_can(from, to);
		if (rbd_action_state_info(from)->terminal)
			CHECK_INT(exits, 0);
		else
			CHECK(exits > 0);
		CHECK(!rbd_action_state_can(from, from));
	}
}

/* The transitions, as a table: every legal pair and nothing else. */
static void test_action_state__transitions(void)
{
	static const struct { enum rbd_action_state from, to; } legal[] = {
		{ RBD_STATE_PLANNED, RBD_STATE_RUNNING }, { RBD_STATE_PLANNED, RBD_STATE_SKIPPED },
		{ RBD_STATE_PLANNED, RBD_STATE_DRY_RUN }, { RBD_STATE_PLANNED, RBD_STATE_CANCELLED },
		{ RBD_STATE_PLANNED, RBD_STATE_FAILED },
		{ RBD_STATE_APPROVED, RBD_STATE_RUNNING }, { RBD_STATE_APPROVED, RBD_STATE_SKIPPED },
		{ RBD_STATE_APPROVED, RBD_STATE_DRY_RUN }, { RBD_STATE_APPROVED, RBD_STATE_CANCELLED },
		{ RBD_STATE_APPROVED, RBD_STATE_FAILED },
		{ RBD_STATE_PENDING_APPROVAL, RBD_STATE_APPROVED },
		{ RBD_STATE_PENDING_APPROVAL, RBD_STATE_REJECTED },
		{ RBD_STATE_PENDING_APPROVAL, RBD_STATE_EXPIRED },
		{ RBD_STATE_PENDING_APPROVAL, RBD_STATE_CANCELLED },
		{ RBD_STATE_RUNNING, RBD_STATE_SUCCEEDED }, { RBD_STATE_RUNNING, RBD_STATE_FAILED },
		{ RBD_STATE_RUNNING, RBD_STATE_TIMED_OUT }, { RBD_STATE_RUNNING, RBD_STATE_INTERRUPTED },
		{ RBD_STATE_RUNNING, RBD_STATE_CANCELLED },     /* cancel_on_resolve */
	};
	int n = 0;

	for (size_t i = 0; i < sizeof(legal) / sizeof(legal[0]); i++)
		CHECK(rbd_action_state_can(legal[i].from, legal[i].to));
	for (unsigned from = 0; from < RBD_STATE_COUNT; from++)
		for (unsigned to = 0; to < RBD_STATE_COUNT; to++)
			n += rbd_action_state_can(from, to);
	CHECK_INT(n, sizeof(legal) / sizeof(legal[0]));
	CHECK(!rbd_action_state_can(RBD_STATE_PENDING_APPROVAL, RBD_STATE_RUNNING));
	CHECK(!rbd_action_state_can(RBD_STATE_COUNT, RBD_STATE_RUNNING));
	CHECK(!rbd_action_state_can(RBD_STATE_PLANNED, RBD_STATE_COUNT));
}

static void test_action_state__flags(void)
{
	int waiting = 0, failure = 0;

	for (unsigned i = 0; i < RBD_STATE_COUNT; i++) {
		const struct rbd_action_state_info *s = rbd_action_state_info(i);
		char kind[64];

		waiting += s->waiting;
		failure += s->failure;
		CHECK(!(s->waiting && s->terminal));
		/* The event of entering a state is action.<state>. */
		snprintf(kind, sizeof(kind), "action.%s", s->name);
		CHECK_STR(rbd_event_kind_name(s->event), kind);
	}
	/* The store binds the waiting and failure states into 4 parameters. */
	CHECK_INT(waiting, 3);
	CHECK_INT(failure, 2);
	CHECK(rbd_action_state_info(RBD_STATE_FAILED)->failure);
	CHECK(rbd_action_state_info(RBD_STATE_TIMED_OUT)->failure);
	CHECK(rbd_action_state_info(RBD_STATE_APPROVED)->waiting);
	CHECK(!rbd_action_state_info(RBD_STATE_RUNNING)->waiting);
	CHECK(rbd_action_state_info(RBD_STATE_INTERRUPTED)->review);
	CHECK(!rbd_action_state_info(RBD_STATE_SUCCEEDED)->review);
}

static void test_action_state__event_kinds(void)
{
	for (unsigned i = 0; i < RBD_EVENT_KIND_COUNT; i++) {
		const char *k = rbd_event_kind_name(i);

		CHECK(strcmp(k, "unknown") != 0 && strchr(k, '.') != NULL);
		for (unsigned j = 0; j < i; j++)
			CHECK(strcmp(rbd_event_kind_name(j), k) != 0);
	}
	CHECK_STR(rbd_event_kind_name(RBD_EVENT_NOTE_ADDED), "note.added");
	CHECK_STR(rbd_event_kind_name(RBD_EVENT_KIND_COUNT), "unknown");
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_action_state__names_round_trip),
	RBD_TEST(test_action_state__terminal_states_never_move),
	RBD_TEST(test_action_state__transitions),
	RBD_TEST(test_action_state__flags),
	RBD_TEST(test_action_state__event_kinds),
};

RBD_TEST_MAIN(cases)
