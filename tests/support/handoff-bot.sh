#!/bin/sh
# Plays a bot's restart for the `handoff` tests: counts its runs in "$1.runs", writes the
# environment it was given to "$1", says something on stdout and stderr (lockdown counts it,
# never keeps it), marks the bot as restarted by creating "$2" (the test's health listener
# answers 200 from then on), and exits with status "$3" (0 when not given).
echo run >> "$1.runs"
env > "$1.tmp" && mv "$1.tmp" "$1"
echo "restarting the bot"
echo "a warning" >&2
if [ "${3:-0}" = 0 ]; then
    : > "$2"
fi
exit "${3:-0}"
