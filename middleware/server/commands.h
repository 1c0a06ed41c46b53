/* commands.h: the commands of the RESP front end (commands.c). */
#ifndef VAMOS_COMMANDS_H
#define VAMOS_COMMANDS_H

#include "resp.h"

#define CMD_DONE     0      /* replied, nothing changed */
#define CMD_WROTE    1      /* replied after changing the database: commit before sending */
#define CMD_NO_ROOM  2      /* not run: its reply might not fit in what is left of w */
#define CMD_FATAL    3      /* the engine failed */

/* Runs one request (argc >= 1) and appends its reply to w. `cap` is the whole reply buffer:
 * a command whose reply cannot fit even in an empty buffer gets an error reply instead. */
int cmd_execute(engine *db, const struct req *r, struct writer *w, unsigned cap);

/* 1 for a command that reaches the engine in one call (plain GET and SET). */
int cmd_single_op(const struct req *r);

#endif
